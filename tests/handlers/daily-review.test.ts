import * as assert from "node:assert/strict";
import type { VerificationResult } from "../../cloudtrail/verify";
import { ConfigError, parseDailyReviewEnv, type DailyReviewConfig } from "../../handlers/daily-review/config";
import {
  isDeployerPrincipal,
  reviewedDay,
  reviewRecordKey,
  runDailyReview,
  type DailyReviewPorts,
  type ReviewRecord,
  type TrailStatusSnapshot,
} from "../../handlers/daily-review/review";

const CONFIG: DailyReviewConfig = {
  trailArn: "arn:aws:cloudtrail:eu-west-1:123456789012:trail/audit-trail",
  logBucket: "audit-log-bucket",
  logGroupName: "/aws/cloudtrail/audit-trail",
  kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  alertTopicArn: "arn:aws:sns:eu-west-1:123456789012:audit-alerts",
  deployerRoleArns: ["arn:aws:iam::123456789012:role/ci/pulumi-deployer"],
};

const NOW = new Date("2024-03-02T01:30:00Z");

const CLEAN_STATUS: TrailStatusSnapshot = { isLogging: true, logFileValidationEnabled: true, latestDeliveryTime: "2024-03-02T01:25:00Z" };

function cleanVerification(): VerificationResult {
  return {
    valid: true,
    findings: [],
    digestsChecked: 25,
    logFilesChecked: 300,
    uncompressedLogBytes: 1,
    regions: ["eu-west-1"],
    publicKeyFingerprints: ["ab"],
  };
}

class FakePorts implements DailyReviewPorts {
  status: TrailStatusSnapshot | Error = CLEAN_STATUS;
  verification: VerificationResult | Error = cleanVerification();
  rows: Array<Record<string, string>> | Error = [];
  notifyFails = false;
  readonly stored: Array<{ key: string; body: string }> = [];
  readonly notified: Array<{ subject: string; message: string }> = [];
  readonly queries: Array<{ query: string; start: Date; end: Date }> = [];
  readonly verified: Array<{ start: Date; end: Date }> = [];

  async getTrailStatus(): Promise<TrailStatusSnapshot> {
    if (this.status instanceof Error) throw this.status;
    return this.status;
  }
  async verify(start: Date, end: Date): Promise<VerificationResult> {
    this.verified.push({ start, end });
    if (this.verification instanceof Error) throw this.verification;
    return this.verification;
  }
  async runInsightsQuery(query: string, start: Date, end: Date): Promise<Array<Record<string, string>>> {
    this.queries.push({ query, start, end });
    if (this.rows instanceof Error) throw this.rows;
    return this.rows;
  }
  async putRecord(key: string, body: string): Promise<void> {
    this.stored.push({ key, body });
  }
  async notify(subject: string, message: string): Promise<void> {
    if (this.notifyFails) throw Object.assign(new Error("topic unreachable"), { name: "NotFoundException" });
    this.notified.push({ subject, message });
  }
  record(): ReviewRecord {
    assert.equal(this.stored.length, 1, "exactly one review record is stored");
    return JSON.parse(this.stored[0].body) as ReviewRecord;
  }
}

