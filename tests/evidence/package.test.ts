import { GetEventSelectorsCommand, GetTrailCommand, GetTrailStatusCommand } from "@aws-sdk/client-cloudtrail";
import { DescribeComplianceByConfigRuleCommand } from "@aws-sdk/client-config-service";
import { GetBucketEncryptionCommand, GetBucketVersioningCommand, GetObjectLockConfigurationCommand, GetPublicAccessBlockCommand } from "@aws-sdk/client-s3";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { main } from "../../evidence/cli";
import { CONTROLS } from "../../evidence/package/controls";
import { periodDays } from "../../evidence/package/build";
import { ChainFixture, gzip, makeSigningKey, makeTempDir, removeDir, type SigningKey } from "./fixtures";
import { CapturedIO, mockedAws, type MockedAws } from "./helpers";

const START = new Date("2024-03-01T00:00:00Z");
const TRAIL_ARN = "arn:aws:cloudtrail:eu-west-1:123456789012:trail/audit-trail";
const KMS_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const PERIOD = ["--start", "2024-03-01T00:00:00Z", "--end", "2024-03-02T00:00:00Z"];

const EXPECTED_FILES = [
  "SHA256SUMS",
  "config/compliance-by-config-rule.json",
  "index.json",
  "index.md",
  "log-bucket/encryption.json",
  "log-bucket/object-lock.json",
  "log-bucket/public-access-block.json",
  "log-bucket/versioning.json",
  "review-records/2024/03/01/review-2024-03-02T01:00:00Z.json",
  "review-records/coverage.json",
  "trail/event-selectors.json",
  "trail/get-trail.json",
  "trail/trail-status.json",
  "verification/report.txt",
  "verification/result.json",
];

async function listFiles(root: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(root, child)));
    else out.push(child);
  }
  return out.sort();
}

function serveEstate(aws: MockedAws, fixture: ChainFixture): void {
  fixture.serve(aws.s3Mock, aws.cloudTrailMock);
  aws.cloudTrailMock.on(GetTrailCommand).resolves({
    Trail: {
      Name: "audit-trail",
      TrailARN: TRAIL_ARN,
      S3BucketName: fixture.trail.bucket,
      S3KeyPrefix: fixture.trail.prefix,
      HomeRegion: "eu-west-1",
      IsMultiRegionTrail: false,
      LogFileValidationEnabled: true,
      KmsKeyId: KMS_KEY_ARN,
    },
  });
  aws.cloudTrailMock.on(GetTrailStatusCommand).resolves({ IsLogging: true, LatestDeliveryTime: new Date("2024-03-01T23:55:00Z"), $metadata: {} });
  aws.cloudTrailMock.on(GetEventSelectorsCommand).resolves({ TrailARN: TRAIL_ARN, EventSelectors: [{ ReadWriteType: "All", IncludeManagementEvents: true }] });
  aws.s3Mock
    .on(GetObjectLockConfigurationCommand)
    .resolves({ ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: "COMPLIANCE", Days: 365 } } } });
  aws.s3Mock.on(GetBucketVersioningCommand).resolves({ Status: "Enabled" });
  aws.s3Mock.on(GetBucketEncryptionCommand).resolves({
    ServerSideEncryptionConfiguration: {
      Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: KMS_KEY_ARN }, BucketKeyEnabled: true }],
    },
  });
  aws.s3Mock
    .on(GetPublicAccessBlockCommand)
    .resolves({ PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true } });
  aws.configMock
    .on(DescribeComplianceByConfigRuleCommand, { NextToken: undefined })
    .resolves({
      ComplianceByConfigRules: [{ ConfigRuleName: "cloud-trail-log-file-validation-enabled", Compliance: { ComplianceType: "COMPLIANT" } }],
      NextToken: "page-2",
    })
    .on(DescribeComplianceByConfigRuleCommand, { NextToken: "page-2" })
    .resolves({ ComplianceByConfigRules: [{ ConfigRuleName: "s3-bucket-public-read-prohibited", Compliance: { ComplianceType: "COMPLIANT" } }] });
}

