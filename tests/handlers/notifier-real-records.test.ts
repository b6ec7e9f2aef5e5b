/**
 * Every real CloudTrail record of tests/fixtures/cloudtrail-records (AWS documentation examples,
 * panther-analysis test cases, Stratus Red Team detonation logs) through the notifier's pure core,
 * wrapped as EventBridge delivers it and as SNS hands it to the Lambda (issue 10): no exception, and
 * the message names the operation, the actor and role, the source IP, the target, the result and the
 * UTC time. Critical operations by a deployer role notify.
 */
import { strict as assert } from "node:assert";
import { classifyMessage, extractIncomingMessages } from "../../handlers/notifier/classify";
import type { Notification } from "../../handlers/notifier/notification";
import { renderSlackPayload } from "../../handlers/notifier/render";
import { describeInstant } from "../../handlers/notifier/text";
import { TAMPER_CATALOGUE, tamperOperation } from "../../policy/lib/tamper-events";
import { realRecords } from "../support/cloudtrail-records";
import { cloudTrailEnvelope } from "../support/eventbridge-pattern";

const RENDER = { environment: "prd", channel: "bs-notification-prd" } as const;
const DEPLOYER = "arn:aws:iam::111122223333:role/ci/pulumi-deployer";

function snsEventOf(message: unknown) {
  return { Records: [{ EventSource: "aws:sns", Sns: { MessageId: "m-1", Message: JSON.stringify(message) } }] };
}

function facts(n: Notification): Map<string, string> {
  return new Map(n.sections.flatMap((s) => s.facts.map((f) => [f.label, f.value] as const)));
}

function classified(record: Record<string, any>, deployers: string[] = []) {
  const [message] = extractIncomingMessages(snsEventOf(cloudTrailEnvelope(record)));
  return classifyMessage(message, { deployerRoleArns: new Set(deployers) });
}

function failed(r: Record<string, any>): boolean {
  return (
    (typeof r.errorCode === "string" && r.errorCode !== "") ||
    r.responseElements?.ConsoleLogin === "Failure" ||
    Object.values((r.serviceEventDetails ?? {}) as Record<string, unknown>).includes("Failure")
  );
}

