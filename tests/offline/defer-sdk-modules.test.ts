// offline/defer-sdk-modules.js (issue 13): the TypeScript compiler, arborist, the Automation API
// and unused AWS services are not loaded by `require("@pulumi/aws")`, and a program that does use
// them still gets the real modules: the SDK's own closure serialiser, code-path computation and Automation API run
// through the proxies. In a child process: this one has loaded TypeScript already (ts-node).
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

// Run in a one-dependency project folder: computeCodePaths reads the whole dependency tree of the
// project it runs in (arborist), which for this project is a thousand packages and seconds.
const PROBE = `
const resolveFromProject = (m) => require.resolve(m, { paths: [process.env.PROJECT_ROOT] });
const loaded = (part) => Object.keys(require.cache).some((f) => f.includes(part));
const parts = { typescript: "node_modules/typescript/", arborist: "@npmcli/arborist/", automation: "@pulumi/pulumi/automation/", bedrock: "@pulumi/aws/bedrock/", s3: "@pulumi/aws/s3/" };
const state = () => Object.fromEntries(Object.entries(parts).map(([k, p]) => [k, loaded(p)]));
(async () => {
  const aws = require(resolveFromProject("@pulumi/aws"));
  const afterImport = state();
  const bucketClass = typeof aws.s3.Bucket;
  const bucketIsResource = aws.s3.Bucket.isInstance.length === 1;
  const afterS3 = state();
  const pulumi = require(resolveFromProject("@pulumi/pulumi"));
  const answer = 42;
  const serialized = await pulumi.runtime.serializeFunction(() => answer);
  const afterSerialize = state();
  const codePaths = await pulumi.runtime.computeCodePaths();
  const automation = typeof pulumi.automation.LocalWorkspace.create;
  process.stdout.write(JSON.stringify({
    afterImport, bucketClass, bucketIsResource, afterS3, afterSerialize, serializedText: serialized.text, codePaths: [...codePaths.keys()],
    automation, afterAll: state(), deferred: require(process.env.DEFER_MODULE).deferred,
  }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe("deferred SDK modules (offline/defer-sdk-modules.js)", function () {
  this.timeout(60_000);
  let probe: {
    afterImport: Record<string, boolean>;
    bucketClass: string;
    bucketIsResource: boolean;
    afterS3: Record<string, boolean>;
    afterSerialize: Record<string, boolean>;
    serializedText: string;
    codePaths: string[];
    automation: string;
    afterAll: Record<string, boolean>;
    deferred: string[];
  };

  let project: string;
  before(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), "defer-probe-"));
    fs.writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify({ name: "defer-probe", version: "1.0.0", dependencies: { "tiny-dependency": "1.0.0" } }),
    );
    fs.mkdirSync(path.join(project, "node_modules", "tiny-dependency"), { recursive: true });
    fs.writeFileSync(path.join(project, "node_modules", "tiny-dependency", "package.json"), JSON.stringify({ name: "tiny-dependency", version: "1.0.0" }));
    fs.writeFileSync(path.join(project, "node_modules", "tiny-dependency", "index.js"), "module.exports = 1;\n");
    const defer = path.join(ROOT, "offline", "defer-sdk-modules.js");
    const out = execFileSync(process.execPath, ["-r", defer, "-e", PROBE], {
      cwd: project,
      encoding: "utf8",
      env: { ...process.env, NODE_NO_WARNINGS: "1", PROJECT_ROOT: ROOT, DEFER_MODULE: defer },
    });
    probe = JSON.parse(out);
  });
  after(() => fs.rmSync(project, { recursive: true, force: true }));

  it("require('@pulumi/aws') loads neither the TypeScript compiler, nor arborist, nor the Automation API, nor an AWS service", () => {
    assert.deepEqual(probe.afterImport, { typescript: false, arborist: false, automation: false, bedrock: false, s3: false });
    for (const part of [
      "./automation <- index.js",
      "@npmcli/arborist <- codePaths.js",
      "normalize-package-data <- codePaths.js",
      "typescript <- typescript-shim.js",
      "./bedrock <- index.js",
      "./s3 <- index.js",
    ])
      assert.ok(probe.deferred.includes(part), `${part} not deferred: ${probe.deferred.slice(0, 8).join(", ")}`);
    // About 260 AWS services and the SDK's four parts; nothing else.
    assert.ok(probe.deferred.length > 200 && probe.deferred.every((d) => /^\.\/[a-z0-9]+ <- index\.js$/.test(d) || /codePaths|typescript-shim/.test(d)));
  });

  it("a service the program names is loaded at its first use, with its resource classes", () => {
    assert.equal(probe.bucketClass, "function");
    assert.equal(probe.bucketIsResource, true);
    assert.equal(probe.afterS3.s3, true);
    assert.equal(probe.afterS3.bedrock, false);
  });

  it("serialising a function loads TypeScript through the proxy and captures the closure", () => {
    assert.equal(probe.afterSerialize.typescript, true);
    assert.match(probe.serializedText, /answer = 42|var answer = 42|answer: 42/);
    assert.match(probe.serializedText, /exports\.handler = /);
  });

  it("computing code paths (arborist, normalize-package-data) and the Automation API work through the proxies", () => {
    assert.ok(
      probe.codePaths.some((p) => /node_modules[\\/]tiny-dependency$/.test(p)),
      probe.codePaths.slice(0, 5).join(", "),
    );
    assert.equal(probe.automation, "function");
    assert.deepEqual(probe.afterAll, { typescript: true, arborist: true, automation: true, bedrock: false, s3: true });
  });
});
