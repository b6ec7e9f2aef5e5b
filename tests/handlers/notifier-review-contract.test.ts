/**
 * The daily review -> notifier contract (issue 10): the review's actual alert, published through
 * its SNS publisher (handlers/daily-review/sns-publisher.ts, the SDK mocked), arrives at the
 * notifier as SNS delivers it and becomes the daily-review notification, with the review's own
 * total even when the alert carries only the first findings. One type (cloudtrail/
 * review-alert.ts) is what both sides compile against.
 */
import { strict as assert } from "node:assert";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import type { VerificationResult } from "../../cloudtrail/verify/verifier";
import { runDailyReview, type DailyReviewPorts } from "../../handlers/daily-review/review";
import { createSnsPublisher } from "../../handlers/daily-review/sns-publisher";
import { classifyMessage, extractIncomingMessages } from "../../handlers/notifier/classify";
import type { Notification } from "../../handlers/notifier/notification";
import { renderSlackPayload } from "../../handlers/notifier/render";
import { PLAN_SCHEMA, type ShardPlan } from "../../cloudtrail/org/planner";
import { orgAlertMessage, orgAlertSubject, reduceShardResults } from "../../cloudtrail/org/reducer";
import { shardErrorResult, type ShardResult } from "../../cloudtrail/org/shard-verifier";
import { looksLikeDailyReviewAlert, type DailyReviewAlert } from "../../cloudtrail/review-alert";

const CONFIG = {
  trailArn: "arn:aws:cloudtrail:eu-west-1:123456789012:trail/audit-trail",
  logBucket: "audit-log-bucket",
  logGroupName: "/aws/cloudtrail/audit-trail",
  kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  alertTopicArn: "arn:aws:sns:eu-west-1:123456789012:audit-dev-audit-alerts",
  deployerRoleArns: ["arn:aws:iam::123456789012:role/ci/pulumi-deployer"],
};

function portsPublishingTo(publish: (subject: string, message: string) => Promise<void>, operations: number): DailyReviewPorts {
  const verification: VerificationResult = {
    valid: true,
    findings: [],
    digestsChecked: 25,
    logFilesChecked: 300,
    uncompressedLogBytes: 1,
    regions: ["eu-west-1"],
    publicKeyFingerprints: ["ab"],
  } as VerificationResult;
  return {
    getTrailStatus: async () => ({ isLogging: false, logFileValidationEnabled: true, stopLoggingTime: "2024-03-01T12:00:00Z" }),
    verify: async () => verification,
    // One non-routine principal per row: each becomes a finding.
    runInsightsQuery: async () =>
      Array.from({ length: operations }, (_, i) => ({
        principalArn: `arn:aws:iam::123456789012:user/u${i}`,
        eventSource: "s3.amazonaws.com",
        eventName: "PutObject",
        calls: "1",
      })),
    putRecord: async () => undefined,
    notify: publish,
  };
}

