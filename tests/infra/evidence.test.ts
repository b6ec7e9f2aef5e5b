// E7 and E14 infra under the mocked runtime: the daily review's schedule, permissions and
// failure path; the saved Logs Insights queries; the Athena table with partition projection.
import { strict as assert } from "assert";
import { MOCK_ACCOUNT_ID } from "../../offline/mocks";
import { asList, resourcesOf, Resources, statement } from "../support/estate";

const ACCOUNT = MOCK_ACCOUNT_ID;
const REGION = "ap-northeast-1";

describe("daily review and audit queries (E7, E14), stack prd", () => {
  let r: Resources;
  const logBucket = `audit-trail-logs-prd-${ACCOUNT}-${REGION}`;
  before(async () => {
    r = await resourcesOf("prd");
  });
  const dlqArn = () => r.one("aws:sqs/queue:Queue", "alert-delivery-dlq").rawOutputs.arn;

  it("runs the review daily at 01:30 UTC through a scheduler role that may only start it, missed starts kept", () => {
    const s = r.one("aws:scheduler/schedule:Schedule", "daily-review-schedule").inputs;
    assert.equal(s.scheduleExpression, "cron(30 1 * * ? *)");
    assert.equal(s.scheduleExpressionTimezone, "UTC");
    assert.equal(s.target.arn, r.one("aws:lambda/function:Function", "daily-review-function").rawOutputs.arn);
    assert.equal(s.target.deadLetterConfig.arn, dlqArn());
    const policy = r.one("aws:iam/rolePolicy:RolePolicy", "daily-review-scheduler").inputs.policy;
    assert.equal(statement(policy, "StartTheReview").Action, "lambda:InvokeFunction");
  });

  it("gives the review function its configuration", () => {
    const env = r.one("aws:lambda/function:Function", "daily-review-function").inputs.environment.variables;
    assert.equal(env.TRAIL_ARN, `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/audit-trail-prd`);
    assert.equal(env.LOG_BUCKET, logBucket);
    assert.equal(env.LOG_GROUP_NAME, "/aws/cloudtrail/audit-trail-prd");
    assert.equal(env.ALERT_TOPIC_ARN, r.one("aws:sns/topic:Topic", "alert-delivery-topic").rawOutputs.arn);
    assert.equal(env.KMS_KEY_ARN, r.one("aws:kms/key:Key", "audit-key").rawOutputs.arn);
    assert.equal(env.DEPLOYER_ROLE_ARNS, "[]");
  });

  it("lets it read logs and digests, write only under review/, query only the trail's log group", () => {
    const policy = r.one("aws:iam/rolePolicy:RolePolicy", "daily-review-function-policy").inputs.policy;
    assert.deepEqual(asList(statement(policy, "ReadTrailLogsAndDigests").Resource), [`arn:aws:s3:::${logBucket}/AWSLogs/*`]);
    assert.deepEqual(asList(statement(policy, "WriteReviewRecords").Resource), [`arn:aws:s3:::${logBucket}/review/*`]);
    assert.equal(statement(policy, "WriteReviewRecords").Action, "s3:PutObject");
    const q = statement(policy, "QueryTrailLogGroup");
    assert.deepEqual(asList(q.Resource)[0], `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/cloudtrail/audit-trail-prd`);
    assert.deepEqual(asList(statement(policy, "ReadTrailStatus").Action).sort(), ["cloudtrail:GetTrail", "cloudtrail:GetTrailStatus"]);
    const actions = JSON.parse(policy).Statement.flatMap((s: any) => asList(s.Action));
    assert.ok(!actions.some((a: string) => /^s3:(Delete|PutBucket|PutObjectRetention|BypassGovernance)/.test(a)), actions.join(","));
  });

  it("keeps a failed review in the alert DLQ after two retries", () => {
    const cfg = r.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "daily-review-on-failure").inputs;
    assert.equal(cfg.maximumRetryAttempts, 2);
    assert.equal(cfg.destinationConfig.onFailure.destination, dlqArn());
  });

  it("saves the 5W1H Logs Insights queries on the trail's log group", () => {
    const defs = r.ofType("aws:cloudwatch/queryDefinition:QueryDefinition").map((d) => d.inputs);
    assert.deepEqual(defs.map((d) => d.name).sort(), [
      "audit-prd-audit-trail/failed-access",
      "audit-prd-audit-trail/non-routine-operations",
      "audit-prd-audit-trail/principal-activity",
      "audit-prd-audit-trail/who-accessed-object",
    ]);
    for (const d of defs) {
      assert.deepEqual(d.logGroupNames, ["/aws/cloudtrail/audit-trail-prd"]);
      assert.match(d.queryString, /fields|filter|stats/);
    }
  });

  it("defines the Athena table over the trail's S3 logs with partition projection by account, region and day", () => {
    const t = r.one("aws:glue/catalogTable:CatalogTable", "audit-queries-cloudtrail-table").inputs;
    const root = `s3://${logBucket}/AWSLogs`;
    assert.equal(t.storageDescriptor.location, `${root}/`);
    assert.equal(t.parameters["projection.enabled"], "true");
    assert.equal(t.parameters["projection.timestamp.type"], "date");
    assert.equal(t.parameters["projection.timestamp.format"], "yyyy/MM/dd");
    assert.equal(t.parameters["projection.timestamp.range"], "2025/01/01,NOW");
    assert.ok(t.parameters["projection.region.values"].split(",").includes(REGION));
    assert.equal(t.parameters["storage.location.template"], `${root}/\${account}/CloudTrail/\${region}/\${timestamp}`);
    assert.equal(t.parameters["projection.account.type"], "injected");
    assert.equal(t.parameters["audit_trail.default_account"], ACCOUNT);
    assert.equal(t.parameters.read_restored_glacier_objects, "true");
    assert.deepEqual(
      t.partitionKeys.map((k: any) => k.name),
      ["account", "region", "timestamp"],
    );
    assert.equal(t.storageDescriptor.inputFormat, "com.amazon.emr.cloudtrail.CloudTrailInputFormat");
    const cols = t.storageDescriptor.columns.map((c: any) => c.name);
    for (const c of [
      "useridentity",
      "eventtime",
      "eventsource",
      "eventname",
      "sourceipaddress",
      "useragent",
      "errorcode",
      "requestparameters",
      "resources",
      "readonly",
    ]) {
      assert.ok(cols.includes(c), c);
    }
  });

  it("encrypts Athena results with the estate key, enforced, with a scan limit; the results bucket is private and short-lived", () => {
    const wg = r.one("aws:athena/workgroup:Workgroup", "audit-queries-workgroup").inputs.configuration;
    assert.equal(wg.enforceWorkgroupConfiguration, true);
    assert.equal(wg.resultConfiguration.encryptionConfiguration.encryptionOption, "SSE_KMS");
    assert.equal(wg.resultConfiguration.encryptionConfiguration.kmsKeyArn, r.one("aws:kms/key:Key", "audit-key").rawOutputs.arn);
    assert.equal(wg.bytesScannedCutoffPerQuery, 100 * 1024 ** 3);
    const results = `audit-athena-results-prd-${ACCOUNT}-${REGION}`;
    const [expiry, markers] = r.forBucket("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", results).inputs.rules;
    assert.equal(expiry.expiration.days, 30);
    // The bucket is versioned: expired results stay as noncurrent versions unless these expire too.
    assert.deepEqual(expiry.noncurrentVersionExpiration, { noncurrentDays: 1 });
    assert.equal(expiry.status, "Enabled");
    assert.deepEqual(markers.expiration, { expiredObjectDeleteMarker: true });
    assert.equal(markers.status, "Enabled");
    assert.equal(r.forBucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", results).inputs.restrictPublicBuckets, true);
  });

  it("exports what the evidence tooling needs", () => {
    assert.equal(r.output("dailyReviewFunction"), "audit-prd-daily-review");
    assert.deepEqual(r.output("athena"), { database: "audit_prd_audit", table: "cloudtrail_logs", workgroup: "audit-prd-audit" });
  });
});
