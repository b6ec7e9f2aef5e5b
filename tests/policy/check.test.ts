// The offline check end to end: this project's estate passes for every stack, a copy of it
// mutated for each MUST item fails on a first preview (ids unknown), and bad usage exits 2.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { check } from "../../offline/check";

const ROOT = path.resolve(__dirname, "../..");

async function runCheck(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await check(args, { out: (s) => (out += s + "\n"), err: (s) => (err += s + "\n") });
  return { code, out, err };
}

/** A copy of this project's program (infra + stack files), with one source edit applied. */
function mutatedCopy(file: string, from: string | RegExp, to: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "estate-mutant-"));
  fs.cpSync(path.join(ROOT, "infra"), path.join(dir, "infra"), { recursive: true });
  // Unchanged code the program imports: linked, so handler bundles are built once per test run.
  for (const shared of ["policy", "handlers", "evidence", "cloudtrail", "cli", "node_modules"]) fs.symlinkSync(path.join(ROOT, shared), path.join(dir, shared), "dir");
  for (const f of fs.readdirSync(ROOT).filter((f) => /^Pulumi(\..+)?\.yaml$/.test(f))) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "estate-mutant", main: "infra/index.ts" }));
  const target = path.join(dir, file);
  const source = fs.readFileSync(target, "utf8");
  const edited = source.replace(from, to);
  assert.notEqual(edited, source, `mutation of ${file} did not apply: ${from}`);
  fs.writeFileSync(target, edited);
  return dir;
}

