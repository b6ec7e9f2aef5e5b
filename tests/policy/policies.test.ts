// Each policy, the compliance-policies way: the compliant stack passes, and each field that can
// break it, mutated alone, yields that policy's violation at the right level. Every style
// (v7 split resources, BucketV2 + *V2 resources, legacy inline arguments) and both views (first
// preview with unknown ids, and known outputs) go through the policy SDK's own analyzer.
import { strict as assert } from "assert";
import { byPolicy, compliantStack, LOG_BUCKET, StackFixture, Style, UNKNOWN } from "../../offline/fixtures/policy-stacks";
import { stackModelBuilds } from "../../policy/lib/stack-model";
import type { PolicyPackConfig } from "../../offline/analyze";
import devPolicyConfig from "../../policy/config/dev.json";
import prdPolicyConfig from "../../policy/config/prd.json";

const P = {
  validation: "aws-cloudtrail-trail-enable-log-file-validation",
  lock: "aws-s3-bucket-require-object-lock-compliance",
  pab: "aws-s3-bucket-require-public-access-block",
  sse: "aws-s3-bucket-require-sse-kms-trail-logs",
  trailKms: "aws-cloudtrail-trail-require-kms-key",
  rotation: "aws-kms-key-enable-rotation",
  retention: "aws-s3-bucket-require-retention-365-days",
  logGroup: "aws-cloudwatch-loggroup-require-retention-365-days",
  multiRegion: "aws-cloudtrail-trail-require-multi-region-global-events",
  scope: "aws-cloudtrail-trail-restrict-data-event-scope",
  versioning: "aws-s3-bucket-require-versioning-trail-logs",
  bucketPolicy: "aws-s3-bucketpolicy-require-cloudtrail-source-arn-and-tls",
  protect: "aws-s3-bucket-protect-trail-logs",
  tamper: "aws-cloudwatch-eventrule-require-tamper-alerts",
  inStack: "aws-cloudtrail-trail-require-log-bucket-in-stack",
  accessLogging: "aws-s3-bucket-require-access-logging-trail-logs",
  database: "aws-rds-dynamodb-require-audit-logs",
};

/**
 * The mutated policy reports the violation at `level`, and every OTHER policy stays silent, except
 * those named in `alsoReading` (policies that read the same field by design, e.g. M2 and M5 both
 * judge a bucket without Object Lock).
 */
async function expectViolation(f: StackFixture, policy: string, level: "mandatory" | "advisory", message: RegExp, alsoReading: string[] = []) {
  const vs = await f.evaluate();
  const found = byPolicy(vs, policy);
  assert.ok(found.length > 0, `expected a ${policy} violation; got ${JSON.stringify(vs, null, 1)}`);
  assert.ok(
    found.some((v) => message.test(v.message)),
    `no ${policy} message matches ${message}: ${found.map((v) => v.message).join(" | ")}`,
  );
  for (const v of found) assert.equal(v.level, level, `${policy}: ${v.message}`);
  const others = vs.filter((v) => v.policy !== policy && !alsoReading.includes(v.policy));
  assert.deepEqual(
    others.map((v) => `${v.policy}: ${v.message}`),
    [],
    `policies other than ${policy} spoke`,
  );
  return found;
}

const STYLES: Style[] = ["v7", "v2", "inline"];
const splitName = (style: Style, v7: string) => (style === "inline" ? "log-bucket" : v7);

