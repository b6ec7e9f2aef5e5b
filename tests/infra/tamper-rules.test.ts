// E8 proof on what AWS really writes (issue 10): every EventBridge rule the program registers (prd,
// under the mocked runtime) is evaluated with the project's EventBridge matcher against real
// CloudTrail records (tests/fixtures/cloudtrail-records, each with its origin), wrapped as
// EventBridge delivers them. With the estate's names substituted, every tamper operation matches
// its rule; as recorded (other accounts, other resources) nothing matches; records of calls that
// are not tamper operations match nothing. Each metric filter is evaluated the same way.
import { strict as assert } from "assert";
import { MOCK_ACCOUNT_ID } from "../../offline/mocks";
import { TAMPER_CATALOGUE, TamperOperation, tamperOperation } from "../../policy/lib/tamper-events";
import { trailMonitors } from "../../infra/components/anomaly-alarms";
import { findingPatterns } from "../../infra/components/security-posture";
import { deliveredTo, derivedRecord, EstateTargets, onEstate, realRecords } from "../support/cloudtrail-records";
import { resourcesOf, Resources } from "../support/estate";
import { cloudTrailEnvelope, matchesPattern } from "../support/eventbridge-pattern";
import { compileFilterPattern } from "../support/logs-filter-pattern";

const ACCOUNT = MOCK_ACCOUNT_ID;
const REGION = "ap-northeast-1";
const STACK = "prd";

interface RegisteredRule {
  name: string;
  state: string;
  pattern: object;
}

/** Names of the rules that would receive the event (state and pattern both allow it). */
function rulesMatching(rules: RegisteredRule[], record: Record<string, any>, account = ACCOUNT): string[] {
  const event = cloudTrailEnvelope(record, { account });
  return rules.filter((r) => deliveredTo(r.state, record) && matchesPattern(r.pattern, event)).map((r) => r.name);
}

const RULE_OF: Record<TamperOperation["concern"], string> = {
  trail: "tamper-rules-trail",
  key: "tamper-rules-key",
  bucket: "tamper-rules-bucket",
  "alert-path": "tamper-rules-alert-path",
};