describe("notifier on real CloudTrail records (issue 10)", () => {
  const records = realRecords();

  for (const x of records) {
    it(`${x.file}: who, what, target, when, where and result`, () => {
      const result = classified(x.record);
      assert.equal(result.action, "notify");
      if (result.action !== "notify") return;
      const n = result.notification;
      assert.equal(n.kind, "cloudtrail-api-call");
      const f = facts(n);
      const r = x.record;
      assert.equal(f.get("Event"), r.eventName);
      assert.equal(f.get("Event source"), r.eventSource);
      if (typeof r.userIdentity?.arn === "string" && r.userIdentity.arn !== "") assert.equal(f.get("Principal"), r.userIdentity.arn);
      else assert.ok(f.get("Principal") && f.get("Principal") !== "", "principal");
      assert.ok(f.has("Role (session issuer)"));
      assert.equal(f.get("Role (session issuer)"), r.userIdentity?.sessionContext?.sessionIssuer?.arn ?? "none (not an assumed-role session)");
      assert.equal(f.get("Source IP"), r.sourceIPAddress || "not recorded");
      assert.ok(f.has("Target"));
      assert.equal(f.get("Result"), failed(r) ? "Failed" : "Success");
      const when = describeInstant(r.eventTime);
      assert.ok(when !== undefined);
      // panther-analysis normalises some times without a zone ("2024-11-25 17:51:21.000000000"):
      // shown as recorded, never guessed.
      assert.equal(f.get("UTC"), "utc" in when ? when.utc : `${r.eventTime} (as recorded, not parseable)`);
      const op = tamperOperation(r.eventName, r.eventSource);
      if (op !== undefined) {
        assert.equal(f.get("Meaning"), op.why);
        assert.ok(n.severity === op.severity || n.severity === "critical", `${n.severity} for ${op.name}`);
        const named = op.targetFields.some((field) => ![undefined, null, ""].includes(r.requestParameters?.[field]));
        if (named) assert.notEqual(f.get("Target"), "not recorded", "a tamper operation names its target");
      }
      const payload = renderSlackPayload(n, RENDER);
      assert.ok(JSON.stringify(payload).length < 40_000);
      const text = (payload.blocks ?? []).map((b) => (b.type === "context" ? b.elements.map((e) => e.text).join("") : b.text.text)).join("\n");
      assert.ok(text.includes(`*Event:* \`${r.eventName}\``), "the operation is in the message");
      assert.ok(text.includes("*UTC:* `"), "the time is in the message");
    });
  }

  it("a failed ConsoleLogin (no errorCode, ConsoleLogin: Failure) reads Failed, with its message (AWS docs)", () => {
    const logins = records.filter(
      (x) => x.record.eventName === "ConsoleLogin" && x.record.responseElements?.ConsoleLogin === "Failure" && x.record.errorCode === undefined,
    );
    assert.ok(logins.filter((x) => x.record.errorMessage === "Failed authentication").length >= 2, `${logins.length}`);
    for (const x of logins) {
      const result = classified(x.record);
      assert.equal(result.action, "notify");
      if (result.action !== "notify") return;
      const f = facts(result.notification);
      assert.equal(f.get("Result"), "Failed", x.file);
      assert.equal(f.get("Error message"), x.record.errorMessage ?? "not recorded");
      assert.match(result.notification.headline, new RegExp(`^ConsoleLogin failed \\(${x.record.errorMessage ?? "failed"}\\)`));
      assert.ok(["high", "critical"].includes(result.notification.severity));
    }
  });

  it("an IAM Identity Center sign-in names the user and its factors; a failed factor reads Failed", () => {
    const auth = records.find((x) => x.record.eventName === "UserAuthentication" && x.record.additionalEventData?.CredentialType === "PASSWORD")!;
    const n = (classified(auth.record) as { notification: Notification }).notification;
    assert.equal(facts(n).get("Principal"), "user1 (principal 111122223333)");
    assert.equal(facts(n).get("MFA"), "no (PASSWORD)");
    const withTotp = records.find((x) => x.record.eventName === "UserAuthentication" && x.record.additionalEventData?.CredentialType === "PASSWORD,TOTP")!;
    assert.equal(facts((classified(withTotp.record) as { notification: Notification }).notification).get("MFA"), "yes (PASSWORD,TOTP)");
    const failure = records.find((x) => x.record.eventName === "CredentialVerification" && x.record.serviceEventDetails?.CredentialVerification === "Failure")!;
    const m = (classified(failure.record) as { notification: Notification }).notification;
    assert.equal(facts(m).get("Result"), "Failed");
    assert.equal(m.severity, "high");
  });

  it("an older KMS record without resources[].type still shows the key ARN, not a bare id (AWS docs DisableKey)", () => {
    const x = records.find(
      (y) =>
        y.record.eventName === "DisableKey" &&
        Array.isArray(y.record.resources) &&
        y.record.resources.every((r: Record<string, unknown>) => r.type === undefined),
    )!;
    assert.ok(x, "fixture");
    const n = (classified(x.record) as { notification: Notification }).notification;
    assert.equal(facts(n).get("Target"), `KMS key ${x.record.resources[0].ARN}`);
  });

  it("alert-path operations name their target: alarm, rule, topic, Config recorder and channel", () => {
    const want: Record<string, RegExp> = {
      PutMetricAlarm: /^alarm CloudTrail Test Alarm$/,
      PutRule: /^rule cttest2$/,
      DeleteTopic: /^topic arn:aws:sns:us-west-2:123456789012:hello-topic$/,
      StopConfigurationRecorder: /^Config recorder \S+$/,
      DeleteDeliveryChannel: /^Config delivery channel \S+$/,
    };
    for (const [eventName, pattern] of Object.entries(want)) {
      const field = { DeleteDeliveryChannel: "deliveryChannelName", StopConfigurationRecorder: "configurationRecorderName" }[eventName];
      const x = records.find(
        (y) => y.record.eventName === eventName && !y.record.errorCode && (field === undefined || y.record.requestParameters?.[field] !== undefined),
      )!;
      assert.ok(x, eventName);
      const f = facts((classified(x.record) as { notification: Notification }).notification);
      assert.match(f.get("Target") ?? "", pattern, `${eventName} from ${x.file}`);
    }
  });

  it("every critical operation of the catalogue, made successfully by a deployer role, is notified (real records where they exist)", () => {
    const critical = TAMPER_CATALOGUE.filter((op) => op.critical);
    let fromRealRecords = 0;
    for (const op of critical) {
      const real = records.find((x) => op.spellings.includes(x.record.eventName) && x.record.eventSource === op.eventSource && !failed(x.record));
      const base = real?.record ?? records.find((x) => x.record.eventSource === op.eventSource)!.record;
      const record = JSON.parse(JSON.stringify(base));
      record.eventName = op.name;
      delete record.errorCode;
      delete record.errorMessage;
      record.userIdentity = {
        type: "AssumedRole",
        arn: "arn:aws:sts::111122223333:assumed-role/pulumi-deployer/ci",
        accountId: "111122223333",
        sessionContext: { sessionIssuer: { type: "Role", arn: DEPLOYER }, attributes: { mfaAuthenticated: "false" } },
      };
      const result = classified(record, [DEPLOYER]);
      assert.equal(result.action, "notify", op.name);
      if (result.action === "notify") {
        assert.equal(result.notification.severity, "critical", op.name);
        assert.equal(facts(result.notification).get("Deployer role"), "yes: critical operations notify whoever made them");
      }
      if (real) fromRealRecords += 1;
    }
    assert.ok(fromRealRecords >= 10, `${fromRealRecords} critical operations from real records`);
    // And a non-critical one by the same role is routine.
    const encryption = records.find((x) => x.record.eventName === "PutBucketEncryption")!.record;
    const routine = { ...JSON.parse(JSON.stringify(encryption)), userIdentity: { type: "AssumedRole", sessionContext: { sessionIssuer: { arn: DEPLOYER } } } };
    delete routine.errorCode;
    assert.equal(classified(routine, [DEPLOYER]).action, "skip-routine");
  });
});
