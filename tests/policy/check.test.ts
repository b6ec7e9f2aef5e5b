// The offline check end to end: this project's estate passes for every stack, a copy of it mutated
// for each MUST item fails on a first preview (ids unknown), the check hands packs what the engine
// hands them (resource references as ids, the project folder as working directory, async failures
// fail, --known is not a dry run), runs any pack with its config reconciled as the CLI does, and
// bad usage exits 2 before anything runs. Runs of this project's program are memoised (the program
// is deterministic): known-outputs runs come from the suite's shared cache (tests/support/estate.ts).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { check, CheckDeps } from "../../offline/check";
import { ProgramRun, RunOptions, runProgram } from "../../offline/run-program";
import { estate, PROJECT_DIR } from "../support/estate";
import policyPackageJson from "../../policy/package.json";

const ROOT = PROJECT_DIR;
const PROGRAMS = path.join(__dirname, "programs");

const firstPreviews = new Map<string, Promise<ProgramRun>>();
const runs: string[] = [];
/** Runs of this project's first preview that actually executed the program. */
let projectPreviewsExecuted = 0;
const mutantRuns = new Map<string, Promise<ProgramRun>>();
/** This project's runs memoised; any other program runs each time (it may print, fail, ...). */
const deps: CheckDeps = {
  runProgram: (o: RunOptions) => {
    runs.push(`${path.relative(ROOT, o.programDir) || "."}:${o.stack}:${o.knownOutputs ? "known" : "preview"}`);
    if (o.configOverrides) return runProgram(o);
    if (path.resolve(o.programDir) !== ROOT) {
      // A mutated copy is as deterministic as the project: its runs are memoised per copy, stack and
      // mode (the JSON, table and SARIF views of one copy share a run); other programs run each time.
      if (!path.basename(o.programDir).startsWith("estate-mutant-")) return runProgram(o);
      const key = `${path.resolve(o.programDir)}:${o.stack}:${o.knownOutputs ? "known" : "preview"}`;
      if (!mutantRuns.has(key)) mutantRuns.set(key, runProgram(o));
      return mutantRuns.get(key)!;
    }
    if (o.knownOutputs) return estate(o.stack);
    if (!firstPreviews.has(o.stack)) {
      projectPreviewsExecuted++;
      firstPreviews.set(o.stack, runProgram({ programDir: ROOT, stack: o.stack }));
    }
    return firstPreviews.get(o.stack)!;
  },
};

async function runCheck(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await check(args, { out: (s) => (out += s + "\n"), err: (s) => (err += s + "\n") }, deps);
  return { code, out, err };
}

/** Temporary folders of this file's tests, removed after them. */
const scratchDirs: string[] = [];
function scratchDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  scratchDirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of scratchDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

interface SourceEdit {
  file: string;
  from: string | RegExp;
  to: string;
}

/** A copy of this project's program (infra + stack files), with source edits applied. */
function mutatedCopy(edits: SourceEdit[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "estate-mutant-"));
  fs.cpSync(path.join(ROOT, "infra"), path.join(dir, "infra"), { recursive: true });
  // Unchanged code the program imports: linked, so handler bundles are built once per test run.
  for (const shared of ["policy", "handlers", "evidence", "cloudtrail", "cli", "node_modules"])
    fs.symlinkSync(path.join(ROOT, shared), path.join(dir, shared), "dir");
  for (const f of fs.readdirSync(ROOT).filter((f) => /^Pulumi(\..+)?\.yaml$/.test(f))) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "estate-mutant", main: "infra/index.ts" }));
  for (const { file, from, to } of edits) {
    const target = path.join(dir, file);
    const source = fs.readFileSync(target, "utf8");
    const edited = source.replace(from, to);
    assert.notEqual(edited, source, `mutation of ${file} did not apply: ${from}`);
    fs.writeFileSync(target, edited);
  }
  return dir;
}