describe("tamper rules on real CloudTrail records (E8, issue 10)", () => {
  let r: Resources;
  let rules: RegisteredRule[];
  let estate: EstateTargets;
  const records = realRecords();

  before(async () => {
    r = await resourcesOf(STACK);
    rules = r
      .ofType("aws:cloudwatch/eventRule:EventRule")
      .map((x) => ({ name: x.name, state: x.inputs.state ?? "ENABLED", pattern: JSON.parse(x.inputs.eventPattern) }));
    estate = {
      accountId: ACCOUNT,
      region: REGION,
      base: `audit-${STACK}`,
      trailName: `audit-trail-${STACK}`,
      trailArn: `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/audit-trail-${STACK}`,
      trailLogGroupName: `/aws/cloudtrail/audit-trail-${STACK}`,
      bucketName: `audit-trail-logs-${STACK}-${ACCOUNT}-${REGION}`,
      keyArn: r.one("aws:kms/key:Key", "alert-key").rawOutputs.arn as string,
      topicArn: r.one("aws:sns/topic:Topic", "alert-delivery-topic").rawOutputs.arn as string,
    };
  });

  it("the fixtures are real records with their origin, and cover every watched service", () => {
    assert.ok(records.length >= 150, `${records.length} records`);
    for (const x of records) {
      assert.ok(x.origin && (x.origin.repository || x.origin.url), `${x.file}: no origin`);
      if (x.origin.repository) assert.match(String(x.origin.commit), /^[0-9a-f]{40}$/, `${x.file}: origin commit`);
      assert.equal(typeof x.record.eventName, "string", x.file);
    }
    const services = new Set(records.map((x) => x.record.eventSource));
    for (const s of new Set(TAMPER_CATALOGUE.map((op) => op.eventSource))) assert.ok(services.has(s), `no real record of ${s}`);
  });

  it("a real tamper record, as recorded (someone else's trail, key or bucket), matches no rule", () => {
    for (const x of records.filter((x) => tamperOperation(x.record.eventName, x.record.eventSource))) {
      assert.deepEqual(rulesMatching(rules, x.record, x.record.recipientAccountId ?? ACCOUNT), [], x.file);
      // Even delivered to our bus, another account's resource is not ours.
      assert.deepEqual(rulesMatching(rules, x.record), [], `${x.file} on our bus`);
    }
  });

  it("every real record of a call that is not a tamper operation matches no rule, on our names too", () => {
    const others = records.filter((x) => !tamperOperation(x.record.eventName, x.record.eventSource));
    assert.ok(others.length >= 60, `${others.length}`);
    for (const x of others) {
      assert.deepEqual(rulesMatching(rules, x.record), [], x.file);
      // The same call on the estate's bucket/key is still not a tamper operation (unless denied on the log bucket).
      const onOurs = JSON.parse(JSON.stringify(x.record));
      if (onOurs.requestParameters?.bucketName) onOurs.requestParameters.bucketName = estate.bucketName;
      if (onOurs.requestParameters?.keyId) onOurs.requestParameters.keyId = estate.keyArn;
      const want =
        onOurs.requestParameters?.bucketName === estate.bucketName && onOurs.errorCode === "AccessDenied" ? ["tamper-rules-log-bucket-access-denied"] : [];
      assert.deepEqual(rulesMatching(rules, onOurs), want, `${x.file} on the estate`);
    }
  });

  const realOps = () => records.filter((x) => tamperOperation(x.record.eventName, x.record.eventSource));

  it("every real tamper record, on the estate's resources, matches exactly its concern's rule", () => {
    const seen = new Set<string>();
    for (const x of realOps()) {
      const op = tamperOperation(x.record.eventName, x.record.eventSource)!;
      const onOurs = onEstate(x.record, op, estate);
      const want = [RULE_OF[op.concern]];
      // A denied call on the log bucket is also a probe.
      if (op.concern === "bucket" && onOurs.errorCode === "AccessDenied") want.push("tamper-rules-log-bucket-access-denied");
      assert.deepEqual(rulesMatching(rules, onOurs).sort(), want.sort(), `${x.file} (${x.description})`);
      seen.add(x.record.eventName);
    }
    // The operations proven on real records (the rest are derived below).
    for (const name of [
      "StopLogging",
      "DeleteTrail",
      "UpdateTrail",
      "PutEventSelectors",
      "DisableKey",
      "ScheduleKeyDeletion",
      "PutKeyPolicy",
      "DisableKeyRotation",
      "DeleteBucket",
      "PutBucketPolicy",
      "PutBucketLifecycle",
      "PutBucketVersioning",
      "DeleteBucketPublicAccessBlock",
      "PutBucketPublicAccessBlock",
      "PutBucketEncryption",
      "DeleteBucketEncryption",
      "PutBucketLogging",
      "PutBucketAcl",
      "PutRule",
      "DeleteTopic",
      "PutMetricAlarm",
      "StopConfigurationRecorder",
      "DeleteDeliveryChannel",
    ]) {
      assert.ok(seen.has(name), `no real record of ${name}`);
    }
  });

  it("a KMS record with resources: null is matched by requestParameters.keyId (panther: missing resources)", () => {
    const x = records.find((y) => y.record.eventName === "ScheduleKeyDeletion" && y.record.resources === null)!;
    assert.ok(x, "fixture with resources: null");
    const onOurs = onEstate(x.record, tamperOperation("ScheduleKeyDeletion")!, estate);
    assert.equal(onOurs.resources, null);
    assert.equal(onOurs.requestParameters.keyId, estate.keyArn.split("/").pop());
    assert.deepEqual(rulesMatching(rules, onOurs), ["tamper-rules-key"]);
    // The ARN form of keyId too (the KMS guide's DisableKeyRotation record uses it).
    assert.deepEqual(rulesMatching(rules, { ...onOurs, requestParameters: { ...onOurs.requestParameters, keyId: estate.keyArn } }), ["tamper-rules-key"]);
    // A key of another account with the same id is not ours.
    const foreign = estate.keyArn.replace(ACCOUNT, "999999999999");
    assert.deepEqual(rulesMatching(rules, { ...onOurs, requestParameters: { keyId: foreign } }), []);
  });

  it("CloudWatch API calls match as source aws.monitoring (the guide's PutMetricAlarm record), and would not as aws.cloudwatch", () => {
    const x = records.find((y) => y.record.eventName === "PutMetricAlarm")!;
    const onOurs = onEstate(x.record, tamperOperation("PutMetricAlarm")!, estate);
    const event = cloudTrailEnvelope(onOurs, { account: ACCOUNT });
    assert.equal(event.source, "aws.monitoring");
    const rule = rules.find((y) => y.name === "tamper-rules-alert-path")!;
    assert.equal(matchesPattern(rule.pattern, event), true);
    assert.equal(matchesPattern(rule.pattern, { ...event, source: "aws.cloudwatch" }), false);
  });

  describe("every catalogue operation and spelling without a public record (derived from a real record of the same service)", () => {
    for (const op of TAMPER_CATALOGUE) {
      for (const spelling of op.spellings) {
        it(`derived ${spelling} (${op.eventSource}) on the estate matches ${RULE_OF[op.concern]}; on another account's resource nothing`, () => {
          const base = records.find((x) => x.record.eventSource === op.eventSource && !x.record.errorCode)!;
          assert.ok(base, `a real ${op.eventSource} record`);
          const onOurs = onEstate(derivedRecord(base.record, op, spelling), op, estate);
          assert.deepEqual(rulesMatching(rules, onOurs), [RULE_OF[op.concern]], `${spelling} from ${base.file}`);
          // Delivered from another account (forwarded to our bus): not ours.
          assert.deepEqual(rulesMatching(rules, onOurs, "999999999999"), []);
        });
      }
    }
  });

  it("a denied read-only probe of the log bucket reaches only the rule in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", () => {
    for (const name of ["GetBucketPolicy", "GetBucketAcl"]) {
      const x = records.find((y) => y.record.eventName === name)!;
      const probe = {
        ...JSON.parse(JSON.stringify(x.record)),
        errorCode: "AccessDenied",
        errorMessage: "Access Denied",
        readOnly: true,
        recipientAccountId: ACCOUNT,
      };
      probe.requestParameters.bucketName = estate.bucketName;
      assert.deepEqual(rulesMatching(rules, probe), ["tamper-rules-log-bucket-access-denied"], `${name} from ${x.file}`);
      const rule = rules.find((y) => y.name === "tamper-rules-log-bucket-access-denied")!;
      // The same pattern in a rule left at ENABLED would never see it.
      assert.equal(deliveredTo("ENABLED", probe), false);
      assert.equal(matchesPattern(rule.pattern, cloudTrailEnvelope(probe, { account: ACCOUNT })), true);
    }
  });

  it("real AccessDenied records (panther-analysis) on the log bucket are probes; on another bucket nothing", () => {
    const denied = records.filter((x) => x.record.eventSource === "s3.amazonaws.com" && x.record.errorCode === "AccessDenied");
    assert.ok(denied.length >= 5);
    for (const x of denied) {
      const onOurs = { ...JSON.parse(JSON.stringify(x.record)), recipientAccountId: ACCOUNT };
      onOurs.requestParameters.bucketName = estate.bucketName;
      assert.ok(rulesMatching(rules, onOurs).includes("tamper-rules-log-bucket-access-denied"), x.file);
      assert.deepEqual(rulesMatching(rules, x.record), [], `${x.file} as recorded`);
    }
  });
});

