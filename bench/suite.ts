// How fast is `npm test` for an engineer? The suite's wall time against the time to import
// `@pulumi/aws` alone (the floor every mocked-runtime test process pays), measured in one run,
// interleaved so both see the same machine load. Prints the medians and their ratio.
// Run: npx ts-node --transpile-only bench/suite.ts [--runs 3]
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 3;

function timed(cmd: string, args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, NODE_NO_WARNINGS: "1" } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const mocha = path.join(ROOT, "node_modules", ".bin", "mocha");
const suite: number[] = [];
const awsImport: number[] = [];
for (let i = 0; i < RUNS; i++) {
  awsImport.push(timed(process.execPath, ["-e", "require('@pulumi/aws')"]));
  suite.push(timed(mocha, ["tests/**/*.test.ts"]));
}
const s = median(suite);
const a = median(awsImport);
console.log(`runs: ${RUNS}`);
console.log(`npm test (mocha, transpile-only), median wall time: ${(s / 1000).toFixed(2)} s`);
console.log(`import of @pulumi/aws alone, median:               ${(a / 1000).toFixed(2)} s`);
console.log(`ratio suite / import:                               ${(s / a).toFixed(1)}x`);