describe("evidence CLI: package", function () {
  let signingKey: SigningKey;
  let fixture: ChainFixture;
  let out: string;
  let aws: MockedAws;
  const stackReads: string[] = [];
  const readStackOutputs = async (stack: string) => {
    stackReads.push(stack);
    return { trailArn: TRAIL_ARN, logBucketName: "audit-log-bucket", homeRegion: "eu-west-1", kmsKeyArn: KMS_KEY_ARN };
  };

  before(function () {
    signingKey = makeSigningKey();
  });

  beforeEach(async function () {
    fixture = ChainFixture.build({ signingKey, start: START, digests: 24, logsPerDigest: 1 });
    fixture.put(fixture.trail.bucket, "review/2024/03/01/review-2024-03-02T01:00:00Z.json", Buffer.from('{"outcome":"clean"}'));
    fixture.put(fixture.trail.bucket, "review/2024/03/03/review-2024-03-04T01:00:00Z.json", Buffer.from('{"outcome":"clean"}'));
    aws = mockedAws();
    serveEstate(aws, fixture);
    out = path.join(await makeTempDir("package"), "pkg");
    stackReads.length = 0;
  });

  afterEach(async function () {
    await removeDir(path.dirname(out));
  });

  async function runPackage(extra: string[] = []): Promise<{ code: number; io: CapturedIO }> {
    const io = new CapturedIO();
    const code = await main(["package", "--stack", "prd", ...PERIOD, "--out", out, ...extra], io, {
      clients: aws.clients,
      readStackOutputs,
      now: () => new Date("2024-03-05T00:00:00Z"),
    });
    return { code, io };
  }

  it("writes every item of the period, reading the trail and bucket from the stack outputs", async function () {
    const { code, io } = await runPackage();
    assert.equal(code, 0, io.err + io.out);
    assert.deepEqual(stackReads, ["prd"]);
    assert.deepEqual(await listFiles(out), EXPECTED_FILES);
    const verification = JSON.parse(await fs.readFile(path.join(out, "verification/result.json"), "utf8"));
    assert.equal(verification.valid, true);
    assert.equal(verification.digestsChecked, 24);
    const lock = JSON.parse(await fs.readFile(path.join(out, "log-bucket/object-lock.json"), "utf8"));
    assert.equal(lock.ObjectLockConfiguration.Rule.DefaultRetention.Mode, "COMPLIANCE");
    assert.equal("$metadata" in lock, false, "SDK response metadata is not evidence");
    const config = JSON.parse(await fs.readFile(path.join(out, "config/compliance-by-config-rule.json"), "utf8"));
    assert.deepEqual(
      config.ComplianceByConfigRules.map((r: { ConfigRuleName: string }) => r.ConfigRuleName),
      ["cloud-trail-log-file-validation-enabled", "s3-bucket-public-read-prohibited"],
    );
    const coverage = JSON.parse(await fs.readFile(path.join(out, "review-records/coverage.json"), "utf8"));
    assert.deepEqual(coverage.missingDays, [], "the one day of the period has its review; the review of 03/03 is outside");
    assert.equal(await fs.readFile(path.join(out, "review-records/2024/03/01/review-2024-03-02T01:00:00Z.json"), "utf8"), '{"outcome":"clean"}');
  });

  it("verifies through verifyTrailOnS3 (the one trail -> S3 store -> walk sequence), on the trail it resolved once", async function () {
    // Module exports are read-only bindings under the test transpiler (as under native ESM), so
    // the one home is checked where it is decided, the package's imports, and its effect by
    // behaviour: the trail resolved for trail/get-trail.json is the one verified (one GetTrail).
    const source = await fs.readFile(path.resolve(__dirname, "../../evidence/package/build.ts"), "utf8");
    assert.match(source, /import \{[^}]*\bverifyTrailOnS3\b[^}]*\} from "\.\.\/\.\.\/cloudtrail\/trail-verification"/);
    assert.doesNotMatch(source, /\bS3DigestStore\b|\bverifyTrailLogs\b/, "no second resolve -> store -> walk sequence in the package");
    const { code, io } = await runPackage();
    assert.equal(code, 0, io.err + io.out);
    const verification = JSON.parse(await fs.readFile(path.join(out, "verification/result.json"), "utf8"));
    assert.equal(verification.valid, true);
    assert.ok(verification.digestsChecked > 0, "the package verified the trail's digests");
    assert.equal(aws.cloudTrailMock.commandCalls(GetTrailCommand).length, 1, "GetTrail once per package");
  });

  it("writes a SHA256SUMS that covers every other file with its correct hash", async function () {
    const { code } = await runPackage();
    assert.equal(code, 0);
    const lines = (await fs.readFile(path.join(out, "SHA256SUMS"), "utf8")).trim().split("\n");
    const listed = new Map(
      lines.map((line) => {
        const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
        assert.ok(m, `sha256sum format: ${line}`);
        return [m[2], m[1]] as const;
      }),
    );
    const files = (await listFiles(out)).filter((f) => f !== "SHA256SUMS");
    assert.deepEqual([...listed.keys()].sort(), files);
    for (const file of files) {
      const actual = crypto
        .createHash("sha256")
        .update(await fs.readFile(path.join(out, file)))
        .digest("hex");
      assert.equal(listed.get(file), actual, file);
    }
  });

  it("maps each item to the controls it evidences in index.json and index.md", async function () {
    await runPackage();
    const index = JSON.parse(await fs.readFile(path.join(out, "index.json"), "utf8"));
    assert.equal(index.stack, "prd");
    assert.equal(index.trailArn, TRAIL_ARN);
    assert.equal(index.kmsKeyArn, KMS_KEY_ARN);
    assert.deepEqual(index.period, { start: "2024-03-01T00:00:00Z", end: "2024-03-02T00:00:00Z" });
    const controlsOf = (file: string) => index.items.find((i: { path: string }) => i.path === file)?.controls as string[];
    assert.ok(controlsOf("log-bucket/object-lock.json").includes("PCI DSS 10.5.1"));
    assert.ok(controlsOf("verification/result.json").includes("PCI DSS 10.3"));
    assert.ok(controlsOf("review-records/2024/03/01/review-2024-03-02T01:00:00Z.json").includes("PCI DSS 10.4.1"));
    assert.ok(controlsOf("trail/trail-status.json").includes("PCI DSS 10.2"));
    for (const control of Object.keys(CONTROLS)) {
      assert.ok(
        index.items.some((i: { controls: string[] }) => i.controls.includes(control)),
        `${control} is evidenced by some item`,
      );
    }
    const files = new Set(await listFiles(out));
    for (const item of index.items) assert.ok(files.has(item.path), `index points at an existing file: ${item.path}`);
    const md = await fs.readFile(path.join(out, "index.md"), "utf8");
    assert.match(md, /\| `log-bucket\/object-lock.json` \| Object Lock configuration/);
    assert.match(md, /\*\*HIPAA 164\.312\(b\)\*\*/);
    assert.match(md, /Integrity verification: \*\*VALID\*\*/);
  });

  it("records absent AWS Config and Object Lock instead of failing", async function () {
    aws.configMock.reset();
    aws.configMock.on(DescribeComplianceByConfigRuleCommand).resolves({ ComplianceByConfigRules: [] });
    aws.s3Mock
      .on(GetObjectLockConfigurationCommand)
      .rejects(Object.assign(new Error("Object Lock configuration does not exist for this bucket"), { name: "ObjectLockConfigurationNotFoundError" }));
    const { code, io } = await runPackage();
    assert.equal(code, 0, io.err);
    const index = JSON.parse(await fs.readFile(path.join(out, "index.json"), "utf8"));
    const status = (file: string) => index.items.find((i: { path: string }) => i.path === file).status;
    assert.equal(status("config/compliance-by-config-rule.json"), "absent");
    assert.equal(status("log-bucket/object-lock.json"), "absent");
    assert.deepEqual(JSON.parse(await fs.readFile(path.join(out, "log-bucket/object-lock.json"), "utf8")).absent, true);
    assert.match(io.out, /note: log-bucket\/object-lock.json: absent/);
  });

  it("uses --trail-arn and --log-bucket without asking Pulumi, and exits 1 when the chain does not verify", async function () {
    const log = fixture.digests[10].logKeys[0];
    fixture.get(fixture.trail.bucket, log).body = gzip("altered");
    const { code, io } = await runPackage(["--trail-arn", TRAIL_ARN, "--log-bucket", "audit-log-bucket"]);
    assert.equal(code, 1);
    assert.deepEqual(stackReads, []);
    assert.match(io.out, /Integrity verification: INVALID/);
    const result = JSON.parse(await fs.readFile(path.join(out, "verification/result.json"), "utf8"));
    assert.deepEqual(
      result.findings.map((f: { kind: string; key: string }) => [f.kind, f.key]),
      [["log-hash-mismatch", log]],
    );
    assert.ok((await listFiles(out)).includes("SHA256SUMS"), "the package is still complete");
  });

  it("exits 2 when the stack has no trailArn output", async function () {
    const io = new CapturedIO();
    const code = await main(["package", "--stack", "dev", ...PERIOD, "--out", out], io, {
      clients: aws.clients,
      readStackOutputs: async () => ({ logBucketName: "b" }),
    });
    assert.equal(code, 2);
    assert.match(io.err, /stack dev has no "trailArn" output; pass --trail-arn/);
  });

  it("lists the UTC days of a period, an end at midnight adding no day", function () {
    assert.deepEqual(periodDays(new Date("2024-02-28T12:00:00Z"), new Date("2024-03-01T00:00:00Z")), ["2024/02/28", "2024/02/29"]);
    assert.deepEqual(periodDays(new Date("2024-03-01T00:00:00Z"), new Date("2024-03-01T00:00:01Z")), ["2024/03/01"]);
  });
});
