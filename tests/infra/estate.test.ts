// The estate program, per stack, under the mocked runtime with the real Pulumi.<stack>.yaml:
// every MUST item (M1-M5) and estate row (E1-E7, E11) asserted by name.
import { strict as assert } from "assert";
import { MOCK_ACCOUNT_ID } from "../../offline/mocks";
import { asList, resourcesOf, Resources, statement, statements, STACKS } from "../support/estate";
import { AUDITOR_ROLE_ARN, P, SHARED_OPTIONS } from "./shared-options";

const ACCOUNT = MOCK_ACCOUNT_ID;
const REGION = "ap-northeast-1";
const T = {
  bucket: "aws:s3/bucket:Bucket",
  lock: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
  sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  pab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
  ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  logging: "aws:s3/bucketLogging:BucketLogging",
  policy: "aws:s3/bucketPolicy:BucketPolicy",
  trail: "aws:cloudtrail/trail:Trail",
  key: "aws:kms/key:Key",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
};

// Expected per stack, written out here (not read from the profile code) so a change of the
// stack files or of the defaults fails a test.
const EXPECTED = {
  dev: { mode: "GOVERNANCE", days: 1, logGroupDays: 30, accessLogDays: 90, protect: false, channel: "bs-notification-dev" },
  dev2: { mode: "COMPLIANCE", days: 365, logGroupDays: 365, accessLogDays: 365, protect: true, channel: "bs-notification-stg" },
  prd: { mode: "COMPLIANCE", days: 365, logGroupDays: 400, accessLogDays: 400, protect: true, channel: "bs-notification-prd" },
} as const;

const bucketNameOf = (purpose: string, stack: string) => `audit-${purpose}-${stack}-${ACCOUNT}-${REGION}`;

