// mocha's configuration (issue 13: the suite's wall time). Test files run in parallel worker
// processes, one per core and at least two; files are handed to workers in the order below, so the
// longest ones (measured with bench/suite.ts --per-file) start first and no worker is left with a
// long file at the end while the other idles. Every other *.test.ts under tests/ follows.
// `npx mocha tests/some.test.ts` runs that file only (a spec given here would be run beside it).
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const LONGEST_FIRST = [
  "tests/stepfunctions/org-scale.test.ts",
  "tests/policy/check.test.ts",
  "tests/evidence/hostile-export.test.ts",
  "tests/handlers/daily-review-org-stack.test.ts",
  "tests/infra/alerting.test.ts",
  "tests/evidence/verifier.test.ts",
  "tests/evidence/cli.test.ts",
  "tests/ci/workflows.test.ts",
  "tests/policy/policies.test.ts",
];

const filesOnCommandLine = process.argv.slice(2).some((a) => /\.test\.ts$/.test(a) || a === "tests" || a.startsWith("tests/"));
const all = fs
  .readdirSync(path.join(__dirname, "tests"), { recursive: true })
  .map((f) => path.join("tests", f).split(path.sep).join("/"))
  .filter((f) => f.endsWith(".test.ts"))
  .sort();
const first = LONGEST_FIRST.filter((f) => all.includes(f));

module.exports = {
  // defer-sdk-modules first: it must see @pulumi/pulumi being loaded (offline/defer-sdk-modules.js).
  require: ["./offline/defer-sdk-modules.js", "ts-node/register/transpile-only", "tests/support/root-hooks.ts"],
  extension: ["ts"],
  "node-option": ["max-semi-space-size=64"],
  timeout: 60000,
  reporter: "dot",
  parallel: true,
  jobs: Math.max(2, os.cpus().length),
  ...(filesOnCommandLine ? {} : { spec: [...first, ...all.filter((f) => !first.includes(f))] }),
};
