// Pulumi's own `@pulumi/awsguard` run beside this pack by `npm run check`, with the pack folder the
// README describes ("Offline check": index.js with `new AwsGuard({ all: "advisory" })`).
// awsguard is NOT a dependency of this project: it brings a second provider (@pulumi/aws 4) and
// aws-sdk 2, measured at +58.6 s on `npm ci` and +158 MB of node_modules (README). So this test
// runs when AWSGUARD_DIR names a folder where it is installed
// (`npm install --ignore-scripts @pulumi/awsguard@0.3.1 @pulumi/policy@1.21.0` there), and is
// reported as pending otherwise, never as a pass.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { check, CheckDeps } from "../../offline/check";
import { ProgramRun, RunOptions, runProgram } from "../../offline/run-program";

const AWSGUARD_DIR = process.env.AWSGUARD_DIR;

describe("@pulumi/awsguard beside this pack (npm run check --policy-pack policy --policy-pack <awsguard>)", function () {
  this.timeout(120_000);
  let packDir: string;
  const previews = new Map<string, Promise<ProgramRun>>();
  const deps: CheckDeps = {
    runProgram: (o: RunOptions) => {
      const key = `${o.programDir}:${o.stack}:${!!o.knownOutputs}`;
      if (!previews.has(key)) previews.set(key, runProgram(o));
      return previews.get(key)!;
    },
  };
  const run = async (args: string[]) => {
    let out = "";
    let err = "";
    const code = await check(args, { out: (s) => (out += s + "\n"), err: (s) => (err += s + "\n") }, deps);
    return { code, out, err };
  };

  before(function () {
    if (!AWSGUARD_DIR) this.skip();
    const dir = path.resolve(AWSGUARD_DIR!);
    assert.ok(fs.existsSync(path.join(dir, "node_modules", "@pulumi", "awsguard")), `AWSGUARD_DIR=${dir} has no node_modules/@pulumi/awsguard`);
    // Inside AWSGUARD_DIR, so the pack resolves awsguard and the policy SDK from its node_modules.
    packDir = fs.mkdtempSync(path.join(dir, "awsguard-pack-"));
    fs.writeFileSync(path.join(packDir, "package.json"), JSON.stringify({ name: "awsguard-pack", version: "0.0.1", main: "index.js" }));
    fs.writeFileSync(path.join(packDir, "index.js"), 'const { AwsGuard } = require("@pulumi/awsguard");\nnew AwsGuard({ all: "advisory" });\n');
  });
  after(() => {
    if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
  });

  it("reports awsguard's own policies under its pack name at the configured level, and leaves this pack's verdicts unchanged", async () => {
    const alone = await run(["--stack", "prd", "--json"]);
    const both = await run(["--stack", "prd", "--policy-pack", "policy", "--policy-pack", packDir, "--json"]);
    assert.equal(alone.code, 0, alone.err);
    assert.equal(both.code, 0, both.err);
    const a = JSON.parse(alone.out);
    const b = JSON.parse(both.out);
    assert.deepEqual(
      b.packs.map((p: { name: string }) => p.name),
      ["audit-trail-must", "pulumi-awsguard"],
    );
    const guard = b.violations.filter((v: { pack: string }) => v.pack === "pulumi-awsguard");
    const names = new Set(guard.map((v: { policy: string }) => v.policy));
    // awsguard's own policy names on this estate (awsguard 0.3.1: S3 bucket logging of every
    // bucket, including the access-log target itself, and API Gateway caching and endpoint type).
    for (const p of ["s3-bucket-logging-enabled", "apigateway-stage-cached", "apigateway-method-cached-and-encrypted", "apigateway-endpoint-type"])
      assert.ok(names.has(p), `no ${p} from awsguard: ${[...names].join(", ")}`);
    // `all: "advisory"`: every awsguard verdict advisory, none mandatory.
    assert.deepEqual([...new Set(guard.map((v: { level: string }) => v.level))], ["advisory"]);
    // This pack's verdicts are the same with awsguard beside it.
    const ours = (vs: { pack: string }[]) => vs.filter((v) => v.pack === "audit-trail-must");
    assert.deepEqual(ours(b.violations), ours(a.violations));
  });
});