describe("daily review (E14): core", function () {
  it("stores a clean record for the previous UTC day and does not alert", async function () {
    const ports = new FakePorts();
    const outcome = await runDailyReview(ports, CONFIG, NOW);
    assert.equal(outcome.key, "review/2024/03/01/review-2024-03-02T01:30:00Z.json");
    assert.equal(ports.stored[0].key, outcome.key);
    const record = ports.record();
    assert.equal(record.outcome, "clean");
    assert.deepEqual(record.findings, []);
    assert.deepEqual(record.reviewedPeriod, { start: "2024-03-01T00:00:00Z", end: "2024-03-02T00:00:00Z" });
    assert.deepEqual(record.integrity, { valid: true, findings: [], digestsChecked: 25, logFilesChecked: 300 });
    assert.deepEqual(record.notification, { sent: false, topicArn: CONFIG.alertTopicArn });
    assert.equal(ports.notified.length, 0);
    assert.deepEqual(ports.verified, [{ start: new Date("2024-03-01T00:00:00Z"), end: new Date("2024-03-02T00:00:00Z") }]);
    assert.deepEqual(
      ports.queries.map((q) => [q.start.toISOString(), q.end.toISOString()]),
      [["2024-03-01T00:00:00.000Z", "2024-03-02T00:00:00.000Z"]],
    );
  });

  it("flags a trail that stopped logging and alerts", async function () {
    const ports = new FakePorts();
    ports.status = { isLogging: false, stopLoggingTime: "2024-03-01T14:02:11Z", logFileValidationEnabled: true };
    const outcome = await runDailyReview(ports, CONFIG, NOW);
    assert.deepEqual(
      outcome.record.findings.map((f) => [f.kind, f.key]),
      [["trail-not-logging", CONFIG.trailArn]],
    );
    assert.match(outcome.record.findings[0].message, /stopped at 2024-03-01T14:02:11Z/);
    assert.equal(ports.notified.length, 1);
    assert.equal(ports.notified[0].subject, "Audit review audit-trail 2024-03-01: 1 finding(s)");
    // The notifier recognises {kind: "daily-review", date, recordKey, findings: [{kind, key, message}]}.
    const alert = JSON.parse(ports.notified[0].message);
    assert.equal(alert.kind, "daily-review");
    assert.equal(alert.date, "2024-03-01");
    assert.equal(alert.recordKey, "review/2024/03/01/review-2024-03-02T01:30:00Z.json");
    assert.equal(alert.recordUri, "s3://audit-log-bucket/review/2024/03/01/review-2024-03-02T01:30:00Z.json");
    assert.deepEqual(
      alert.findings.map((f: { kind: string; key: string }) => [f.kind, f.key]),
      [["trail-not-logging", CONFIG.trailArn]],
    );
    assert.match(alert.findings[0].message, /not logging/);
    const record = ports.record();
    assert.equal(record.outcome, "attention");
    assert.equal(record.notification.sent, true);
  });

  it("flags delivery errors, disabled validation, and an unreadable status", async function () {
    const ports = new FakePorts();
    ports.status = { isLogging: true, logFileValidationEnabled: false, latestDeliveryError: "AccessDenied", latestDigestDeliveryError: "NoSuchBucket" };
    const outcome = await runDailyReview(ports, CONFIG, NOW);
    assert.deepEqual(
      outcome.record.findings.map((f) => f.kind),
      ["log-file-validation-disabled", "trail-delivery-error", "digest-delivery-error"],
    );
    const unreadable = new FakePorts();
    unreadable.status = Object.assign(new Error("User is not authorized"), { name: "AccessDeniedException" });
    const second = await runDailyReview(unreadable, CONFIG, NOW);
    assert.deepEqual(
      second.record.findings.map((f) => f.kind),
      ["trail-status-unavailable"],
    );
    assert.equal(unreadable.notified.length, 1);
  });

  it("turns integrity findings into review findings, gaps included, and alerts", async function () {
    const ports = new FakePorts();
    ports.verification = {
      ...cleanVerification(),
      valid: false,
      findings: [
        { kind: "log-hash-mismatch", key: "AWSLogs/123456789012/CloudTrail/eu-west-1/2024/03/01/x.json.gz", message: "hash differs" },
        { kind: "gap", key: "AWSLogs/123456789012/CloudTrail-Digest/eu-west-1/2024/03/01/d.json.gz", message: "No log files were delivered between A and B" },
      ],
    };
    const outcome = await runDailyReview(ports, CONFIG, NOW);
    assert.deepEqual(
      outcome.record.findings.map((f) => [f.kind, f.key]),
      [
        ["integrity", "AWSLogs/123456789012/CloudTrail/eu-west-1/2024/03/01/x.json.gz"],
        ["integrity-gap", "AWSLogs/123456789012/CloudTrail-Digest/eu-west-1/2024/03/01/d.json.gz"],
      ],
    );
    assert.match(outcome.record.findings[0].message, /^log-hash-mismatch: /);
    assert.equal(ports.notified.length, 1);
  });

  it("excludes the deployer roles from non-routine operations, in the query and in the results", async function () {
    const ports = new FakePorts();
    ports.rows = [
      { principalArn: "arn:aws:iam::123456789012:role/ci/pulumi-deployer", eventSource: "s3.amazonaws.com", eventName: "PutBucketPolicy", calls: "12" },
      {
        principalArn: "arn:aws:sts::123456789012:assumed-role/pulumi-deployer/run-42",
        eventSource: "iam.amazonaws.com",
        eventName: "PutRolePolicy",
        calls: "3",
      },
    ];
    const clean = await runDailyReview(ports, CONFIG, NOW);
    assert.match(ports.queries[0].query, /\| filter principalArn not in \["arn:aws:iam::123456789012:role\/ci\/pulumi-deployer"\]/);
    assert.match(ports.queries[0].query, /readOnly = 0/);
    assert.deepEqual(clean.record.findings, []);
    assert.equal(ports.notified.length, 0);

    const other = new FakePorts();
    other.rows = [
      ...ports.rows,
      {
        principalArn: "arn:aws:iam::123456789012:user/alice",
        eventSource: "cloudtrail.amazonaws.com",
        eventName: "StopLogging",
        calls: "1",
        firstSeen: "2024-03-01T14:02:11Z",
      },
      { principalArn: "arn:aws:iam::123456789012:user/alice", eventSource: "s3.amazonaws.com", eventName: "DeleteObject", calls: "4" },
    ];
    const flagged = await runDailyReview(other, CONFIG, NOW);
    assert.deepEqual(
      flagged.record.findings.map((f) => [f.kind, f.key]),
      [["non-routine-operations", "arn:aws:iam::123456789012:user/alice"]],
    );
    assert.match(flagged.record.findings[0].message, /5 write call\(s\) outside the deployment roles: cloudtrail:StopLogging x1, s3:DeleteObject x4/);
    const ops = other.record().nonRoutineOperations as { operations: Array<{ principalArn: string }>; total: number };
    assert.deepEqual([...new Set(ops.operations.map((o) => o.principalArn))], ["arn:aws:iam::123456789012:user/alice"]);
    assert.equal(ops.total, 5);
    assert.equal(other.notified.length, 1);
  });

  it("records a failed query as a finding and still stores the record", async function () {
    const ports = new FakePorts();
    ports.rows = Object.assign(new Error("Logs Insights query q-1 did not complete after 120 polls"), { name: "InsightsQueryError" });
    const outcome = await runDailyReview(ports, CONFIG, NOW);
    assert.deepEqual(
      outcome.record.findings.map((f) => [f.kind, f.key]),
      [["query-failed", CONFIG.logGroupName]],
    );
    assert.match((ports.record().nonRoutineOperations as { error: string }).error, /did not complete/);
  });

  it("stores the record even when the alert cannot be sent, then fails the run", async function () {
    const ports = new FakePorts();
    ports.status = { isLogging: false };
    ports.notifyFails = true;
    await assert.rejects(runDailyReview(ports, CONFIG, NOW), /topic unreachable/);
    const record = ports.record();
    assert.equal(record.notification.sent, false);
    assert.match(record.notification.error ?? "", /NotFoundException: topic unreachable/);
  });

  it("keeps the alert under the SNS size limit while the record keeps every finding", async function () {
    const ports = new FakePorts();
    ports.verification = {
      ...cleanVerification(),
      valid: false,
      findings: Array.from({ length: 1500 }, (_, i) => ({
        kind: "log-missing" as const,
        key: `AWSLogs/123456789012/CloudTrail/eu-west-1/2024/03/01/${i}.json.gz`,
        message: "x".repeat(2000),
      })),
    };
    await runDailyReview(ports, CONFIG, NOW);
    const alert = JSON.parse(ports.notified[0].message);
    assert.equal(alert.findingsTotal, 1500);
    assert.equal(alert.findings.length, 200);
    assert.ok(Buffer.byteLength(ports.notified[0].message) < 256 * 1024);
    assert.equal(ports.record().findings.length, 1500);
  });

  it("names records by the reviewed day and the review time", function () {
    assert.deepEqual(reviewedDay(new Date("2024-01-01T00:00:00Z")), { start: new Date("2023-12-31T00:00:00Z"), end: new Date("2024-01-01T00:00:00Z") });
    assert.equal(reviewRecordKey(new Date("2023-12-31T00:00:00Z"), new Date("2024-01-01T00:05:09.123Z")), "review/2023/12/31/review-2024-01-01T00:05:09Z.json");
    assert.match(reviewRecordKey(reviewedDay(NOW).start, NOW), /^review\/\d{4}\/\d{2}\/\d{2}\/review-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\.json$/);
  });

  it("recognises deployer sessions, and only those", function () {
    const deployers = ["arn:aws:iam::123456789012:role/ci/pulumi-deployer"];
    assert.equal(isDeployerPrincipal("arn:aws:iam::123456789012:role/ci/pulumi-deployer", deployers), true);
    assert.equal(isDeployerPrincipal("arn:aws:sts::123456789012:assumed-role/pulumi-deployer/session", deployers), true);
    assert.equal(isDeployerPrincipal("arn:aws:sts::999999999999:assumed-role/pulumi-deployer/session", deployers), false);
    assert.equal(isDeployerPrincipal("arn:aws:sts::123456789012:assumed-role/pulumi-deployer-2/session", deployers), false);
    assert.equal(isDeployerPrincipal("arn:aws:iam::123456789012:user/pulumi-deployer", deployers), false);
  });
});