describe("posture finding rules on AWS's sample events (E10)", () => {
  // EventBridge event reference samples, shortened to the fields the patterns read. Security Hub
  // sends one finding per event (https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-cwe-event-formats.html);
  // the several-finding cases check the matcher keeps a finding's fields together all the same.
  it("Security Hub: one finding must be HIGH/CRITICAL, active and new (array consistency)", () => {
    const finding = (label: string, record: string, workflow: string) => ({ Severity: { Label: label }, RecordState: record, Workflow: { Status: workflow } });
    const ev = (...findings: object[]) => ({ source: "aws.securityhub", "detail-type": "Security Hub Findings - Imported", detail: { findings } });
    assert.equal(matchesPattern(findingPatterns.securityHub, ev(finding("HIGH", "ACTIVE", "NEW"))), true);
    assert.equal(matchesPattern(findingPatterns.securityHub, ev(finding("CRITICAL", "ACTIVE", "NEW"))), true);
    assert.equal(matchesPattern(findingPatterns.securityHub, ev(finding("MEDIUM", "ACTIVE", "NEW"))), false);
    assert.equal(matchesPattern(findingPatterns.securityHub, ev(finding("HIGH", "ARCHIVED", "NEW"))), false);
    // HIGH in one finding, ACTIVE/NEW in another: no single finding qualifies.
    assert.equal(matchesPattern(findingPatterns.securityHub, ev(finding("HIGH", "ARCHIVED", "RESOLVED"), finding("LOW", "ACTIVE", "NEW"))), false);
  });
  it("GuardDuty severity >= 7, Inspector HIGH/CRITICAL active, Access Analyzer active", () => {
    assert.equal(matchesPattern(findingPatterns.guardDuty, { source: "aws.guardduty", "detail-type": "GuardDuty Finding", detail: { severity: 8 } }), true);
    assert.equal(matchesPattern(findingPatterns.guardDuty, { source: "aws.guardduty", "detail-type": "GuardDuty Finding", detail: { severity: 5.3 } }), false);
    assert.equal(
      matchesPattern(findingPatterns.inspector, {
        source: "aws.inspector2",
        "detail-type": "Inspector2 Finding",
        detail: { severity: "HIGH", status: "ACTIVE" },
      }),
      true,
    );
    assert.equal(
      matchesPattern(findingPatterns.inspector, {
        source: "aws.inspector2",
        "detail-type": "Inspector2 Finding",
        detail: { severity: "HIGH", status: "CLOSED" },
      }),
      false,
    );
    assert.equal(
      matchesPattern(findingPatterns.accessAnalyzer, { source: "aws.access-analyzer", "detail-type": "Access Analyzer Finding", detail: { status: "ACTIVE" } }),
      true,
    );
    assert.equal(
      matchesPattern(findingPatterns.accessAnalyzer, {
        source: "aws.access-analyzer",
        "detail-type": "Access Analyzer Finding",
        detail: { status: "ARCHIVED" },
      }),
      false,
    );
  });
});

