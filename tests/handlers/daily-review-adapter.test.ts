import { GetTrailCommand, GetTrailStatusCommand } from "@aws-sdk/client-cloudtrail";
import { CloudWatchLogsClient, GetQueryResultsCommand, StartQueryCommand, StopQueryCommand } from "@aws-sdk/client-cloudwatch-logs";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import * as assert from "node:assert/strict";
import { createHandler } from "../../handlers/daily-review";
import { createSnsPublisher } from "../../handlers/daily-review/sns-publisher";
import { ChainFixture, makeSigningKey, type AnyStub, type SigningKey } from "../evidence/fixtures";
import { mockedAws, type MockedAws } from "../evidence/helpers";

const TRAIL_ARN = "arn:aws:cloudtrail:eu-west-1:123456789012:trail/audit-trail";
const ENV = {
  TRAIL_ARN,
  LOG_BUCKET: "audit-log-bucket",
  LOG_GROUP_NAME: "/aws/cloudtrail/audit-trail",
  KMS_KEY_ARN: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  ALERT_TOPIC_ARN: "arn:aws:sns:eu-west-1:123456789012:audit-alerts",
  DEPLOYER_ROLE_ARNS: '["arn:aws:iam::123456789012:role/pulumi-deployer"]',
};

describe("daily review (E14): Lambda adapter", function () {
  let signingKey: SigningKey;
  let fixture: ChainFixture;
  let aws: MockedAws;
  let logs: CloudWatchLogsClient;
  let logsMock: AnyStub;
  let published: Array<{ topicArn: string; subject: string; message: string }>;
  const logged: Array<{ level: string; message: string; data: unknown }> = [];
  const logger = {
    info: (message: string, data?: unknown) => void logged.push({ level: "info", message, data }),
    warn: (message: string, data?: unknown) => void logged.push({ level: "warn", message, data }),
  };

  before(function () {
    signingKey = makeSigningKey();
  });

  beforeEach(function () {
    // The reviewed day (2024-03-01) plus the digest that closes it.
    fixture = ChainFixture.build({ signingKey, start: new Date("2024-03-01T00:00:00Z"), digests: 25, logsPerDigest: 1 });
    aws = mockedAws();
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
      },
    });
    aws.cloudTrailMock.on(GetTrailStatusCommand).resolves({ IsLogging: true, LatestDeliveryTime: new Date("2024-03-02T01:20:00Z") });
    aws.s3Mock.on(PutObjectCommand).resolves({});
    logs = new CloudWatchLogsClient({ region: "eu-west-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test" } });
    logsMock = mockClient(logs);
    logsMock.on(StartQueryCommand).resolves({ queryId: "q-1" });
    logsMock.on(GetQueryResultsCommand).resolvesOnce({ status: "Running" }).resolves({ status: "Complete", results: [] });
    published = [];
    logged.length = 0;
  });

  function handler(env: Record<string, string | undefined> = ENV, maxPolls = 5) {
    return createHandler({
      env,
      clients: aws.clients,
      logs,
      logger,
      publish: async (topicArn, subject, message) => void published.push({ topicArn, subject, message }),
      sleep: async () => undefined,
      maxPolls,
    });
  }

  it("stores a checksummed, KMS-encrypted record for a clean day and sends nothing", async function () {
    const summary = await handler()({ time: "2024-03-02T01:30:00Z" });
    assert.deepEqual(summary, { recordKey: "review/2024/03/01/review-2024-03-02T01:30:00Z.json", outcome: "clean", findings: 0, notified: false });
    const puts = aws.s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    assert.equal(puts.length, 1);
    const put = puts[0];
    assert.equal(put.Bucket, "audit-log-bucket");
    assert.equal(put.Key, summary.recordKey);
    assert.equal(put.ChecksumAlgorithm, "SHA256");
    assert.equal(put.ServerSideEncryption, "aws:kms");
    assert.equal(put.SSEKMSKeyId, ENV.KMS_KEY_ARN);
    assert.equal(put.ContentType, "application/json");
    const record = JSON.parse(put.Body as string);
    assert.equal(record.schema, "audit-daily-review/v1");
    assert.equal(record.integrity.valid, true);
    assert.equal(record.integrity.digestsChecked, 25);
    assert.equal(published.length, 0);
    const start = logsMock.commandCalls(StartQueryCommand)[0].args[0].input;
    assert.equal(start.logGroupName, ENV.LOG_GROUP_NAME);
    assert.equal(start.startTime, Date.parse("2024-03-01T00:00:00Z") / 1000);
    assert.equal(start.endTime, Date.parse("2024-03-02T00:00:00Z") / 1000 - 1);
    assert.match(start.queryString as string, /not in \["arn:aws:iam::123456789012:role\/pulumi-deployer"\]/);
    assert.equal(logsMock.commandCalls(GetQueryResultsCommand).length, 2, "polled until Complete");
    assert.deepEqual(
      logged.map((l) => [l.level, l.message]),
      [["info", "daily audit review stored"]],
    );
  });

  it("alerts the topic when the trail stopped logging", async function () {
    aws.cloudTrailMock.on(GetTrailStatusCommand).resolves({ IsLogging: false, StopLoggingTime: new Date("2024-03-01T14:02:11Z") });
    const summary = await handler()({ time: "2024-03-02T01:30:00Z" });
    assert.equal(summary.outcome, "attention");
    assert.equal(summary.notified, true);
    assert.equal(published.length, 1);
    assert.equal(published[0].topicArn, ENV.ALERT_TOPIC_ARN);
    const alert = JSON.parse(published[0].message);
    assert.equal(alert.kind, "daily-review");
    assert.deepEqual(
      alert.findings.map((f: { kind: string }) => f.kind),
      ["trail-not-logging"],
    );
    assert.match(alert.findings[0].message, /stopped at 2024-03-01T14:02:11/);
    assert.equal(logged[0].level, "warn");
  });

  it("bounds the Logs Insights polling, stops the query, and reports it", async function () {
    logsMock.on(GetQueryResultsCommand).resolves({ status: "Running" });
    logsMock.on(StopQueryCommand).resolves({ success: true });
    const summary = await handler(ENV, 3)({ time: "2024-03-02T01:30:00Z" });
    assert.equal(logsMock.commandCalls(GetQueryResultsCommand).length, 3);
    assert.deepEqual(
      logsMock.commandCalls(StopQueryCommand).map((c) => c.args[0].input),
      [{ queryId: "q-1" }],
    );
    assert.equal(summary.outcome, "attention");
    const alert = JSON.parse(published[0].message);
    assert.deepEqual(
      alert.findings.map((f: { kind: string; key: string }) => [f.kind, f.key]),
      [["query-failed", ENV.LOG_GROUP_NAME]],
    );
    assert.match(alert.findings[0].message, /did not complete within \d+ s \(3 polls, last status Running\); it was stopped/);
  });

  it("verifies an organization trail under AWSLogs/<ORGANIZATION_ID>/ (issue 11)", async function () {
    const orgFixture = ChainFixture.build({
      signingKey,
      start: new Date("2024-03-01T00:00:00Z"),
      digests: 25,
      logsPerDigest: 1,
      trail: { organizationId: "o-a1b2c3d4e5" },
    });
    aws = mockedAws();
    orgFixture.serve(aws.s3Mock, aws.cloudTrailMock);
    aws.cloudTrailMock.on(GetTrailCommand).resolves({
      Trail: {
        Name: "audit-trail",
        TrailARN: TRAIL_ARN,
        S3BucketName: orgFixture.trail.bucket,
        S3KeyPrefix: orgFixture.trail.prefix,
        HomeRegion: "eu-west-1",
        IsMultiRegionTrail: false,
        IsOrganizationTrail: true,
        LogFileValidationEnabled: true,
      },
    });
    aws.cloudTrailMock.on(GetTrailStatusCommand).resolves({ IsLogging: true });
    aws.s3Mock.on(PutObjectCommand).resolves({});
    const summary = await handler({ ...ENV, ORGANIZATION_ID: "o-a1b2c3d4e5" })({ time: "2024-03-02T01:30:00Z" });
    assert.equal(summary.outcome, "clean");
    const record = JSON.parse(aws.s3Mock.commandCalls(PutObjectCommand)[0].args[0].input.Body as string);
    assert.equal(record.integrity.valid, true);
    assert.equal(record.integrity.digestsChecked, 25);
  });

  it("without ORGANIZATION_ID and without Organizations access, says which variable to set, in the Lambda's terms", async function () {
    aws.cloudTrailMock.on(GetTrailCommand).resolves({
      Trail: {
        Name: "audit-trail",
        TrailARN: TRAIL_ARN,
        S3BucketName: fixture.trail.bucket,
        HomeRegion: "eu-west-1",
        IsOrganizationTrail: true,
        LogFileValidationEnabled: true,
      },
    });
    const summary = await handler()({ time: "2024-03-02T01:30:00Z" });
    assert.equal(summary.outcome, "attention");
    const alert = JSON.parse(published[0].message);
    const failed = alert.findings.find((f: { kind: string }) => f.kind === "verification-failed");
    assert.match(failed.message, /is an organization trail: .*give the organization id \(Lambda environment variable ORGANIZATION_ID\)/);
    assert.doesNotMatch(JSON.stringify(alert), /--[a-z]/, "no CLI flag in the Lambda's findings");
  });

  it("fails with an error naming the bad variable", async function () {
    await assert.rejects(handler({ ...ENV, LOG_GROUP_NAME: undefined })({}), /^ConfigError: LOG_GROUP_NAME is not set/);
    await assert.rejects(handler({ ...ENV, DEPLOYER_ROLE_ARNS: "deployer" })({}), /DEPLOYER_ROLE_ARNS is not JSON/);
    assert.equal(aws.s3Mock.commandCalls(PutObjectCommand).length, 0);
  });

  it("publishes alerts with SNS Publish in the topic's region", async function () {
    const sns = new SNSClient({ region: "us-east-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test" } });
    const snsMock = mockClient(sns);
    snsMock.on(PublishCommand).resolves({ MessageId: "m-1" });
    const regions: string[] = [];
    const publish = createSnsPublisher((region) => (regions.push(region), sns));
    await publish(ENV.ALERT_TOPIC_ARN, "Audit review", '{"kind":"daily-review"}');
    await publish(ENV.ALERT_TOPIC_ARN, "Audit review", '{"kind":"daily-review"}');
    assert.deepEqual(regions, ["eu-west-1"], "one client per topic region");
    assert.deepEqual(snsMock.commandCalls(PublishCommand)[0].args[0].input, {
      TopicArn: ENV.ALERT_TOPIC_ARN,
      Subject: "Audit review",
      Message: '{"kind":"daily-review"}',
    });
  });
});