for (const style of STYLES) {
  for (const firstPreview of [true, false]) {
    const view = firstPreview ? "first preview" : "known outputs";
    describe(`policy pack, ${style} style, ${view}`, () => {
      const stack = () => compliantStack(style, firstPreview);

      it("passes the compliant stack with no violation at all", async () => {
        assert.deepEqual(await stack().evaluate(), []);
      });

      it("M1: a trail without log file validation is a mandatory violation", async () => {
        await expectViolation(stack().set("trail", "enableLogFileValidation", false), P.validation, "mandatory", /log file validation disabled/);
        await expectViolation(stack().set("trail", "enableLogFileValidation", undefined), P.validation, "mandatory", /unset \(off by default\)/);
      });

      it("M2: a log bucket without Object Lock at all (M5 then reports the missing retention too)", async () => {
        const f = stack();
        if (style === "inline") f.set("log-bucket", "objectLockConfiguration", undefined);
        else f.set("log-bucket", "objectLockEnabled", undefined).remove("log-lock");
        await expectViolation(f, P.lock, "mandatory", /has no Object Lock: neither objectLockEnabled: true nor a lock configuration/, [P.retention]);
        assert.ok(
          byPolicy(await f.evaluate(), P.retention).some(
            (v) => v.level === "mandatory" && /has no Object Lock: nothing keeps its log files 365 days/.test(v.message),
          ),
        );
      });

      it("M2: Object Lock on but no lock at creation: inline objectLockEnabled unset", async () => {
        const f = stack();
        if (style === "inline") f.set("log-bucket", "objectLockConfiguration.objectLockEnabled", undefined);
        else f.set("log-bucket", "objectLockEnabled", undefined).remove("log-versioning");
        // v7/V2: the lock configuration cannot enable Object Lock on an unversioned bucket.
        const message = style === "inline" ? /has no Object Lock/ : /is not versioned, so its lock configuration \(log-lock\) cannot enable Object Lock/;
        await expectViolation(f, P.lock, "mandatory", message, style === "inline" ? [] : [P.versioning]);
      });

      if (style !== "inline") {
        it("M2: a versioned bucket without objectLockEnabled whose lock configuration enables COMPLIANCE retention is compliant (S3 since 2023)", async () => {
          assert.deepEqual(await stack().set("log-bucket", "objectLockEnabled", undefined).evaluate(), []);
          assert.deepEqual(await stack().set("log-bucket", "objectLockEnabled", false).evaluate(), []);
        });
      }

      it("M2: GOVERNANCE instead of COMPLIANCE", async () => {
        const f = stack();
        if (style === "inline") f.set("log-bucket", "objectLockConfiguration.rule.defaultRetention.mode", "GOVERNANCE");
        else f.set("log-lock", "rule.defaultRetention.mode", "GOVERNANCE");
        await expectViolation(f, P.lock, "mandatory", /default retention mode GOVERNANCE .*COMPLIANCE is required/);
      });

      it("M2: no default retention at all (and M5: nothing keeps 365 days)", async () => {
        const f = stack();
        if (style === "inline") f.set("log-bucket", "objectLockConfiguration.rule", undefined);
        else f.remove("log-lock");
        await expectViolation(f, P.lock, "mandatory", /has no Object Lock default retention/, [P.retention]);
        assert.ok(byPolicy(await f.evaluate(), P.retention).some((v) => /has no Object Lock default retention: nothing keeps/.test(v.message)));
      });

      for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) {
        it(`M3: ${flag} false on any bucket`, async () => {
          await expectViolation(
            stack().set("data-pab", flag, false),
            P.pab,
            "mandatory",
            new RegExp(`"org-medical-backups" public access block data-pab leaves ${flag} off`),
          );
        });
      }

      it("M3: a bucket without a public access block, even the access-log bucket", async () => {
        await expectViolation(stack().remove("access-pab"), P.pab, "mandatory", /"org-access-logs" has no public access block/);
      });

      it("M3: an account-level block with all four flags covers every bucket, even one whose own block leaves a flag off", async () => {
        const account = { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true };
        const f = stack()
          .remove("data-pab")
          .set("access-pab", "restrictPublicBuckets", false)
          .add("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", "account-pab", account);
        assert.deepEqual(await f.evaluate(), []);
      });

      it("M3: an account-level block with one flag off covers the other three only", async () => {
        const account = { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: false };
        const f = stack().set("data-pab", "blockPublicAcls", false).add("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", "account-pab", account);
        assert.deepEqual(byPolicy(await f.evaluate(), P.pab), []);
        await expectViolation(
          stack().remove("data-pab").add("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", "account-pab", account),
          P.pab,
          "mandatory",
          /"org-medical-backups" has no public access block, and the account block leaves restrictPublicBuckets off/,
        );
      });

      it("M4: SSE-S3 on the trail log bucket", async () => {
        const f = stack();
        if (style === "inline") f.set("log-bucket", "serverSideEncryptionConfiguration.rule.applyServerSideEncryptionByDefault", { sseAlgorithm: "AES256" });
        else f.set("log-sse", "rules", [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }]);
        await expectViolation(f, P.sse, "mandatory", /encrypts with AES256 .*SSE-KMS \(aws:kms or aws:kms:dsse\) is required/);
      });

      it("M4: the AWS managed key aws/s3", async () => {
        const f = stack();
        const d = { sseAlgorithm: "aws:kms", kmsMasterKeyId: "alias/aws/s3" };
        if (style === "inline") f.set("log-bucket", "serverSideEncryptionConfiguration.rule.applyServerSideEncryptionByDefault", d);
        else f.set("log-sse", "rules", [{ applyServerSideEncryptionByDefault: d, bucketKeyEnabled: true }]);
        await expectViolation(f, P.sse, "mandatory", /uses the AWS managed key aws\/s3/);
      });

      it("M4: the bucket key off", async () => {
        const f = stack();
        if (style === "inline") f.set("log-bucket", "serverSideEncryptionConfiguration.rule.bucketKeyEnabled", false);
        else f.set("log-sse", "rules.0.bucketKeyEnabled", false);
        await expectViolation(f, P.sse, "mandatory", /S3 bucket key off/);
      });

      it("M4: no encryption configuration on the trail log bucket", async () => {
        const f = stack();
        if (style === "inline") f.set("log-bucket", "serverSideEncryptionConfiguration", undefined);
        else f.remove("log-sse");
        await expectViolation(f, P.sse, "mandatory", /has no default encryption configuration/);
      });

      it("M4: the SSE-S3 access-log bucket is not mistaken for a trail log bucket", async () => {
        const vs = await stack().evaluate();
        assert.deepEqual(byPolicy(vs, P.sse), []);
      });

      it("M2-M5 before the trail is created: the trail's resource policy refuses a log bucket whose seen inputs break them", async () => {
        // Inline arguments are in the bucket's inputs; split configurations name the bucket by a
        // known name only once it exists (known view, as in pulumi up).
        if (style !== "inline" && firstPreview) return;
        const f = stack();
        if (style === "inline") f.set("log-bucket", "objectLockConfiguration.rule.defaultRetention", { mode: "GOVERNANCE", days: 30 });
        else f.set("log-lock", "rule.defaultRetention", { mode: "GOVERNANCE", days: 30 });
        const vs = await f.evaluate();
        for (const policy of [P.lock, P.retention]) {
          const onTrail = byPolicy(vs, policy).filter((v) => v.phase === "resource");
          assert.equal(onTrail.length, 1, `${policy}: ${JSON.stringify(vs, null, 1)}`);
          assert.equal(onTrail[0].resource, "aws:cloudtrail/trail:Trail::trail");
          assert.equal(onTrail[0].level, "mandatory");
          assert.match(onTrail[0].message, /Trail "trail" would write into bucket "org-trail-logs", whose inputs already break this policy/);
        }
        assert.match(byPolicy(vs, P.lock).find((v) => v.phase === "resource")!.message, /default retention mode GOVERNANCE/);
        assert.match(byPolicy(vs, P.retention).find((v) => v.phase === "resource")!.message, /locks objects for 30 day\(s\)/);
      });

      it("M4: a trail without kmsKeyId, and a key without rotation", async () => {
        await expectViolation(stack().set("trail", "kmsKeyId", undefined), P.trailKms, "mandatory", /sets no kmsKeyId/);
        await expectViolation(stack().set("trail-key", "enableKeyRotation", false), P.rotation, "mandatory", /does not rotate/);
      });

      it("M5: lock retention below 365 days (and 1 year counts as 365)", async () => {
        const f = stack();
        if (style === "inline") f.set("log-bucket", "objectLockConfiguration.rule.defaultRetention.days", 30);
        else f.set("log-lock", "rule.defaultRetention.days", 30);
        await expectViolation(f, P.retention, "mandatory", /locks objects for 30 day\(s\) .*at least 365 days/);
        const year = stack();
        const field = style === "inline" ? "objectLockConfiguration.rule.defaultRetention" : "rule.defaultRetention";
        year.set(splitName(style, "log-lock"), field, { mode: "COMPLIANCE", years: 1 });
        assert.deepEqual(byPolicy(await year.evaluate(), P.retention), []);
      });

      it("M5: a lifecycle rule that expires current versions before 365 days", async () => {
        const f = stack();
        if (style === "inline") f.set("log-bucket", "lifecycleRules.0.expiration", { days: 90 });
        else f.set("log-lifecycle", "rules.0.expiration", { days: 90 });
        await expectViolation(f, P.retention, "mandatory", /lifecycle rule tier expires current versions after 90 days/);
      });

      it("M5: a lifecycle rule that expires noncurrent versions before 365 days", async () => {
        const f = stack();
        if (style === "inline") f.set("log-bucket", "lifecycleRules.0.noncurrentVersionExpiration", { days: 30 });
        else f.set("log-lifecycle", "rules.0.noncurrentVersionExpiration", { noncurrentDays: 30 });
        await expectViolation(f, P.retention, "mandatory", /expires noncurrent versions after 30 days/);
      });

      it("M5: the trail's log group kept less than 365 days (unset means never expire)", async () => {
        await expectViolation(stack().set("trail-log-group", "retentionInDays", 90), P.logGroup, "mandatory", /keeps events 90 days; at least 365/);
        assert.deepEqual(byPolicy(await stack().set("trail-log-group", "retentionInDays", undefined).evaluate(), P.logGroup), []);
      });

      it("advisory: a single-region trail, or one without global events", async () => {
        await expectViolation(stack().set("trail", "isMultiRegionTrail", false), P.multiRegion, "advisory", /records one region only/);
        await expectViolation(stack().set("trail", "includeGlobalServiceEvents", false), P.multiRegion, "advisory", /excludes global service events/);
      });

      it("advisory: data events of all buckets, or of the log bucket itself", async () => {
        await expectViolation(
          stack().set("trail", "advancedEventSelectors.1.fieldSelectors.2.startsWiths", ["arn:aws:s3"]),
          P.scope,
          "advisory",
          /all buckets/,
        );
        await expectViolation(
          stack().set("trail", "advancedEventSelectors.1.fieldSelectors.2.startsWiths", ["arn:aws:s3:::org-trail-logs/"]),
          P.scope,
          "advisory",
          /own log bucket org-trail-logs/,
        );
        await expectViolation(
          stack().set("trail", "eventSelectors", [{ dataResources: [{ type: "AWS::S3::Object", values: ["arn:aws:s3:::"] }] }]),
          P.scope,
          "advisory",
          /all buckets \(eventSelectors/,
        );
      });

      it("advisory: a bucket policy without aws:SourceArn or without the TLS deny", async () => {
        const f = stack();
        const doc = {
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "s3:PutObject", Resource: "*" }],
        };
        if (style === "inline") f.set("log-bucket", "policy", JSON.stringify(doc));
        else f.set("log-policy", "policy", JSON.stringify(doc));
        const found = await expectViolation(f, P.bucketPolicy, "advisory", /lets CloudTrail s3:PutObject without an aws:SourceArn condition/);
        assert.ok(found.some((v) => /does not deny requests without TLS/.test(v.message)));
      });

      it("advisory: force-destroy or an unprotected log bucket or trail key", async () => {
        await expectViolation(stack().set("log-bucket", "forceDestroy", true), P.protect, "advisory", /sets forceDestroy/);
        await expectViolation(stack().setProtect("log-bucket", false), P.protect, "advisory", /is not protected/);
        await expectViolation(stack().setProtect("trail-key", false), P.protect, "advisory", /KMS key "trail-key" of trail "trail" is not protected/);
      });

      it("advisory: tamper operations not watched by any EventBridge rule", async () => {
        const pattern = JSON.stringify({ detail: { eventName: ["StopLogging", "DeleteTrail"] } });
        await expectViolation(
          stack().set("tamper-rule", "eventPattern", pattern),
          P.tamper,
          "advisory",
          /No EventBridge rule watches: UpdateTrail, PutEventSelectors/,
        );
      });

      if (style !== "inline") {
        it("advisory: a log bucket without Object Lock and without versioning", async () => {
          const f = stack().set("log-bucket", "objectLockEnabled", false).remove("log-versioning");
          await expectViolation(f, P.versioning, "advisory", /is not versioned/, [P.lock]);
        });
      }

      it("E6: a trail log bucket without server access logging (CIS 3.6); the access-log bucket itself is not asked", async () => {
        const f = stack();
        if (style === "inline") f.set("log-bucket", "logging", undefined);
        else f.remove("log-bucket-logging");
        await expectViolation(f, P.accessLogging, "advisory", /"org-trail-logs" has no server access logging \(E6, CIS 3\.6\)/);
      });

      it("advisory: a trail writing into a bucket outside the stack is said, not passed silently", async () => {
        const f = stack().set("trail", "s3BucketName", "org-archive-account-trail-logs");
        f.resources.find((r) => r.name === "trail")!.propertyDependencies.s3BucketName = [];
        await expectViolation(
          f,
          P.inStack,
          "advisory",
          /writes into bucket "org-archive-account-trail-logs", which is not in this program: .*check the bucket in its own stack/,
        );
      });

      it("E16: an Aurora MySQL cluster without audit log export, and its export log group kept 30 days", async () => {
        const cluster = { engine: "aurora-mysql", clusterIdentifier: "records-db", enabledCloudwatchLogsExports: ["audit", "error"] };
        assert.deepEqual(await stack().add("aws:rds/cluster:Cluster", "records-db", cluster).evaluate(), []);
        await expectViolation(
          stack().add("aws:rds/cluster:Cluster", "records-db", { ...cluster, enabledCloudwatchLogsExports: ["error"] }),
          P.database,
          "advisory",
          /RDS cluster "records-db" \(aurora-mysql\) does not export its audit log/,
        );
        const group = stack()
          .add("aws:rds/cluster:Cluster", "records-db", cluster)
          .add("aws:cloudwatch/logGroup:LogGroup", "records-audit", { name: "/aws/rds/cluster/records-db/audit", retentionInDays: 30 });
        await expectViolation(
          group,
          P.database,
          "advisory",
          /Log group "\/aws\/rds\/cluster\/records-db\/audit" of RDS cluster "records-db" keeps its logs 30 days/,
        );
      });

      it("E16: a DynamoDB table tagged as regulated whose data events no trail records", async () => {
        const table = { name: "patient-index", tags: { DataClassification: "PHI" } };
        await expectViolation(
          stack().add("aws:dynamodb/table:Table", "patient-index", table),
          P.database,
          "advisory",
          /table "patient-index" holds regulated data \(DataClassification=PHI\) but no trail records its data events/,
        );
        const selector = {
          name: "ddb",
          fieldSelectors: [
            { field: "eventCategory", equals: ["Data"] },
            { field: "resources.type", equals: ["AWS::DynamoDB::Table"] },
          ],
        };
        const f = stack().add("aws:dynamodb/table:Table", "patient-index", table);
        const trail = f.resources.find((r) => r.name === "trail")!;
        for (const o of [trail.rawInputs, trail.rawOutputs]) (o.advancedEventSelectors as unknown[]).push(selector);
        assert.deepEqual(await f.evaluate(), []);
        // Untagged tables are not judged unless the policy's config says allTables.
        const untagged = stack().add("aws:dynamodb/table:Table", "cache", { name: "cache" });
        assert.deepEqual(await untagged.evaluate(), []);
        assert.equal(byPolicy(await untagged.evaluate({ [P.database]: { allTables: true } }), P.database).length, 1);
      });
    });
  }
}