describe("daily review -> notifier: one message type, end to end (issue 10)", () => {
  // Mocked per test and restored after: other files mock SNSClient too.
  let sns: ReturnType<typeof mockClient>;
  beforeEach(() => {
    sns = mockClient(SNSClient);
  });
  afterEach(() => sns.restore());
  const client = (region: string) => new SNSClient({ region, credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "test" } });

  async function publishedAlert(operations: number): Promise<{ message: string; subject?: string }> {
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    const publisher = createSnsPublisher(client);
    await runDailyReview(
      portsPublishingTo((subject, message) => publisher(CONFIG.alertTopicArn, subject, message), operations),
      CONFIG,
      new Date("2024-03-02T01:30:00Z"),
    );
    const calls = sns.commandCalls(PublishCommand);
    assert.equal(calls.length, 1);
    const input = calls[0].args[0].input;
    assert.equal(input.TopicArn, CONFIG.alertTopicArn);
    return { message: input.Message!, subject: input.Subject };
  }

  function notified(message: string, subject?: string): Notification {
    const event = { Records: [{ EventSource: "aws:sns", Sns: { MessageId: "sns-1", Subject: subject, Message: message } }] };
    const [incoming] = extractIncomingMessages(event);
    const r = classifyMessage(incoming, { deployerRoleArns: new Set() });
    assert.equal(r.action, "notify");
    return (r as { notification: Notification }).notification;
  }

  it("the published message is a DailyReviewAlert and the notifier reads every field of it", async () => {
    const { message, subject } = await publishedAlert(3);
    const alert = JSON.parse(message) as DailyReviewAlert;
    assert.ok(looksLikeDailyReviewAlert(alert));
    assert.equal(alert.date, "2024-03-01");
    const n = notified(message, subject);
    assert.equal(n.kind, "daily-review");
    // A trail that is not logging is what the review exists to catch.
    assert.equal(n.severity, "critical");
    assert.equal(n.headline, `Daily review 2024-03-01: ${alert.findingsTotal} finding(s)`);
    const facts = new Map(n.sections.flatMap((s) => s.facts.map((f) => [f.label, f.value] as const)));
    assert.equal(facts.get("Findings"), String(alert.findingsTotal));
    assert.equal(facts.get("Review record"), alert.recordUri);
    assert.equal(facts.get("Trail"), CONFIG.trailArn);
    assert.equal(facts.get("1. trail-not-logging"), `${CONFIG.trailArn}: ${alert.findings[0].message}`);
    assert.equal(n.reference, alert.recordKey);
    assert.ok(JSON.stringify(renderSlackPayload(n, { environment: "dev", channel: "bs-notification-dev" })).includes("trail-not-logging"));
  });

  it("when the alert carries only the first findings, the notification says the true total", async () => {
    const { message } = await publishedAlert(250);
    const alert = JSON.parse(message) as DailyReviewAlert;
    assert.ok(alert.findings.length < alert.findingsTotal, `${alert.findings.length} of ${alert.findingsTotal}`);
    const n = notified(message);
    assert.equal(n.headline, `Daily review 2024-03-01: ${alert.findingsTotal} finding(s)`);
    const facts = new Map(n.sections.flatMap((s) => s.facts.map((f) => [f.label, f.value] as const)));
    assert.equal(facts.get("More"), `${alert.findingsTotal - 20} further finding(s) in the review record`);
  });

  it("the organisation verification reducer's alert (issue 11) is the same type and reads as an organisation review", () => {
    const shard = (accountId: string) => ({ accountId, region: "eu-west-1", day: "2026-03-01", listed: true, expected: true });
    const plan: ShardPlan = {
      schema: PLAN_SCHEMA,
      plannedAt: "2026-03-02T01:30:00.000Z",
      trail: { bucket: "b-logs", organizationId: "o-abcdef1234", trailName: "org-trail", homeRegion: "eu-west-1" },
      days: ["2026-03-01"],
      accounts: { listed: ["111111111111", "222222222222"], expected: null, missing: [], unexpected: [] },
      regions: ["eu-west-1"],
      regionsByAccount: { "111111111111": ["eu-west-1"], "222222222222": ["eu-west-1"] },
      shards: [shard("111111111111"), shard("222222222222")],
    };
    const tampered: ShardResult = {
      ...shardErrorResult(shard("222222222222"), "", ""),
      status: "verified",
      valid: false,
      error: undefined,
      findingCounts: { "log-hash-mismatch": 1 },
      findings: [
        { kind: "log-hash-mismatch" as const, key: "AWSLogs/o-abcdef1234/222222222222/CloudTrail/eu-west-1/2026/03/01/x.json.gz", message: "hash differs" },
      ],
    };
    const ok: ShardResult = { ...shardErrorResult(shard("111111111111"), "", ""), status: "verified", valid: true, error: undefined };
    const record = reduceShardResults({
      plan,
      results: [ok, tampered],
      run: { id: "exec-1", engine: "step-functions" },
      now: () => new Date("2026-03-02T02:00:00Z"),
    });
    const message = orgAlertMessage(
      record,
      "review/2026/03/01/organization-review.json",
      "b-logs",
      "arn:aws:cloudtrail:eu-west-1:111111111111:trail/org-trail",
    );
    const alert = JSON.parse(message) as DailyReviewAlert;
    assert.ok(looksLikeDailyReviewAlert(alert));
    assert.equal(alert.scope, "organization");
    const n = notified(message, orgAlertSubject(record));
    assert.equal(n.kind, "daily-review");
    assert.equal(n.severity, "critical", "a log file whose hash differs in a member account is critical");
    assert.equal(n.headline, `Organisation review 2026-03-01: ${alert.findingsTotal} finding(s)`);
    const facts = new Map(n.sections.flatMap((sec) => sec.facts.map((f) => [f.label, f.value] as const)));
    assert.equal(facts.get("Organization"), "o-abcdef1234");
    assert.equal(facts.get("Shards (account x region x day)"), "2 planned, 2 verified, 1 of them invalid, 0 not verified, 0 unreported");
    assert.match(facts.get("1. integrity:log-hash-mismatch") ?? "", /^222222222222\/eu-west-1\/2026-03-01 AWSLogs\/o-abcdef1234\/222222222222\//);
  });

  it("the publisher sends to the topic's own region", async () => {
    const regions: string[] = [];
    const publisher = createSnsPublisher((region) => {
      regions.push(region);
      return client(region);
    });
    sns.on(PublishCommand).resolves({});
    await publisher("arn:aws:sns:ap-northeast-1:123456789012:t", "s", "{}");
    assert.deepEqual(regions, ["ap-northeast-1"]);
  });
});