for (const stack of STACKS) {
  const want = EXPECTED[stack];
  const logBucketName = bucketNameOf("trail-logs", stack);
  const accessLogBucketName = bucketNameOf("access-logs", stack);
  const dataBucketName = bucketNameOf("backup-data", stack);
  const trailArn = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/audit-trail-${stack}`;

  describe(`estate program, stack ${stack}`, () => {
    let r: Resources;
    let auditKeyArn: string;
    let dataKeyArn: string;
    before(async () => {
      r = await resourcesOf(stack);
      auditKeyArn = r.one(T.key, "audit-key").rawOutputs.arn as string;
      dataKeyArn = r.one(T.key, "backup-data-key").rawOutputs.arn as string;
    });

    describe("trail (M1, M4, E1, E2, E7)", () => {
      it("validates log files, is multi-region with global events, logs, and is not an organisation trail by default", () => {
        const t = r.one(T.trail, "audit-trail").inputs;
        assert.equal(t.enableLogFileValidation, true);
        assert.equal(t.isMultiRegionTrail, true);
        assert.equal(t.includeGlobalServiceEvents, true);
        assert.equal(t.enableLogging, true);
        assert.equal(t.isOrganizationTrail, false);
        assert.equal(t.name, `audit-trail-${stack}`);
      });
      it("encrypts with the estate key and writes to the immutable log bucket", () => {
        const t = r.one(T.trail, "audit-trail").inputs;
        assert.equal(t.kmsKeyId, auditKeyArn);
        assert.equal(t.s3BucketName, logBucketName);
        assert.notEqual(auditKeyArn, dataKeyArn);
      });
      it("records all management events, read and write, nothing excluded (E1)", () => {
        const selectors = r.one(T.trail, "audit-trail").inputs.advancedEventSelectors;
        const mgmt = selectors.find((s: any) => s.fieldSelectors.some((f: any) => f.field === "eventCategory" && f.equals?.[0] === "Management"));
        assert.ok(mgmt, "no management events selector");
        assert.deepEqual(mgmt.fieldSelectors, [{ field: "eventCategory", equals: ["Management"] }]);
      });
      it("records S3 object events of the data bucket only: read and write, never all buckets, never the log bucket (E2)", () => {
        const selectors = r.one(T.trail, "audit-trail").inputs.advancedEventSelectors;
        assert.equal(selectors.length, 2);
        const data = selectors.find((s: any) => s.fieldSelectors.some((f: any) => f.field === "eventCategory" && f.equals?.[0] === "Data"));
        const field = (name: string) => data.fieldSelectors.find((f: any) => f.field === name);
        assert.deepEqual(field("resources.type").equals, ["AWS::S3::Object"]);
        assert.deepEqual(field("resources.ARN").startsWiths, [`arn:aws:s3:::${dataBucketName}/`]);
        // No readOnly or eventName filter: GetObject, PutObject, DeleteObject (and batch deletes,
        // copies, multipart uploads) are all recorded, reads and writes alike.
        assert.equal(field("readOnly"), undefined);
        assert.equal(field("eventName"), undefined);
        assert.equal(data.fieldSelectors.length, 3);
      });
      it("delivers to the KMS-encrypted log group through a role with AWS's documented trust (no source conditions) (E7)", () => {
        const t = r.one(T.trail, "audit-trail");
        const group = r.one(T.logGroup, "audit-trail-log-group");
        assert.equal(t.inputs.cloudWatchLogsGroupArn, `${group.rawOutputs.arn}:*`);
        assert.equal(group.inputs.name, `/aws/cloudtrail/audit-trail-${stack}`);
        assert.equal(group.inputs.kmsKeyId, auditKeyArn);
        assert.equal(group.inputs.retentionInDays, want.logGroupDays);
        const role = r.one(T.role, "audit-trail-cloudwatch-delivery");
        assert.equal(t.inputs.cloudWatchLogsRoleArn, role.rawOutputs.arn);
        const trust = statements(role.inputs.assumeRolePolicy);
        // cloudtrail-required-policy-for-cloudwatch-logs.html: the role "doesn't support the use of
        // aws:SourceArn and aws:SourceAccount" (conditions there break delivery).
        assert.deepEqual(trust, [
          { Sid: "CloudTrailAssumesToDeliverToCloudWatchLogs", Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "sts:AssumeRole" },
        ]);
        const policy = statement(r.one(T.rolePolicy, "audit-trail-cloudwatch-delivery").inputs.policy, "DeliverToThisLogGroupOnly");
        assert.deepEqual(asList(policy.Action).sort(), ["logs:CreateLogStream", "logs:PutLogEvents"]);
        assert.deepEqual(asList(policy.Resource), [`${group.rawOutputs.arn}:log-stream:*`]);
      });
      it("waits for the bucket policy and the key (CloudTrail checks both when the trail is created)", () => {
        const t = r.one(T.trail, "audit-trail");
        const policy = r.one(T.policy, "trail-log-bucket-policy");
        assert.ok(t.dependencies.includes(policy.urn), "trail does not depend on the log bucket policy");
        // The key: CloudTrail's CreateTrail checks the key policy too (InsufficientEncryptionPolicyException).
        // kmsKeyId is the audit key's ARN output, so the engine records the key among the trail's dependencies.
        const key = r.one(T.key, "audit-key");
        assert.equal(t.inputs.kmsKeyId, key.rawOutputs.arn);
        assert.ok(t.dependencies.includes(key.urn), "trail does not depend on the audit key");
        assert.deepEqual(t.propertyDependencies.kmsKeyId, [key.urn], "kmsKeyId is not taken from the audit key");
      });
    });

    describe("immutable log bucket (M2, M3, M4, M5, E3, E4)", () => {
      it("is a dedicated bucket with Object Lock enabled at creation and never force-destroyed", () => {
        const b = r.one(T.bucket, "trail-log-bucket").inputs;
        assert.equal(b.bucket, logBucketName);
        assert.equal(b.objectLockEnabled, true);
        assert.equal(b.forceDestroy, false);
        assert.notEqual(logBucketName, dataBucketName);
      });
      it(`has default retention ${want.mode} for ${want.days} day(s)`, () => {
        const lock = r.forBucket(T.lock, logBucketName).inputs;
        assert.equal(lock.objectLockEnabled, "Enabled");
        assert.equal(lock.rule.defaultRetention.mode, want.mode);
        assert.equal(lock.rule.defaultRetention.days, want.days);
        assert.equal(lock.rule.defaultRetention.years, undefined);
      });
      it("is versioned", () => {
        assert.equal(r.forBucket(T.versioning, logBucketName).inputs.versioningConfiguration.status, "Enabled");
      });
      it("encrypts with SSE-KMS, the estate key, bucket key on", () => {
        const rule = r.forBucket(T.sse, logBucketName).inputs.rules[0];
        assert.equal(rule.applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
        assert.equal(rule.applyServerSideEncryptionByDefault.kmsMasterKeyId, auditKeyArn);
        assert.equal(rule.bucketKeyEnabled, true);
      });
      it("blocks public access with all four flags, and enforces bucket ownership", () => {
        const pab = r.forBucket(T.pab, logBucketName).inputs;
        assert.equal(pab.blockPublicAcls, true);
        assert.equal(pab.blockPublicPolicy, true);
        assert.equal(pab.ignorePublicAcls, true);
        assert.equal(pab.restrictPublicBuckets, true);
        assert.equal(r.forBucket(T.ownership, logBucketName).inputs.rule.objectOwnership, "BucketOwnerEnforced");
      });
      it("tiers to GLACIER_IR at 90 days and DEEP_ARCHIVE at 400 days (the first year queryable), objects of 128 KB and more only, and never expires a version (E4, M5)", () => {
        const lifecycle = r.forBucket(T.lifecycle, logBucketName).inputs;
        assert.equal(lifecycle.transitionDefaultMinimumObjectSize, "all_storage_classes_128K");
        const rules = lifecycle.rules;
        assert.equal(rules.length, 1);
        const [rule] = rules;
        assert.equal(rule.status, "Enabled");
        assert.deepEqual(rule.filter, { prefix: "" });
        assert.deepEqual(rule.transitions, [
          { days: 90, storageClass: "GLACIER_IR" },
          { days: 400, storageClass: "DEEP_ARCHIVE" },
        ]);
        assert.deepEqual(rule.noncurrentVersionTransitions, [
          { noncurrentDays: 90, storageClass: "GLACIER_IR" },
          { noncurrentDays: 400, storageClass: "DEEP_ARCHIVE" },
        ]);
        assert.equal(rule.expiration, undefined);
        assert.equal(rule.noncurrentVersionExpiration, undefined);
      });
      it("sends its server access logs to the access-log bucket (E6)", () => {
        const logging = r.forBucket(T.logging, logBucketName).inputs;
        assert.equal(logging.targetBucket, accessLogBucketName);
        assert.equal(logging.targetPrefix, `s3/${logBucketName}/`);
      });
      it(`is ${want.protect ? "" : "not "}protected and ${want.protect ? "" : "not "}retained on delete, with its lock configuration`, () => {
        for (const res of [r.one(T.bucket, "trail-log-bucket"), r.forBucket(T.lock, logBucketName), r.one(T.policy, "trail-log-bucket-policy")]) {
          assert.equal(res.protect, want.protect, `${res.name}.protect`);
          assert.equal(res.retainOnDelete, want.protect, `${res.name}.retainOnDelete`);
        }
      });
    });

    describe("log bucket policy (E5)", () => {
      let policy: string;
      before(() => {
        policy = r.one(T.policy, "trail-log-bucket-policy").inputs.policy;
      });
      it("lets CloudTrail read the bucket ACL for this trail only, exactly as AWS documents it (aws:SourceArn)", () => {
        const s = statement(policy, "AWSCloudTrailAclCheck");
        assert.equal(s.Effect, "Allow");
        assert.deepEqual(s.Principal, { Service: "cloudtrail.amazonaws.com" });
        assert.equal(s.Action, "s3:GetBucketAcl");
        assert.equal(s.Resource, `arn:aws:s3:::${logBucketName}`);
        assert.deepEqual(s.Condition, { StringEquals: { "aws:SourceArn": trailArn } });
      });
      it("lets CloudTrail write under AWSLogs/<account>/ only, bound to this trail (AWS's documented statement)", () => {
        const s = statement(policy, "AWSCloudTrailWrite");
        assert.equal(s.Effect, "Allow");
        assert.deepEqual(s.Principal, { Service: "cloudtrail.amazonaws.com" });
        assert.equal(s.Action, "s3:PutObject");
        assert.deepEqual(asList(s.Resource), [`arn:aws:s3:::${logBucketName}/AWSLogs/${ACCOUNT}/*`]);
        assert.deepEqual(s.Condition, { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trailArn } });
      });
      it("denies every request without TLS", () => {
        const s = statement(policy, "DenyInsecureTransport");
        assert.equal(s.Effect, "Deny");
        assert.equal(s.Principal, "*");
        assert.equal(s.Action, "s3:*");
        assert.deepEqual(asList(s.Resource), [`arn:aws:s3:::${logBucketName}`, `arn:aws:s3:::${logBucketName}/*`]);
        assert.equal(s.Condition?.Bool["aws:SecureTransport"], "false");
      });
      it("denies PutObject by any principal other than the CloudTrail service, outside review/", () => {
        const s = statement(policy, "DenyWritesByOthers");
        assert.equal(s.Effect, "Deny");
        assert.equal(s.Principal, "*");
        assert.equal(s.Action, "s3:PutObject");
        assert.deepEqual(asList(s.NotResource), [`arn:aws:s3:::${logBucketName}/review/*`]);
        assert.equal(s.Resource, undefined);
        assert.equal(s.Condition?.StringNotEquals["aws:PrincipalServiceName"], "cloudtrail.amazonaws.com");
      });
      it("lets only the daily review's role write under review/ (E14)", () => {
        const s = statement(policy, "DenyReviewWritesByOthers");
        assert.equal(s.Effect, "Deny");
        assert.equal(s.Action, "s3:PutObject");
        assert.deepEqual(asList(s.Resource), [`arn:aws:s3:::${logBucketName}/review/*`]);
        assert.equal(s.Condition?.ArnNotEquals["aws:PrincipalArn"], `arn:aws:iam::${ACCOUNT}:role/audit-${stack}-daily-review`);
        assert.equal(r.one(T.role, "daily-review-function-role").rawOutputs.arn, `arn:aws:iam::${ACCOUNT}:role/audit-${stack}-daily-review`);
      });
      it("allows nothing else", () => {
        const allows = statements(policy)
          .filter((s) => s.Effect === "Allow")
          .map((s) => s.Sid);
        assert.deepEqual(allows, ["AWSCloudTrailAclCheck", "AWSCloudTrailWrite"]);
      });
    });

    describe("estate KMS key (M4)", () => {
      let key: any;
      before(() => {
        key = r.one(T.key, "audit-key");
      });
      it("rotates, keeps the longest deletion window, and is protected in dev2/prd", () => {
        assert.equal(key.inputs.enableKeyRotation, true);
        assert.equal(key.inputs.deletionWindowInDays, 30);
        assert.equal(key.protect, want.protect);
        assert.equal(key.retainOnDelete, want.protect);
      });
      it("lets CloudTrail encrypt for this trail only", () => {
        const s = statement(key.inputs.policy, "AllowCloudTrailToEncryptThisTrail");
        assert.deepEqual(s.Principal, { Service: "cloudtrail.amazonaws.com" });
        assert.equal(s.Action, "kms:GenerateDataKey*");
        assert.equal(s.Condition?.StringEquals["aws:SourceArn"], trailArn);
        assert.equal(s.Condition?.StringLike["kms:EncryptionContext:aws:cloudtrail:arn"], `arn:aws:cloudtrail:*:${ACCOUNT}:trail/*`);
      });
      it("lets CloudWatch Logs use it for the estate's own log groups only", () => {
        const s = statement(key.inputs.policy, "AllowCloudWatchLogsForTheEstateLogGroups");
        assert.deepEqual(s.Principal, { Service: `logs.${REGION}.amazonaws.com` });
        const lg = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:`;
        assert.deepEqual(s.Condition?.ArnLike["kms:EncryptionContext:aws:logs:arn"], [
          `${lg}/aws/cloudtrail/audit-trail-${stack}`,
          `${lg}/aws/lambda/audit-${stack}-*`,
          `${lg}/aws/apigateway/audit-${stack}-*`,
          `${lg}aws-waf-logs-audit-${stack}-*`,
          `${lg}/aws/vendedlogs/states/audit-${stack}-*`,
        ]);
      });
      it("encrypts every log group of the estate with a key whose policy admits that group", () => {
        const keys = r.ofType(T.key);
        for (const g of r.ofType(T.logGroup)) {
          const key = keys.find((k) => k.rawOutputs.arn === g.inputs.kmsKeyId);
          assert.ok(key, `${g.name} is not encrypted with one of the estate's keys`);
          const patterns = asList(
            statement(key.inputs.policy, "AllowCloudWatchLogsForTheEstateLogGroups").Condition?.ArnLike["kms:EncryptionContext:aws:logs:arn"],
          );
          const matches = (arn: string) =>
            patterns.some((p) => new RegExp("^" + p.replace(/[.*+?^${}()|[\]\\/]/g, (c) => (c === "*" ? ".*" : "\\" + c)) + "$").test(arn));
          assert.ok(matches(g.rawOutputs.arn as string), `${g.rawOutputs.arn} is not covered by the policy of ${key.name}`);
        }
      });
      it("grants no decrypt to anyone but the services when no auditor role is configured", () => {
        const sids = statements(key.inputs.policy).map((s) => s.Sid);
        assert.ok(!sids.includes("AllowAuditorsToDecryptLogsThroughS3"));
      });
    });

    describe("access-log bucket (E6)", () => {
      it("uses SSE-S3, the only encryption server access logging accepts", () => {
        const rule = r.forBucket(T.sse, accessLogBucketName).inputs.rules[0];
        assert.equal(rule.applyServerSideEncryptionByDefault.sseAlgorithm, "AES256");
        assert.equal(rule.applyServerSideEncryptionByDefault.kmsMasterKeyId, undefined);
      });
      it("has no Object Lock (S3 cannot deliver access logs into a locked bucket)", () => {
        assert.notEqual(r.one(T.bucket, "access-log-bucket").inputs.objectLockEnabled, true);
        assert.equal(r.ofType(T.lock).filter((l) => l.inputs.bucket === accessLogBucketName).length, 0);
      });
      it("blocks public access with all four flags", () => {
        const pab = r.forBucket(T.pab, accessLogBucketName).inputs;
        assert.deepEqual([pab.blockPublicAcls, pab.blockPublicPolicy, pab.ignorePublicAcls, pab.restrictPublicBuckets], [true, true, true, true]);
      });
      it(`expires access logs after ${want.accessLogDays} days, and keeps a replaced or hidden version as long (PCI DSS 10.5.1)`, () => {
        const rule = r.forBucket(T.lifecycle, accessLogBucketName).inputs.rules[0];
        assert.equal(rule.expiration.days, want.accessLogDays);
        assert.equal(rule.noncurrentVersionExpiration.noncurrentDays, want.accessLogDays);
      });
      it(`${want.protect ? "denies" : "allows (clean-ups)"} deleting access logs: only the lifecycle rule expires them`, () => {
        const found = statements(r.one(T.policy, "access-log-bucket-policy").inputs.policy).find((s) => s.Sid === "DenyDeletesExceptByLifecycle");
        if (!want.protect) return assert.equal(found, undefined);
        assert.ok(found);
        assert.equal(found.Effect, "Deny");
        assert.equal(found.Principal, "*");
        assert.deepEqual(asList(found.Action).sort(), ["s3:DeleteObject", "s3:DeleteObjectVersion"]);
        assert.deepEqual(asList(found.Resource), [`arn:aws:s3:::${accessLogBucketName}/*`]);
      });
      it("lets only the S3 logging service of this account write, over TLS", () => {
        const policy = r.one(T.policy, "access-log-bucket-policy").inputs.policy;
        const s = statement(policy, "S3ServerAccessLogsPolicy");
        assert.deepEqual(s.Principal, { Service: "logging.s3.amazonaws.com" });
        assert.equal(s.Condition?.StringEquals["aws:SourceAccount"], ACCOUNT);
        assert.ok(statement(policy, "DenyInsecureTransport"));
      });
    });

    describe("backup-data bucket (E11)", () => {
      it("encrypts with its own KMS key, bucket key on", () => {
        const rule = r.forBucket(T.sse, dataBucketName).inputs.rules[0];
        assert.equal(rule.applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
        assert.equal(rule.applyServerSideEncryptionByDefault.kmsMasterKeyId, dataKeyArn);
        assert.equal(rule.bucketKeyEnabled, true);
        assert.equal(r.one(T.key, "backup-data-key").inputs.enableKeyRotation, true);
      });
      it("is versioned, blocks public access, enforces ownership and logs access", () => {
        assert.equal(r.forBucket(T.versioning, dataBucketName).inputs.versioningConfiguration.status, "Enabled");
        const pab = r.forBucket(T.pab, dataBucketName).inputs;
        assert.deepEqual([pab.blockPublicAcls, pab.blockPublicPolicy, pab.ignorePublicAcls, pab.restrictPublicBuckets], [true, true, true, true]);
        assert.equal(r.forBucket(T.ownership, dataBucketName).inputs.rule.objectOwnership, "BucketOwnerEnforced");
        assert.equal(r.forBucket(T.logging, dataBucketName).inputs.targetBucket, accessLogBucketName);
      });
      it("denies requests without TLS and uploads encrypted with anything but its key", () => {
        const policy = r.one(T.policy, "backup-data-bucket-policy").inputs.policy;
        assert.equal(statement(policy, "DenyInsecureTransport").Condition?.Bool["aws:SecureTransport"], "false");
        const otherKeys = statement(policy, "DenyOtherEncryptionKeys");
        assert.equal(otherKeys.Condition?.StringNotEqualsIfExists["s3:x-amz-server-side-encryption-aws-kms-key-id"], dataKeyArn);
        const nonKms = statement(policy, "DenyNonKmsEncryption");
        assert.equal(nonKms.Condition?.StringNotEqualsIfExists["s3:x-amz-server-side-encryption"], "aws:kms");
      });
      it(`is ${want.protect ? "" : "not "}protected`, () => {
        assert.equal(r.one(T.bucket, "backup-data-bucket").protect, want.protect);
        assert.equal(r.one(T.bucket, "backup-data-bucket").inputs.forceDestroy, false);
      });
    });

    describe("stack outputs an auditor needs", () => {
      it("names the trail, buckets, keys, retention and home region", () => {
        assert.equal(r.output("trailArn"), trailArn);
        assert.equal(r.output("logBucketName"), logBucketName);
        assert.equal(r.output("accessLogBucketName"), accessLogBucketName);
        assert.deepEqual(r.output("dataBucketNames"), [dataBucketName]);
        assert.equal(r.output("kmsKeyArn"), auditKeyArn);
        assert.equal(r.output("dataKmsKeyArn"), dataKeyArn);
        assert.deepEqual(r.output("retention"), { mode: want.mode, days: want.days });
        assert.equal(r.output("homeRegion"), REGION);
        assert.equal(r.output("trailLogGroup"), `/aws/cloudtrail/audit-trail-${stack}`);
        assert.equal(r.output("slackChannel"), want.channel);
      });
    });

    it("never force-destroys a bucket", () => {
      for (const b of r.ofType(T.bucket)) assert.notEqual(b.inputs.forceDestroy, true, b.name);
    });
    it("gives every bucket a public access block with all four flags", () => {
      for (const b of r.ofType(T.bucket)) {
        const pab = r.forBucket(T.pab, b.inputs.bucket).inputs;
        assert.ok(pab.blockPublicAcls && pab.blockPublicPolicy && pab.ignorePublicAcls && pab.restrictPublicBuckets, b.name);
      }
    });
  });
}

const AUDITOR = AUDITOR_ROLE_ARN;

describe("estate program options", () => {
  it("refuses a key in a mistyped namespace (audit-trail-estat:retentionDays), before anything is created", async () => {
    await assert.rejects(
      resourcesOf("prd", { "audit-trail-estat:retentionDays": "30" }),
      /audit-trail-estat:retentionDays: unknown namespace "audit-trail-estat"/,
    );
  });
  it("refuses a prd stack relabelled dev (it would lose protect, posture services and its channel)", async () => {
    await assert.rejects(resourcesOf("prd", { [`${P}:environment`]: "dev" }), /environment: dev is weaker than the stack's name says \(prd is a prd stack\)/);
  });
  it("refuses to run in an account other than the one the stack pins", async () => {
    await assert.rejects(
      resourcesOf("prd", { [`${P}:accountId`]: "999988887777" }),
      /stack prd is pinned to account 999988887777 \(config accountId\) but the credentials are of account 123456789012/,
    );
  });
  it("a stack that does not own the account's singletons creates none of them", async () => {
    const r = await resourcesOf("prd", SHARED_OPTIONS);
    for (const type of [
      "aws:cfg/recorder:Recorder",
      "aws:guardduty/detector:Detector",
      "aws:securityhub/account:Account",
      "aws:inspector2/enabler:Enabler",
      "aws:accessanalyzer/analyzer:Analyzer",
      "aws:apigateway/account:Account",
    ]) {
      assert.equal(r.ofType(type).length, 0, type);
    }
    const owner = await resourcesOf("prd");
    for (const type of [
      "aws:cfg/recorder:Recorder",
      "aws:guardduty/detector:Detector",
      "aws:securityhub/account:Account",
      "aws:inspector2/enabler:Enabler",
      "aws:accessanalyzer/analyzer:Analyzer",
      "aws:apigateway/account:Account",
    ]) {
      assert.equal(owner.ofType(type).length, 1, type);
    }
  });
  it("an organisation trail (E15): AWS's organisation-trail bucket statements, the id passed to the review and exported", async () => {
    const r = await resourcesOf("prd", SHARED_OPTIONS);
    assert.equal(r.one(T.trail, "audit-trail").inputs.isOrganizationTrail, true);
    const bucket = bucketNameOf("trail-logs", "prd");
    const trail = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/audit-trail-prd`;
    const policy = r.one(T.policy, "trail-log-bucket-policy").inputs.policy;
    assert.deepEqual(asList(statement(policy, "AWSCloudTrailWrite").Resource), [`arn:aws:s3:::${bucket}/AWSLogs/${ACCOUNT}/*`]);
    const org = statement(policy, "AWSCloudTrailOrganizationWrite");
    assert.deepEqual(org, {
      Sid: "AWSCloudTrailOrganizationWrite",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: `arn:aws:s3:::${bucket}/AWSLogs/o-abcdef1234/*`,
      Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail } },
    });
    const env = r.one("aws:lambda/function:Function", "daily-review-function").inputs.environment.variables;
    assert.equal(env.ORGANIZATION_ID, "o-abcdef1234");
    assert.equal(r.output("organizationId"), "o-abcdef1234");
  });
  it("without an organisation trail: no organisation statement, no ORGANIZATION_ID, no organizationId output", async () => {
    const r = await resourcesOf("prd");
    assert.ok(!statements(r.one(T.policy, "trail-log-bucket-policy").inputs.policy).some((s) => s.Sid === "AWSCloudTrailOrganizationWrite"));
    assert.equal(r.one("aws:lambda/function:Function", "daily-review-function").inputs.environment.variables.ORGANIZATION_ID, undefined);
    assert.equal(r.output("organizationId"), null, "exported as null: the evidence commands read a single-account trail");
  });
  it("existing data buckets replace the created one in the data events scope (E2, E11)", async () => {
    const r = await resourcesOf("prd", {
      [`${P}:createDataBucket`]: "false",
      [`${P}:existingDataBuckets`]: JSON.stringify(["medical-backups-a", "medical-backups-b"]),
    });
    assert.equal(r.ofType(T.bucket).filter((b) => b.name === "backup-data-bucket").length, 0);
    assert.equal(r.ofType(T.key).filter((k) => k.name === "backup-data-key").length, 0);
    const selectors = r.one(T.trail, "audit-trail").inputs.advancedEventSelectors;
    const arns = selectors[1].fieldSelectors.find((f: any) => f.field === "resources.ARN").startsWiths;
    assert.deepEqual(arns, ["arn:aws:s3:::medical-backups-a/", "arn:aws:s3:::medical-backups-b/"]);
    assert.deepEqual(r.output("dataBucketNames"), ["medical-backups-a", "medical-backups-b"]);
  });
  it("auditor roles may decrypt the logs through S3 in this account only, named by aws:PrincipalArn (a missing role cannot break the key policy)", async () => {
    const auditor = AUDITOR;
    const r = await resourcesOf("prd", SHARED_OPTIONS);
    const s = statement(r.one(T.key, "audit-key").inputs.policy, "AllowAuditorsToDecryptLogsThroughS3");
    // KMS refuses a key policy naming a principal that does not exist (MalformedPolicyDocumentException):
    // the principal is the account, and the role is a condition value, which KMS does not resolve.
    assert.deepEqual(s.Principal, { AWS: `arn:aws:iam::${ACCOUNT}:root` });
    assert.equal(s.Condition?.ArnEquals["aws:PrincipalArn"], auditor);
    const keyPrincipals = statements(r.one(T.key, "audit-key").inputs.policy).flatMap((x) =>
      typeof x.Principal === "object" ? asList((x.Principal as any).AWS) : [],
    );
    assert.ok(!keyPrincipals.includes(auditor), "no statement names the role as a principal");
    // GenerateDataKey: Athena results of their queries are encrypted with this key.
    assert.deepEqual(asList(s.Action).sort(), ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"]);
    assert.equal(s.Condition?.StringEquals["kms:ViaService"], `s3.${REGION}.amazonaws.com`);
    assert.equal(s.Condition?.StringEquals["kms:CallerAccount"], ACCOUNT);
  });
  it("a prd configuration below the MUST items fails the program with the key, the value and the rule", async () => {
    await assert.rejects(
      resourcesOf("prd", { [`${P}:retentionDays`]: "30", [`${P}:retentionMode`]: "GOVERNANCE" }),
      (e: Error) =>
        /retentionDays: 30 is below the 365 days prd requires \(M5\)/.test(e.message) &&
        /retentionMode: GOVERNANCE is not allowed in prd: M2 requires COMPLIANCE/.test(e.message),
    );
  });
});

describe("estate program: review findings", () => {
  it("creates the trail only after every part of the log bucket (lock, encryption, policy, ownership)", async () => {
    const r = await resourcesOf("prd");
    const trail = r.one("aws:cloudtrail/trail:Trail", "audit-trail");
    const bucket = `audit-trail-logs-prd-${MOCK_ACCOUNT_ID}-ap-northeast-1`;
    for (const type of [T.lock, T.sse, T.policy, T.pab, T.ownership, T.versioning]) {
      const part = type === T.policy ? r.one(T.policy, "trail-log-bucket-policy") : r.forBucket(type, bucket);
      assert.ok(trail.dependencies.includes(part.urn), `trail does not wait for ${part.name}`);
    }
  });
  for (const [stack, denied] of [
    ["prd", true],
    ["dev2", true],
    ["dev", false],
  ] as const) {
    it(`${denied ? "denies" : "allows (clean-ups)"} object deletion and retention changes on the log bucket in ${stack}`, async () => {
      const r = await resourcesOf(stack);
      const found = statements(r.one(T.policy, "trail-log-bucket-policy").inputs.policy).find((s) => s.Sid === "DenyDeletesAndRetentionChanges");
      if (!denied) return assert.equal(found, undefined);
      assert.ok(found);
      assert.equal(found.Effect, "Deny");
      assert.equal(found.Principal, "*");
      assert.deepEqual(asList(found.Action).sort(), [
        "s3:BypassGovernanceRetention",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:PutObjectLegalHold",
        "s3:PutObjectRetention",
      ]);
      assert.deepEqual(asList(found.Resource), [`arn:aws:s3:::audit-trail-logs-${stack}-${MOCK_ACCOUNT_ID}-ap-northeast-1/*`]);
    });
  }
  it("lists every enabled region of the account in the Athena projection, opt-in ones included", async () => {
    const r = await resourcesOf("prd");
    const regions = r.one("aws:glue/catalogTable:CatalogTable", "audit-queries-cloudtrail-table").inputs.parameters["projection.region.values"].split(",");
    assert.ok(regions.includes("ap-east-1"), "opt-in region missing");
    assert.ok(regions.includes("ap-northeast-1"));
  });
  it("leaves the account's API Gateway logging role to another stack when told to", async () => {
    const r = await resourcesOf("prd", SHARED_OPTIONS);
    assert.equal(r.ofType("aws:apigateway/account:Account").length, 0);
    assert.equal((await resourcesOf("prd")).ofType("aws:apigateway/account:Account").length, 1);
  });
  it("makes the Config delivery channel wait for its role's permissions", async () => {
    const r = await resourcesOf("prd");
    const channel = r.one("aws:cfg/deliveryChannel:DeliveryChannel", "security-posture-delivery");
    assert.ok(channel.dependencies.includes(r.one("aws:iam/rolePolicy:RolePolicy", "security-posture-config-role-delivery").urn));
    assert.ok(channel.dependencies.includes(r.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "security-posture-config-role-managed").urn));
  });
});