async function withMutants<T>(edits: SourceEdit[], fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mutatedCopy(edits);
  try {
    return await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const withMutant = <T>(file: string, from: string | RegExp, to: string, fn: (dir: string) => Promise<T>): Promise<T> => withMutants([{ file, from, to }], fn);

describe("offline check (npm run check)", () => {
  for (const stack of ["dev", "dev2", "prd"]) {
    it(`passes this project's estate for ${stack} with no mandatory violation`, async () => {
      const { code, out, err } = await runCheck(["--stack", stack, "--json"]);
      assert.equal(code, 0, err + out);
      const report = JSON.parse(out);
      assert.equal(report.stack, stack);
      assert.ok(report.resources > 30, `only ${report.resources} resources`);
      assert.deepEqual(report.packs, [{ name: "audit-trail-must", version: policyPackageJson.version }]);
      assert.deepEqual(
        report.violations.filter((v: any) => v.level === "mandatory"),
        [],
      );
      for (const v of report.violations) assert.deepEqual(Object.keys(v).sort(), ["level", "message", "pack", "phase", "policy", "resource"]);
    });
  }

  it("prints a table of resources by type, then the violations (the same prd run as --json: run once)", async () => {
    const { code, out } = await runCheck(["--stack", "prd"]);
    assert.equal(code, 0);
    assert.match(out, /^Stack prd: \d+ resources \(first preview, computed outputs unknown\)/);
    assert.match(out, /aws:cloudtrail\/trail:Trail\s+1\n/);
    // log, access-log, backup-data, Config and Athena-results buckets
    assert.match(out, /aws:s3\/bucket:Bucket\s+5\n/);
    assert.match(out, /\n0 mandatory, \d+ advisory violation\(s\)\.\n$/);
    assert.equal(runs.filter((r) => r === ".:prd:preview").length, 2, "both prd checks asked for the run");
    assert.equal(projectPreviewsExecuted, 3, "one executed first preview per stack (dev, dev2, prd), none twice");
  });

  it("--known and --mode up run the program as pulumi up does (not a dry run), outputs known", async () => {
    const known = await runCheck(["--stack", "prd", "--known"]);
    assert.equal(known.code, 0);
    assert.match(known.out, /known outputs, as on an update/);
    const up = await runCheck(["--stack", "prd", "--mode", "up", "--json"]);
    assert.equal(up.code, 0, up.err);
    assert.equal(JSON.parse(up.out).mode, "up");
    // The program prints pulumi.runtime.isDryRun(): false only when not run as a preview.
    const printed: string[] = [];
    await runProgram({ programDir: path.join(PROGRAMS, "s3-folder"), stack: "test", programOutput: (l) => printed.push(l) });
    await runProgram({ programDir: path.join(PROGRAMS, "s3-folder"), stack: "test", knownOutputs: true, programOutput: (l) => printed.push(l) });
    assert.deepEqual(printed, ["uploading 1 file(s); dry run: true", "uploading 1 file(s); dry run: false"]);
  });

  const MUST_MUTATIONS: [string, string, string | RegExp, string, string][] = [
    [
      "M1",
      "infra/components/audit-trail.ts",
      "enableLogFileValidation: true",
      "enableLogFileValidation: false",
      "aws-cloudtrail-trail-enable-log-file-validation",
    ],
    ["M2", "infra/components/immutable-log-bucket.ts", "mode: args.retention.mode", 'mode: "GOVERNANCE"', "aws-s3-bucket-require-object-lock-compliance"],
    ["M3", "infra/lib/bucket-baseline.ts", "restrictPublicBuckets: true", "restrictPublicBuckets: false", "aws-s3-bucket-require-public-access-block"],
    [
      "M4 (SSE-S3)",
      "infra/components/immutable-log-bucket.ts",
      "sseKms(name, bucket, args.kmsKeyArn, child);",
      'new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }, child);',
      "aws-s3-bucket-require-sse-kms-trail-logs",
    ],
    ["M4 (trail key)", "infra/components/audit-trail.ts", "kmsKeyId: args.kmsKeyArn, // M4", "// no key", "aws-cloudtrail-trail-require-kms-key"],
    ["M4 (rotation)", "infra/components/customer-managed-key.ts", "enableKeyRotation: true", "enableKeyRotation: false", "aws-kms-key-enable-rotation"],
    ["M5 (lock days)", "infra/components/immutable-log-bucket.ts", "days: args.retention.days", "days: 30", "aws-s3-bucket-require-retention-365-days"],
    [
      "M5 (expiration)",
      "infra/components/immutable-log-bucket.ts",
      "abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },\n          },\n        ],",
      "abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },\n            expiration: { days: 180 },\n          },\n        ],",
      "aws-s3-bucket-require-retention-365-days",
    ],
    [
      "M5 (log group)",
      "infra/components/audit-trail.ts",
      "retentionInDays: args.logGroupRetentionDays",
      "retentionInDays: 90",
      "aws-cloudwatch-loggroup-require-retention-365-days",
    ],
  ];
  // Mutations that touch different resources and are judged by different policies share a copy
  // (issue 13: one first-preview run per group instead of one per item); each item is asserted by
  // its policy and by a message that names its own change, so no item passes on another's finding.
  const MUST_GROUPS: string[][] = [
    ["M1", "M3", "M4 (rotation)", "M5 (log group)"],
    ["M2", "M4 (trail key)", "M5 (expiration)"],
    ["M4 (SSE-S3)", "M5 (lock days)"],
  ];
  const MUST_MESSAGES: Record<string, RegExp> = {
    M1: /^Trail "audit-trail" has log file validation disabled/,
    M2: /^Trail log bucket "audit-trail-logs-prd-\S+" has default retention mode GOVERNANCE .*COMPLIANCE is required/,
    M3: /^Bucket "audit-trail-logs-prd-\S+" public access block \S+ leaves restrictPublicBuckets off/,
    "M4 (SSE-S3)": /^Trail log bucket "audit-trail-logs-prd-\S+" encrypts with AES256 .*SSE-KMS .* is required/,
    "M4 (trail key)": /^Trail "audit-trail" sets no kmsKeyId/,
    "M4 (rotation)": /^KMS key "audit-key" does not rotate/,
    "M5 (lock days)": /^Trail log bucket "audit-trail-logs-prd-\S+" locks objects for 30 day\(s\)/,
    "M5 (expiration)": /^Trail log bucket "audit-trail-logs-prd-\S+" lifecycle rule \S+ expires current versions after 180 days \(< 365\)/,
    "M5 (log group)": /^Log group "\/aws\/cloudtrail\/audit-trail-prd" of trail "audit-trail" keeps events 90 days/,
  };
  /** The copy each MUST item is in (kept until this file's tests end, for the SARIF and dev views). */
  const mutantCopyFor = new Map<string, string>();
  it("groups every MUST mutation exactly once", () => {
    assert.deepEqual(MUST_GROUPS.flat().sort(), MUST_MUTATIONS.map(([item]) => item).sort());
    assert.deepEqual(Object.keys(MUST_MESSAGES).sort(), MUST_MUTATIONS.map(([item]) => item).sort());
  });
  for (const group of MUST_GROUPS) {
    describe(`a copy of the estate mutated for ${group.join(", ")}, on a first preview of prd`, () => {
      const items = group.map((name) => MUST_MUTATIONS.find(([item]) => item === name)!);
      let dir: string;
      let result: { code: number; out: string; err: string };
      before(async () => {
        dir = mutatedCopy(items.map(([, file, from, to]) => ({ file, from, to })));
        scratchDirs.push(dir);
        for (const name of group) mutantCopyFor.set(name, dir);
        result = await runCheck(["--stack", "prd", "--program", dir, "--json"]);
      });
      for (const [item, , , , policy] of items) {
        it(`fails for ${item} (${policy}, mandatory)`, () => {
          assert.equal(result.code, 1, result.err + result.out);
          const found = JSON.parse(result.out).violations.filter((v: any) => v.policy === policy);
          assert.ok(found.length > 0, `no ${policy} violation in ${result.out}`);
          assert.ok(found.every((v: any) => v.level === "mandatory"));
          assert.ok(
            found.some((v: any) => MUST_MESSAGES[item].test(v.message)),
            `${item}: no ${policy} message matches ${MUST_MESSAGES[item]}: ${JSON.stringify(found.map((v: any) => v.message))}`,
          );
        });
      }
    });
  }

  // The trail's resource policies refuse it before it is created for every M2-M5 bucket and log
  // group item (policy/lib/trail-guard.ts), so no trail starts writing into a non-compliant bucket.
  // The mutations touch different resources and policies, so one copy carries all of them (one
  // program run in up mode instead of one per item, issue 13); each policy's refusal is asserted by
  // its own message, and the first-preview mutants above prove each item fails on its own.
  const REFUSED_BEFORE_CREATE: [string, string, string, string, string, RegExp][] = [
    [
      "M2 (GOVERNANCE)",
      "infra/components/immutable-log-bucket.ts",
      "mode: args.retention.mode",
      'mode: "GOVERNANCE"',
      "aws-s3-bucket-require-object-lock-compliance",
      /would write into bucket ".*", whose inputs already break this policy: default retention mode GOVERNANCE/,
    ],
    [
      "M3 (a bucket-level flag off)",
      "infra/lib/bucket-baseline.ts",
      "restrictPublicBuckets: true",
      "restrictPublicBuckets: false",
      "aws-s3-bucket-require-public-access-block",
      /would write into bucket ".*", whose inputs already break this policy: public access block \S+-public-access-block leaves restrictPublicBuckets off, and no account-level block seen so far turns them on\./,
    ],
    [
      "M4 (SSE-S3)",
      "infra/lib/bucket-baseline.ts",
      'sseAlgorithm: "aws:kms", kmsMasterKeyId: kmsKeyArn',
      'sseAlgorithm: "AES256"',
      "aws-s3-bucket-require-sse-kms-trail-logs",
      /would write into bucket ".*", whose inputs already break this policy: it encrypts with AES256 \(\S+-encryption\); SSE-KMS is required\./,
    ],
    [
      "M5 (lock days)",
      "infra/components/immutable-log-bucket.ts",
      "days: args.retention.days",
      "days: 30",
      "aws-s3-bucket-require-retention-365-days",
      /would write into bucket ".*", whose inputs already break this policy: it locks objects for 30 day\(s\) \(\S+-object-lock\); at least 365 days are required\./,
    ],
    [
      "M5 (log group)",
      "infra/components/audit-trail.ts",
      "retentionInDays: args.logGroupRetentionDays",
      "retentionInDays: 90",
      "aws-cloudwatch-loggroup-require-retention-365-days",
      /would deliver to log group "\/aws\/cloudtrail\/\S+", whose inputs already break this policy: it keeps events 90 days; at least 365 are required\./,
    ],
  ];
  describe("--mode up: one copy of the estate mutated for M2, M3, M4, M5 (lock days) and M5 (log group)", () => {
    let dir: string;
    let json: { code: number; out: string; err: string };
    before(async () => {
      dir = mutatedCopy(REFUSED_BEFORE_CREATE.map(([, file, from, to]) => ({ file, from, to })));
      json = await runCheck(["--stack", "prd", "--program", dir, "--mode", "up", "--json"]);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    for (const [item, , , , policy, message] of REFUSED_BEFORE_CREATE) {
      it(`refuses the trail before it is created for ${item} (${policy}), and the stack policy still judges the resource after creation`, () => {
        assert.equal(json.code, 1, json.err);
        const found = JSON.parse(json.out).violations.filter((v: any) => v.policy === policy);
        const onTrail = found.filter((v: any) => v.enforcedAt === "before-create");
        assert.equal(onTrail.length, 1, JSON.stringify(found, null, 1));
        assert.equal(onTrail[0].level, "mandatory");
        assert.match(onTrail[0].resource, /^aws:cloudtrail\/trail:Trail::/);
        assert.match(onTrail[0].message, message);
        assert.ok(
          found.some((v: any) => v.enforcedAt === "after-all-created" && v.level === "mandatory"),
          JSON.stringify(found, null, 1),
        );
      });
    }

    it("the table says where pulumi up --skip-preview would stop: before creating the trail, or only after everything was created", async () => {
      const table = await runCheck(["--stack", "prd", "--program", dir, "--mode", "up"]);
      assert.equal(table.code, 1, table.err);
      assert.match(
        table.out,
        /pulumi up --skip-preview would stop:\n {2}before creating aws:cloudtrail\/trail:Trail::\S+ \(resource policy aws-s3-bucket-require-object-lock-compliance\)/,
      );
      assert.match(table.out, /only after every resource was created \(stack policy aws-s3-bucket-require-object-lock-compliance/);
      // The bucket itself is judged after creation (a stack policy), as the JSON says.
      const lock = JSON.parse(json.out).violations.filter((v: any) => v.policy === "aws-s3-bucket-require-object-lock-compliance");
      assert.ok(lock.some((v: any) => v.enforcedAt === "after-all-created" && /^aws:s3\/bucket:Bucket::/.test(v.resource)));
    });
  });

  it("the estate registers its trail after every configuration resource of its log bucket and after its log group", async () => {
    const run = await estate("prd");
    const trail = run.resources.find((r) => r.type === "aws:cloudtrail/trail:Trail")!;
    const logBucketName = trail.inputs.s3BucketName as string;
    const bucket = run.resources.find((r) => r.type === "aws:s3/bucket:Bucket" && r.inputs.bucket === logBucketName)!;
    assert.ok(bucket, `no bucket ${logBucketName}`);
    const configs = run.resources.filter((r) => r.parent === bucket.parent && r.custom && r.urn !== bucket.urn && r.type.startsWith("aws:s3/"));
    const types = configs.map((r) => r.type.split(":").pop()).sort();
    for (const t of [
      "BucketLifecycleConfiguration",
      "BucketLogging",
      "BucketObjectLockConfiguration",
      "BucketPolicy",
      "BucketPublicAccessBlock",
      "BucketServerSideEncryptionConfiguration",
      "BucketVersioning",
    ])
      assert.ok(types.includes(t), `${t} not among the log bucket's resources: ${types.join(", ")}`);
    const logGroup = run.resources.find(
      (r) => r.type === "aws:cloudwatch/logGroup:LogGroup" && String(trail.inputs.cloudWatchLogsGroupArn).includes(`:log-group:${r.inputs.name}:`),
    )!;
    assert.ok(logGroup, "no log group of the trail");
    const index = (urn: string) => run.resources.findIndex((r) => r.urn === urn);
    for (const r of [bucket, ...configs, logGroup]) {
      assert.ok(trail.dependencies.includes(r.urn), `the trail does not depend on ${r.urn}`);
      assert.ok(index(r.urn) < index(trail.urn), `${r.urn} is registered after the trail`);
    }
  });

  // Nested suites run after the top-level tests and in order: after the groups made their copies.
  describe("other views of the copy mutated for M1 and its group", () => {
    it("--format sarif: one result per violation, rules from the pack's metadata, the program file as location", async () => {
      // The copy mutated for M1 (and the other items of its group), judged by the run the JSON view made.
      await (async (dir: string) => {
        const { code, out } = await runCheck(["--stack", "prd", "--program", dir, "--format", "sarif"]);
        assert.equal(code, 1);
        const log = JSON.parse(out);
        assert.equal(log.version, "2.1.0");
        const run = log.runs[0];
        const rule = run.tool.driver.rules.find((r: any) => r.id === "aws-cloudtrail-trail-enable-log-file-validation");
        assert.equal(rule.defaultConfiguration.level, "error");
        assert.equal(rule.help.text, "Set `enableLogFileValidation: true` on the aws.cloudtrail.Trail.");
        assert.ok(rule.properties.tags.includes("requirement:M1"));
        assert.equal(rule.properties["security-severity"], "9.5");
        const result = run.results.find((r: any) => r.ruleId === rule.id);
        assert.equal(result.level, "error");
        assert.equal(run.tool.driver.rules[result.ruleIndex].id, rule.id);
        assert.match(result.message.text, /^aws:cloudtrail\/trail:Trail::.*log file validation disabled/);
        assert.match(result.locations[0].physicalLocation.artifactLocation.uri, /infra\/index\.ts$/);
        assert.match(result.locations[0].logicalLocations[0].fullyQualifiedName, /^urn:pulumi:prd::/);
        const json = JSON.parse((await runCheck(["--stack", "prd", "--program", dir, "--json"])).out);
        assert.equal(run.results.length, json.violations.length, "one SARIF result per violation");
      })(mutantCopyFor.get("M1")!);
    });

    it("reports the same mutations in dev as advisory (exit 0)", async () => {
      const { code, out } = await runCheck(["--stack", "dev", "--program", mutantCopyFor.get("M1")!, "--json"]);
      assert.equal(code, 0, out);
      const violations = JSON.parse(out).violations;
      const v = violations.find((x: any) => x.policy === "aws-cloudtrail-trail-enable-log-file-validation");
      assert.equal(v.level, "advisory");
      assert.deepEqual(
        violations.filter((x: any) => x.level === "mandatory"),
        [],
      );
    });
  });

  describe("fidelity with the engine on a public program (pulumi/examples aws-ts-s3-folder)", () => {
    const program = path.join(PROGRAMS, "s3-folder");
    it("runs in its project folder (reads ./www), passes the resource reference as the bucket's id, and keeps stdout pure JSON", async () => {
      const { code, out, err } = await runCheck(["--stack", "test", "--program", program, "--json"]);
      assert.equal(code, 1, err); // the site bucket has no public access block (M3)
      const report = JSON.parse(out); // the program's console.log went to stderr
      assert.match(err, /uploading 1 file\(s\); dry run: true/);
      assert.equal(report.resources, 4); // stack, bucket, index.html object, policy
      // The pack judged every bucket: the site bucket has no public access block (M3).
      assert.ok(report.violations.some((v: any) => v.policy === "aws-s3-bucket-require-public-access-block" && /s3-website-bucket/.test(v.message)));
    });
    it("the object's `bucket: siteBucket` reaches the pack as the bucket's id (unknown in a preview), not a raw reference", async () => {
      const { engineView } = await import("../../offline/analyze");
      const run = await runProgram({ programDir: program, stack: "test", knownOutputs: true });
      const object = run.resources.find((r) => r.type === "aws:s3/bucketObject:BucketObject")!;
      assert.equal((object.rawInputs.bucket as any)["4dabf18193072939515e22adb298388d"], "5cf8f73096256a8f31e491e813e4eb8e");
      const bucket = run.resources.find((r) => r.type === "aws:s3/bucket:Bucket")!;
      assert.equal(engineView(object.rawInputs).bucket, bucket.id);
    });
  });

  it("decides every MUST item of a public trail program (withglyph/glyph) on its first preview: no 'can't run during preview'", async () => {
    const { code, out, err } = await runCheck(["--stack", "test", "--program", path.join(PROGRAMS, "glyph-cloudtrail"), "--json"]);
    assert.equal(code, 1, err);
    const vs = JSON.parse(out).violations;
    assert.deepEqual(
      vs.filter((v: any) => /can't run policy/.test(v.message)),
      [],
    );
    const mandatory = vs
      .filter((v: any) => v.level === "mandatory")
      .map((v: any) => `${v.policy}: ${v.message}`)
      .sort();
    assert.deepEqual(mandatory, [
      'aws-cloudtrail-trail-require-kms-key: Trail "management-events" sets no kmsKeyId: its log files are only SSE-S3 encrypted.',
      'aws-s3-bucket-require-object-lock-compliance: Trail log bucket "penxle-cloudtrail" has no Object Lock default retention.',
      'aws-s3-bucket-require-object-lock-compliance: Trail log bucket "penxle-cloudtrail" has no Object Lock: neither objectLockEnabled: true nor a lock configuration on the versioned bucket.',
      'aws-s3-bucket-require-public-access-block: Bucket "penxle-cloudtrail" has no public access block.',
      'aws-s3-bucket-require-retention-365-days: Trail log bucket "penxle-cloudtrail" has no Object Lock: nothing keeps its log files 365 days.',
      'aws-s3-bucket-require-sse-kms-trail-logs: Trail log bucket "penxle-cloudtrail" has no default encryption configuration (SSE-KMS required).',
    ]);
    // Its lifecycle expires current versions after exactly 365 days: not earlier, so not a violation.
    assert.ok(!vs.some((v: any) => /lifecycle rule/.test(v.message)));
  });

  describe("any pack, configured as the CLI does", () => {
    const thirdParty = path.join(PROGRAMS, "third-party-pack");
    it("--policy-pack is repeatable; a pack's initialConfig and config-schema defaults apply", async () => {
      const { code, out, err } = await runCheck([
        "--stack",
        "test",
        "--program",
        path.join(PROGRAMS, "s3-folder"),
        "--policy-pack",
        path.join(ROOT, "policy"),
        "--policy-pack",
        thirdParty,
        "--json",
      ]);
      assert.equal(code, 1, err); // initialConfig makes s3-bucket-no-website mandatory
      const report = JSON.parse(out);
      assert.deepEqual(
        report.packs.map((p: any) => p.name),
        ["audit-trail-must", "third-party-buckets"],
      );
      const website = report.violations.filter((v: any) => v.policy === "s3-bucket-no-website");
      assert.deepEqual(
        website.map((v: any) => [v.pack, v.level, v.message]),
        [["third-party-buckets", "mandatory", "bucket hosts a website"]],
      );
      assert.ok(report.violations.some((v: any) => v.pack === "audit-trail-must"));
    });
    it("the schema default is used until a --policy-config overrides it", async () => {
      const cfgDir = scratchDir("cfg-");
      const defaults = await runCheck(["--stack", "prd", "--known", "--policy-pack", thirdParty, "--json"]);
      const named = JSON.parse(defaults.out).violations.filter((v: any) => v.policy === "s3-bucket-name-prefix");
      assert.ok(named.length >= 5 && named.every((v: any) => / does not start with corp-$/.test(v.message)), defaults.out);
      fs.writeFileSync(path.join(cfgDir, "c.json"), JSON.stringify({ "s3-bucket-name-prefix": { prefix: "audit-trail-" } }));
      const configured = await runCheck(["--stack", "prd", "--known", "--policy-pack", thirdParty, "--policy-config", path.join(cfgDir, "c.json"), "--json"]);
      const left = JSON.parse(configured.out).violations.filter((v: any) => v.policy === "s3-bucket-name-prefix");
      assert.ok(left.length < named.length && left.every((v: any) => / does not start with audit-trail-$/.test(v.message)), configured.out);
      fs.writeFileSync(path.join(cfgDir, "bad.json"), JSON.stringify({ "s3-bucket-name-prefix": { prefix: 3 } }));
      const bad = await runCheck(["--stack", "prd", "--policy-pack", thirdParty, "--policy-config", path.join(cfgDir, "bad.json")]);
      assert.equal(bad.code, 2);
      assert.match(bad.err, /s3-bucket-name-prefix: prefix: 3 is not of type string/);
    });
  });

  describe("usage errors exit 2 before anything runs; a failing program exits 3", () => {
    it("no --stack", async () => {
      const { code, err } = await runCheck([]);
      assert.equal(code, 2);
      assert.match(err, /--stack is required/);
      assert.match(err, /usage: npm run check/);
    });
    it("an unknown option", async () => {
      const { code, err } = await runCheck(["--stack", "prd", "--colour"]);
      assert.equal(code, 2);
      assert.match(err, /unknown option --colour; allowed options: --stack, --program/);
    });
    it("a bad --mode or --format", async () => {
      assert.match((await runCheck(["--stack", "prd", "--mode", "destroy"])).err, /--mode "destroy" is not one of preview, up/);
      assert.match((await runCheck(["--stack", "prd", "--format", "xml"])).err, /--format "xml" is not one of table, json, sarif/);
    });
    it("a policy config naming a policy the pack lacks: refused before the program runs", async () => {
      const file = path.join(scratchDir("cfg-"), "c.json");
      fs.writeFileSync(file, JSON.stringify({ "aws-no-such-policy": "advisory" }));
      const before = runs.length;
      const { code, err } = await runCheck(["--stack", "prd", "--policy-config", file]);
      assert.equal(code, 2);
      assert.match(err, /names "aws-no-such-policy", which is not a policy of pack audit-trail-must/);
      assert.equal(runs.length, before, "the program was run");
    });
    it("more --policy-config than --policy-pack", async () => {
      const { code, err } = await runCheck(["--stack", "prd", "--policy-config", "a.json", "--policy-config", "b.json"]);
      assert.equal(code, 2);
      assert.match(err, /2 --policy-config for 1 policy pack\(s\)/);
    });
    it("a stack without a stack file, with the stacks there are", async () => {
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
      const file = path.join(scratchDir("cfg-"), "bad.json");
      fs.writeFileSync(file, "{not json");
      const { code, err } = await runCheck(["--stack", "prd", "--policy-config", file]);
      assert.equal(code, 2);
      assert.match(err, /not a policy pack config/);
    });
    it("a program that fails on its configuration (the program's own message)", async () => {
      await withMutant("Pulumi.prd.yaml", "retentionDays: 365", "retentionDays: 30", async (dir) => {
        const { code, err } = await runCheck(["--stack", "prd", "--program", dir]);
        assert.equal(code, 3);
        assert.match(err, /the program failed for stack "prd"/);
        assert.match(err, /retentionDays: 30 is below the 365 days prd requires \(M5\)/);
      });
    });
    it("a registration that fails asynchronously (an apply that throws) fails the check, as a real preview fails", async () => {
      const { code, err, out } = await runCheck(["--stack", "test", "--program", path.join(PROGRAMS, "failing-apply"), "--json"]);
      assert.equal(code, 3, out);
      assert.match(err, /the program failed for stack "test":\nerror serializing property "policy": cannot build the policy of logs: statement missing/);
      assert.equal(out, "");
    });
  });
});