describe("metric filters on real CloudTrail records (E9)", () => {
  const records = realRecords();
  const monitors = trailMonitors({ authFailureThreshold: 5, accessDeniedThreshold: 20 });
  const matched = (id: string) => {
    const m = compileFilterPattern(monitors.find((x) => x.id === id)!.pattern);
    return records.filter((x) => m(x.record)).map((x) => x.file);
  };
  const where = (f: (r: Record<string, any>) => boolean) => records.filter((x) => f(x.record)).map((x) => x.file);
  const ofType = (r: Record<string, any>) => r.userIdentity?.type;

  it("every pattern parses", () => {
    for (const m of monitors) compileFilterPattern(m.pattern);
  });

  it("auth-failures counts failed console sign-ins (IAM user and root, AWS docs) and failed IAM Identity Center factors", () => {
    const got = matched("auth-failures");
    assert.deepEqual(
      got,
      where(
        (r) =>
          (r.eventName === "ConsoleLogin" && r.errorMessage === "Failed authentication") ||
          (r.eventName === "CredentialVerification" && r.serviceEventDetails?.CredentialVerification === "Failure"),
      ),
    );
    assert.ok(
      got.some((f) => records.find((x) => x.file === f)!.record.eventName === "CredentialVerification"),
      "an Identity Center failure is counted",
    );
    assert.ok(got.length >= 3, got.join(", "));
    // A successful sign-in, console or Identity Center, is not a failure.
    for (const f of where((r) => r.responseElements?.ConsoleLogin === "Success" || r.serviceEventDetails?.UserAuthentication === "Success"))
      assert.ok(!got.includes(f), f);
  });

  it("console-login-without-mfa counts IAM users without MFA and Identity Center password-only sign-ins, not MFA ones", () => {
    const got = matched("console-login-without-mfa");
    assert.deepEqual(
      got,
      where(
        (r) =>
          (r.eventName === "ConsoleLogin" &&
            r.additionalEventData?.MFAUsed !== "Yes" &&
            ofType(r) === "IAMUser" &&
            r.responseElements?.ConsoleLogin === "Success") ||
          (r.eventName === "UserAuthentication" &&
            r.serviceEventDetails?.UserAuthentication === "Success" &&
            r.additionalEventData?.CredentialType === "PASSWORD"),
      ),
    );
    const names = got.map((f) => records.find((x) => x.file === f)!.record.eventName);
    assert.ok(names.includes("ConsoleLogin") && names.includes("UserAuthentication"), names.join(", "));
    // The Identity Center sign-in with PASSWORD,TOTP (AWS docs) used MFA: not counted.
    const withTotp = records.find((x) => x.record.eventName === "UserAuthentication" && x.record.additionalEventData?.CredentialType === "PASSWORD,TOTP")!;
    assert.ok(withTotp && !got.includes(withTotp.file));
  });

  it("root-account-use counts the root user's own calls (AWS docs: PutRule, root sign-ins, panther: PutBucketVersioning)", () => {
    const got = matched("root-account-use");
    // The 2014 PutMetricAlarm example (eventVersion 1.01) has no eventType; a comparison on an absent
    // field does not match (tests/support/logs-filter-pattern.ts), so that one is not counted.
    assert.deepEqual(
      got,
      where((r) => ofType(r) === "Root" && r.userIdentity?.invokedBy === undefined && r.eventType !== undefined && r.eventType !== "AwsServiceEvent"),
    );
    assert.ok(got.length >= 5);
  });

  it("the CIS change filters count exactly the records of their calls", () => {
    const expectations: Record<string, (r: Record<string, any>) => boolean> = {
      "trail-configuration-changes": (r) => ["CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"].includes(r.eventName),
      "cmk-disabled-or-deleted": (r) => r.eventSource === "kms.amazonaws.com" && ["DisableKey", "ScheduleKeyDeletion"].includes(r.eventName),
      "bucket-policy-changes": (r) =>
        r.eventSource === "s3.amazonaws.com" &&
        [
          "PutBucketAcl",
          "PutBucketPolicy",
          "PutBucketCors",
          "PutBucketLifecycle",
          "PutBucketReplication",
          "DeleteBucketPolicy",
          "DeleteBucketCors",
          "DeleteBucketLifecycle",
          "DeleteBucketReplication",
        ].includes(r.eventName),
      "config-changes": (r) =>
        r.eventSource === "config.amazonaws.com" &&
        ["StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel", "PutConfigurationRecorder"].includes(r.eventName),
      "access-denied": (r) => typeof r.errorCode === "string" && (r.errorCode.endsWith("UnauthorizedOperation") || r.errorCode.startsWith("AccessDenied")),
      "console-auth-failures": (r) => r.eventName === "ConsoleLogin" && r.errorMessage === "Failed authentication",
    };
    for (const [id, oracle] of Object.entries(expectations)) {
      const got = matched(id);
      assert.deepEqual(got, where(oracle), id);
      assert.ok(got.length > 0, `${id} matched no real record`);
    }
  });
});