describe("offline check (npm run check)", () => {
  for (const stack of ["dev", "dev2", "prd"]) {
    it(`passes this project's estate for ${stack} with no mandatory violation`, async () => {
      const { code, out, err } = await runCheck(["--stack", stack, "--json"]);
      assert.equal(code, 0, err + out);
      const report = JSON.parse(out);
      assert.equal(report.stack, stack);
      assert.ok(report.resources > 30, `only ${report.resources} resources`);
      assert.deepEqual(report.violations.filter((v: any) => v.level === "mandatory"), []);
      for (const v of report.violations) assert.deepEqual(Object.keys(v).sort(), ["level", "message", "policy", "resource"]);
    });
  }

  it("prints a table of resources by type, then the violations", async () => {
    const { code, out } = await runCheck(["--stack", "prd"]);
    assert.equal(code, 0);
    assert.match(out, /^Stack prd: \d+ resources \(first preview, computed outputs unknown\)/);
    assert.match(out, /aws:cloudtrail\/trail:Trail\s+1\n/);
    // log, access-log, backup-data, Config and Athena-results buckets
    assert.match(out, /aws:s3\/bucket:Bucket\s+5\n/);
    assert.match(out, /\n0 mandatory, \d+ advisory violation\(s\)\.\n$/);
  });

  it("--known evaluates with outputs known, as on an update", async () => {
    const { code, out } = await runCheck(["--stack", "prd", "--known"]);
    assert.equal(code, 0);
    assert.match(out, /known outputs, as on an update/);
  });

  const MUST_MUTATIONS: [string, string, string | RegExp, string, string][] = [
    ["M1", "infra/components/auditTrail.ts", "enableLogFileValidation: true", "enableLogFileValidation: false", "aws-cloudtrail-trail-enable-log-file-validation"],
    ["M2", "infra/components/immutableLogBucket.ts", "mode: args.retention.mode", 'mode: "GOVERNANCE"', "aws-s3-bucket-require-object-lock-compliance"],
    ["M3", "infra/lib/bucketBaseline.ts", "restrictPublicBuckets: true", "restrictPublicBuckets: false", "aws-s3-bucket-require-public-access-block"],
    [
      "M4 (SSE-S3)",
      "infra/components/immutableLogBucket.ts",
      "sseKms(name, bucket, args.kmsKeyArn, child);",
      'new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }, child);',
      "aws-s3-bucket-require-sse-kms-trail-logs",
    ],
    ["M4 (trail key)", "infra/components/auditTrail.ts", "kmsKeyId: args.kmsKeyArn, // M4", "// no key", "aws-cloudtrail-trail-require-kms-key"],
    ["M4 (rotation)", "infra/components/customerManagedKey.ts", "enableKeyRotation: true", "enableKeyRotation: false", "aws-kms-key-enable-rotation"],
    ["M5 (lock days)", "infra/components/immutableLogBucket.ts", "days: args.retention.days", "days: 30", "aws-s3-bucket-require-retention-365-days"],
    ["M5 (expiration)", "infra/components/immutableLogBucket.ts", "abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },\n          },\n        ],", "abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },\n            expiration: { days: 180 },\n          },\n        ],", "aws-s3-bucket-require-retention-365-days"],
    ["M5 (log group)", "infra/components/auditTrail.ts", "retentionInDays: args.logGroupRetentionDays", "retentionInDays: 90", "aws-cloudwatch-loggroup-require-retention-365-days"],
  ];
  for (const [item, file, from, to, policy] of MUST_MUTATIONS) {
    it(`fails a copy of the estate mutated for ${item} on a first preview of prd (${policy})`, async () => {
      const dir = mutatedCopy(file, from, to);
      try {
        const { code, out, err } = await runCheck(["--stack", "prd", "--program", dir, "--json"]);
        assert.equal(code, 1, err + out);
        const report = JSON.parse(out);
        const found = report.violations.filter((v: any) => v.policy === policy);
        assert.ok(found.length > 0, `no ${policy} violation in ${out}`);
        assert.ok(found.every((v: any) => v.level === "mandatory"));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it("reports the same mutation in dev as advisory (exit 0)", async () => {
    const dir = mutatedCopy("infra/components/auditTrail.ts", "enableLogFileValidation: true", "enableLogFileValidation: false");
    try {
      const { code, out } = await runCheck(["--stack", "dev", "--program", dir, "--json"]);
      assert.equal(code, 0);
      const v = JSON.parse(out).violations.find((x: any) => x.policy === "aws-cloudtrail-trail-enable-log-file-validation");
      assert.equal(v.level, "advisory");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("usage and program errors exit 2 with a clear message", () => {
    it("no --stack", async () => {
      const { code, err } = await runCheck([]);
      assert.equal(code, 2);
      assert.match(err, /--stack is required/);
      assert.match(err, /usage: npm run check/);
    });
    it("an unknown option", async () => {
      const { code, err } = await runCheck(["--stack", "prd", "--colour"]);
      assert.equal(code, 2);
      assert.match(err, /Unknown option '--colour'/);
    });
    it("a stack without a stack file", async () => {
      const { code, err } = await runCheck(["--stack", "qa"]);
      assert.equal(code, 2);
      assert.match(err, /no .*Pulumi\.qa\.yaml \(stacks of this program: dev, dev2, prd\)/);
    });
    it("a program directory without Pulumi.yaml", async () => {
      const { code, err } = await runCheck(["--stack", "prd", "--program", os.tmpdir()]);
      assert.equal(code, 2);
      assert.match(err, /no Pulumi\.yaml in/);
    });
    it("a policy config that is not JSON", async () => {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cfg-")), "bad.json");
      fs.writeFileSync(file, "{not json");
      const { code, err } = await runCheck(["--stack", "prd", "--policy-config", file]);
      assert.equal(code, 2);
      assert.match(err, /not a policy pack config/);
    });
    it("a program that fails on its configuration (the program's own message)", async () => {
      const dir = mutatedCopy("Pulumi.prd.yaml", "retentionDays: 365", "retentionDays: 30");
      try {
        const { code, err } = await runCheck(["--stack", "prd", "--program", dir]);
        assert.equal(code, 2);
        assert.match(err, /the program failed for stack "prd"/);
        assert.match(err, /retentionDays: 30 is below the 365 days prd requires \(M5\)/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