describe("policy pack: unknown values never make a MUST check pass", () => {
  it("an unknown retention mode is reported as 'cannot run during preview', not passed", async () => {
    const f = compliantStack("v7").set("log-lock", "rule.defaultRetention.mode", UNKNOWN);
    const found = byPolicy(await f.evaluate(), P.lock);
    assert.equal(found.length, 1);
    assert.equal(found[0].level, "advisory");
    assert.match(
      found[0].message,
      /can't run policy 'aws-s3-bucket-require-object-lock-compliance' .* during preview: .*retention mode of org-trail-logs \(log-lock\)/,
    );
  });
  it("an unknown lock configuration link that names no resource keeps a missing retention undetermined", async () => {
    const f = compliantStack("v7");
    const lock = f.resources.find((r) => r.name === "log-lock")!;
    lock.propertyDependencies = {};
    const found = byPolicy(await f.evaluate(), P.lock);
    assert.equal(found.length, 1);
    assert.match(found[0].message, /during preview: .*bucket is unknown and names no resource/);
  });
  it("a definite violation is still mandatory when another item is unknown", async () => {
    const f = compliantStack("v7")
      .set("log-lock", "rule.defaultRetention.mode", UNKNOWN)
      .set("log-bucket", "objectLockEnabled", false)
      .remove("log-versioning");
    const found = byPolicy(await f.evaluate(), P.lock);
    assert.deepEqual(found.map((v) => v.level).sort(), ["advisory", "mandatory"]);
  });
  it("an unknown log file validation flag is not a pass", async () => {
    const found = byPolicy(await compliantStack("v7").set("trail", "enableLogFileValidation", UNKNOWN).evaluate(), P.validation);
    assert.equal(found.length, 1);
    assert.match(found[0].message, /can't run policy .* during preview/);
  });
});

describe("policy pack: enforcement per stack", () => {
  const mutated = () => compliantStack("v7").set("trail", "enableLogFileValidation", false);
  it("no config: the MUST items are mandatory (dev2, prd and any stack not configured otherwise)", async () => {
    assert.equal(byPolicy(await mutated().evaluate(), P.validation)[0].level, "mandatory");
  });
  it("dev's config makes every MUST item advisory", async () => {
    assert.equal(byPolicy(await mutated().evaluate(devPolicyConfig as PolicyPackConfig), P.validation)[0].level, "advisory");
  });
  it("prd's config keeps them mandatory", async () => {
    assert.equal(byPolicy(await mutated().evaluate(prdPolicyConfig as PolicyPackConfig), P.validation)[0].level, "mandatory");
  });
  it("'all' applies a level to every policy, as the CLI expands it", async () => {
    assert.equal(byPolicy(await mutated().evaluate({ all: "advisory" }), P.validation)[0].level, "advisory");
    assert.deepEqual(await mutated().evaluate({ all: "disabled" }), []);
  });
  it("a config naming a policy the pack does not have is refused", async () => {
    await assert.rejects(
      mutated().evaluate({ "aws-no-such-policy": "advisory" }),
      /names "aws-no-such-policy", which is not a policy of pack audit-trail-must/,
    );
  });
});

describe("policy pack: review findings", () => {
  const MIRRORS = ["policy", "serverSideEncryptionConfiguration", "lifecycleRules", "objectLockConfiguration", "versioning"];

  it("a v7 stack whose buckets carry the provider's unknown inline mirrors (a real first preview) still passes", async () => {
    const f = compliantStack("v7");
    for (const r of f.resources.filter((x) => x.type === "aws:s3/bucket:Bucket")) for (const k of MIRRORS) r.rawOutputs[k] = UNKNOWN;
    const vs = await f.evaluate();
    assert.deepEqual(
      vs.filter((v) => ![P.bucketPolicy].includes(v.policy)),
      [],
    );
  });

  it("a trail whose bucket is unknown and names no resource makes the MUST bucket checks undetermined, not passed", async () => {
    const f = compliantStack("v7").set("trail", "s3BucketName", UNKNOWN).set("log-bucket", "objectLockEnabled", false);
    f.resources.find((r) => r.name === "trail")!.propertyDependencies.s3BucketName = [];
    for (const policy of [P.lock, P.sse, P.retention]) {
      const found = byPolicy(await f.evaluate(), policy);
      assert.ok(
        found.some((v) => v.level === "advisory" && /during preview: .*s3BucketName is unknown and names no resource/.test(v.message)),
        `${policy}: ${JSON.stringify(found)}`,
      );
    }
  });

  it("in a stack without a trail (a log-archive account), a bucket whose policy is unknown may receive trail logs: undetermined", async () => {
    const f = compliantStack("v7").remove("trail").set("log-policy", "policy", UNKNOWN).set("log-lock", "rule.defaultRetention.mode", "GOVERNANCE");
    const found = byPolicy(await f.evaluate(), P.lock);
    assert.equal(found.length, 1);
    assert.equal(found[0].level, "advisory");
    assert.match(found[0].message, /bucket org-trail-logs may receive CloudTrail logs: its policy is not known until the update/);
  });

  it("in a stack without a trail, a bucket whose known policy lets CloudTrail write is judged as a trail log bucket", async () => {
    const f = compliantStack("v7").remove("trail").set("log-lock", "rule.defaultRetention.mode", "GOVERNANCE");
    const found = byPolicy(await f.evaluate(), P.lock);
    assert.equal(found[0].level, "mandatory");
  });

  it("an unknown inline lifecycle the program did not set (per Analyze's inputs) is no lifecycle; without Analyze it stays undetermined", async () => {
    const f = compliantStack("v7").remove("log-lifecycle");
    assert.equal(f.resources.find((r) => r.name === "log-bucket")!.rawOutputs.lifecycleRules, UNKNOWN);
    assert.deepEqual(await f.evaluate(), []);
    const found = byPolicy(await f.evaluate(undefined, { analyze: false }), P.retention);
    assert.equal(found.length, 1);
    assert.match(found[0].message, /during preview: .*lifecycleRules of org-trail-logs/);
  });

  it("unset is not unknown: a v7 bucket created without any lock is mandatory on the first preview; without Analyze, undetermined (today's behaviour)", async () => {
    const f = compliantStack("v7").set("log-bucket", "objectLockEnabled", undefined).remove("log-lock");
    assert.equal(f.resources.find((r) => r.name === "log-bucket")!.rawOutputs.objectLockEnabled, UNKNOWN);
    const decided = byPolicy(await f.evaluate(), P.lock);
    assert.ok(decided.length > 0 && decided.every((v) => v.level === "mandatory"), JSON.stringify(decided));
    const degraded = byPolicy(await f.evaluate(undefined, { analyze: false }), P.lock);
    assert.equal(degraded.length, 1);
    assert.equal(degraded[0].level, "advisory");
    assert.match(degraded[0].message, /can't run policy .* during preview: .*objectLockEnabled of org-trail-logs; objectLockConfiguration of org-trail-logs/);
  });

  it("an unset SSE configuration on a v7 bucket is a mandatory violation on the first preview", async () => {
    const found = byPolicy(await compliantStack("v7").remove("log-sse").evaluate(), P.sse);
    assert.deepEqual(
      found.map((v) => [v.level, v.message]),
      [["mandatory", `Trail log bucket "${LOG_BUCKET}" has no default encryption configuration (SSE-KMS required).`]],
    );
  });

  it("every message renders unknown values: an auto-named log group (name unknown) that keeps too few days", async () => {
    const f = compliantStack("v7").set("trail-log-group", "name", UNKNOWN).set("trail-log-group", "retentionInDays", 30);
    const found = byPolicy(await f.evaluate(), P.logGroup);
    assert.deepEqual(
      found.map((v) => [v.level, v.message]),
      [["mandatory", 'Log group "trail-log-group" of trail "trail" keeps events 30 days; at least 365 are required.']],
    );
    const policy = compliantStack("v7").set(
      "log-policy",
      "policy",
      JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: ["s3:PutObject", UNKNOWN] }] }),
    );
    assert.ok(byPolicy(await policy.evaluate(), P.bucketPolicy).some((v) => /lets CloudTrail s3:PutObject,/.test(v.message)));
  });

  it("the stack model is built once per AnalyzeStack request, whatever the number of stack policies", async () => {
    const before = stackModelBuilds();
    await compliantStack("v2").evaluate();
    assert.equal(stackModelBuilds() - before, 1);
  });

  it("a lifecycle configuration whose bucket cannot be followed keeps M5 undetermined", async () => {
    const f = compliantStack("v7").set("log-lifecycle", "rules.0.expiration", { days: 30 });
    f.resources.find((r) => r.name === "log-lifecycle")!.propertyDependencies = {};
    const found = byPolicy(await f.evaluate(), P.retention);
    assert.equal(found.length, 1);
    assert.equal(found[0].level, "advisory");
    assert.match(found[0].message, /BucketLifecycleConfiguration "log-lifecycle": bucket is unknown and names no resource/);
  });

  it("provider state's zero-filled days with years: 1 is 365 days (no false positive on updates)", async () => {
    const f = compliantStack("v7", false).set("log-lock", "rule.defaultRetention", { mode: "COMPLIANCE", days: 0, years: 1 });
    assert.deepEqual(byPolicy(await f.evaluate(), P.retention), []);
  });

  it("DSSE-KMS needs no bucket key (S3 Bucket Keys do not apply to it)", async () => {
    const f = compliantStack("v7")
      .set("log-sse", "rules.0.applyServerSideEncryptionByDefault.sseAlgorithm", "aws:kms:dsse")
      .set("log-sse", "rules.0.bucketKeyEnabled", false);
    assert.deepEqual(byPolicy(await f.evaluate(), P.sse), []);
  });

  it("a trail whose log group cannot be followed is undetermined for the log group retention", async () => {
    const f = compliantStack("v7").set("trail-log-group", "retentionInDays", 7);
    f.resources.find((r) => r.name === "trail")!.propertyDependencies.cloudWatchLogsGroupArn = [];
    const found = byPolicy(await f.evaluate(), P.logGroup);
    assert.equal(found.length, 1);
    assert.match(found[0].message, /cloudWatchLogsGroupArn is unknown and names no log group/);
  });
});