describe("daily review (E14): environment", function () {
  const VALID_ENV = {
    TRAIL_ARN: CONFIG.trailArn,
    LOG_BUCKET: CONFIG.logBucket,
    LOG_GROUP_NAME: CONFIG.logGroupName,
    KMS_KEY_ARN: CONFIG.kmsKeyArn,
    ALERT_TOPIC_ARN: CONFIG.alertTopicArn,
    DEPLOYER_ROLE_ARNS: JSON.stringify(CONFIG.deployerRoleArns),
  };

  it("parses a valid environment", function () {
    assert.deepEqual(parseDailyReviewEnv(VALID_ENV), CONFIG);
    assert.deepEqual(parseDailyReviewEnv({ ...VALID_ENV, DEPLOYER_ROLE_ARNS: "[]" }).deployerRoleArns, []);
  });

  for (const name of Object.keys(VALID_ENV)) {
    it(`names ${name} when it is missing`, function () {
      const env: Record<string, string | undefined> = { ...VALID_ENV, [name]: undefined };
      assert.throws(
        () => parseDailyReviewEnv(env),
        (err: Error) => err instanceof ConfigError && err.variable === name && err.message.startsWith(`${name} is not set; expected`),
      );
    });
  }

  it("reads the organization trail's id from ORGANIZATION_ID (the stack's organizationId), optional", function () {
    assert.equal(parseDailyReviewEnv({ ...VALID_ENV, ORGANIZATION_ID: "o-a1b2c3d4e5" }).organizationId, "o-a1b2c3d4e5");
    assert.equal("organizationId" in parseDailyReviewEnv(VALID_ENV), false);
    assert.equal("organizationId" in parseDailyReviewEnv({ ...VALID_ENV, ORGANIZATION_ID: " " }), false, "blank is unset");
  });

  it("names the variable and what is allowed when a value is malformed", function () {
    const cases: Array<[string, string, RegExp]> = [
      ["ORGANIZATION_ID", "o-SHORT", /^ORGANIZATION_ID is "o-SHORT"; expected an AWS Organizations id, o- followed by 10-32 lowercase letters or digits/],
      ["TRAIL_ARN", "arn:aws:s3:::bucket", /^TRAIL_ARN is "arn:aws:s3:::bucket"; expected a CloudTrail trail ARN/],
      ["LOG_BUCKET", "Not_A_Bucket", /^LOG_BUCKET is "Not_A_Bucket"; expected the name of the trail's S3 log bucket/],
      ["KMS_KEY_ARN", "alias/foo", /^KMS_KEY_ARN is "alias\/foo"; expected a KMS key ARN/],
      ["ALERT_TOPIC_ARN", "topic", /^ALERT_TOPIC_ARN is "topic"; expected an SNS topic ARN/],
      ["DEPLOYER_ROLE_ARNS", "arn:aws:iam::123456789012:role/deployer", /^DEPLOYER_ROLE_ARNS is not JSON; expected a JSON array/],
      ["DEPLOYER_ROLE_ARNS", '{"role":"x"}', /^DEPLOYER_ROLE_ARNS must be a JSON array/],
      [
        "DEPLOYER_ROLE_ARNS",
        '["arn:aws:iam::123456789012:user/bob"]',
        /^DEPLOYER_ROLE_ARNS item 0 \("arn:aws:iam::123456789012:user\/bob"\) is not an IAM role ARN/,
      ],
      ["DEPLOYER_ROLE_ARNS", '["arn:aws:iam::123456789012:role/x\\"]"]', /^DEPLOYER_ROLE_ARNS item 0 .* is not an IAM role ARN/],
    ];
    for (const [name, value, message] of cases) {
      assert.throws(
        () => parseDailyReviewEnv({ ...VALID_ENV, [name]: value }),
        (err: Error) => err instanceof ConfigError && err.variable === name && message.test(err.message),
        `${name}=${value}`,
      );
    }
  });
});
