// Issue 11 infra under the mocked runtime: the OrganizationVerification component of an
// organisation-trail stack (prd with organizationTrail on), asserted by name.
import { strict as assert } from "node:assert";
import { MOCK_ACCOUNT_ID } from "../../offline/mocks";
import { STATE_NAMES, type MapState, type TaskState } from "../../cloudtrail/org/state-machine";
import { asList, resourcesOf, statement, statements, type Resources } from "../support/estate";
import { ORGANIZATION_ID, SHARED_OPTIONS } from "../infra/shared-options";

const ACCOUNT = MOCK_ACCOUNT_ID;
const REGION = "ap-northeast-1";
const ORG = ORGANIZATION_ID;
const LOG_BUCKET = `audit-trail-logs-prd-${ACCOUNT}-${REGION}`;
const RESULTS_BUCKET = `audit-org-verify-prd-${ACCOUNT}-${REGION}`;
const MACHINE = "audit-prd-org-verification";

describe("organisation verification infra (issue 11), stack prd with an organisation trail", function () {
  this.timeout(120_000);
  let r: Resources;
  before(async () => {
    // The shared prd run (organisation trail among its options): no extra mocked program run.
    r = await resourcesOf("prd", SHARED_OPTIONS);
  });
  const fn = (name: string) => r.one("aws:lambda/function:Function", `org-verification-${name}`);
  const fnPolicy = (name: string) => r.one("aws:iam/rolePolicy:RolePolicy", `org-verification-${name}-policy`).inputs.policy as string;

  it("is not deployed for a single-account trail", async () => {
    const single = await resourcesOf("prd");
    assert.equal(single.ofType("aws:sfn/stateMachine:StateMachine").length, 0);
    assert.equal(single.output("organizationVerificationStateMachine"), undefined);
  });

  it("deploys a STANDARD state machine whose definition is the typed Distributed Map, logging errors to a KMS-encrypted log group", () => {
    const m = r.one("aws:sfn/stateMachine:StateMachine", "org-verification-machine").inputs;
    assert.equal(m.name, MACHINE);
    assert.equal(m.type, "STANDARD");
    assert.equal(m.roleArn, r.one("aws:iam/role:Role", "org-verification-states").rawOutputs.arn);
    const def = JSON.parse(m.definition);
    const map = def.States[STATE_NAMES.map] as MapState;
    assert.deepEqual(map.ItemProcessor.ProcessorConfig, { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" });
    assert.equal(map.ToleratedFailurePercentage, 0);
    // 100 shards x 8 log files in flight stays under KMS's default 5,500 requests/s (README figures).
    assert.equal(map.MaxConcurrency, 100);
    assert.equal(def.States[STATE_NAMES.plan].Parameters.FunctionName, fn("planner").rawOutputs.arn);
    assert.equal(((map.ItemProcessor.States[STATE_NAMES.shard] as TaskState).Parameters as { FunctionName: string }).FunctionName, fn("shard").rawOutputs.arn);
    assert.equal((map.ItemProcessor.States[STATE_NAMES.shard] as { TimeoutSeconds: number }).TimeoutSeconds, 900);
    assert.equal(def.States[STATE_NAMES.reduce].Parameters.FunctionName, fn("reducer").rawOutputs.arn);
    const logs = r.one("aws:cloudwatch/logGroup:LogGroup", "org-verification-logs");
    assert.equal(logs.inputs.name, `/aws/vendedlogs/states/${MACHINE}`);
    assert.equal(logs.inputs.kmsKeyId, r.one("aws:kms/key:Key", "audit-key").rawOutputs.arn);
    assert.deepEqual(m.loggingConfiguration, { logDestination: `${logs.rawOutputs.arn}:*`, includeExecutionData: false, level: "ERROR" });
    // CloudWatch Logs can use the audit key for this group only if the key policy names it.
    const keyLogs = statement(r.one("aws:kms/key:Key", "audit-key").inputs.policy as string, "AllowCloudWatchLogsForTheEstateLogGroups");
    const patterns = asList(keyLogs.Condition?.ArnLike?.["kms:EncryptionContext:aws:logs:arn"]);
    const groupArn = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${logs.inputs.name}`;
    const glob = (p: string) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
    assert.ok(
      patterns.some((p) => glob(p).test(groupArn)),
      `the audit key's logs statement covers ${groupArn}: ${patterns.join(", ")}`,
    );
  });

  it("gives the state machine role only: invoke the three functions, run its own child executions, read items and write results under runs/", () => {
    const trust = JSON.parse(r.one("aws:iam/role:Role", "org-verification-states").inputs.assumeRolePolicy).Statement[0];
    assert.equal(trust.Principal.Service, "states.amazonaws.com");
    assert.equal(trust.Condition.StringEquals["aws:SourceAccount"], ACCOUNT);
    const policy = r.one("aws:iam/rolePolicy:RolePolicy", "org-verification-states").inputs.policy as string;
    const invoke = statement(policy, "InvokeVerificationFunctions");
    assert.equal(invoke.Action, "lambda:InvokeFunction");
    const arns = ["planner", "shard", "reducer"].map((n) => fn(n).rawOutputs.arn);
    assert.deepEqual(asList(invoke.Resource).sort(), [...arns, ...arns.map((a) => `${a}:*`)].sort());
    assert.deepEqual(asList(statement(policy, "StartChildExecutions").Resource), [`arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${MACHINE}`]);
    assert.deepEqual(asList(statement(policy, "ManageChildExecutions").Action).sort(), ["states:DescribeExecution", "states:StopExecution"]);
    assert.deepEqual(asList(statement(policy, "ManageChildExecutions").Resource), [`arn:aws:states:${REGION}:${ACCOUNT}:execution:${MACHINE}/*`]);
    assert.deepEqual(asList(statement(policy, "ReadItemsWriteResults").Resource), [`arn:aws:s3:::${RESULTS_BUCKET}/runs/*`]);
    const actions = statements(policy).flatMap((s) => asList(s.Action));
    assert.ok(!actions.some((a) => a === "*" || a.endsWith(":*")), actions.join(","));
    assert.ok(!statements(policy).some((s) => asList(s.Resource).includes("*") && s.Sid !== "DeliverExecutionLogs"), "only log delivery takes no resource");
  });

  it("lets the shard read only the organisation's logs and digests, the planner list them and the organisation, the reducer write only review/", () => {
    const shard = fnPolicy("shard");
    assert.deepEqual(asList(statement(shard, "ReadOrganizationLogsAndDigests").Resource), [`arn:aws:s3:::${LOG_BUCKET}/AWSLogs/${ORG}/*`]);
    const list = statement(shard, "ListOrganizationTrailLogs");
    assert.deepEqual(list.Condition?.StringLike?.["s3:prefix"], `AWSLogs/${ORG}/*`);
    assert.equal(statement(shard, "ReadDigestPublicKeys").Action, "cloudtrail:ListPublicKeys");
    assert.equal(statement(shard, "EstateKeyThroughS3").Condition?.StringEquals?.["kms:ViaService"], `s3.${REGION}.amazonaws.com`);
    const planner = fnPolicy("planner");
    assert.equal(statement(planner, "ListOrganizationAccounts").Action, "organizations:ListAccounts");
    assert.deepEqual(asList(statement(planner, "WriteRunPlan").Resource), [`arn:aws:s3:::${RESULTS_BUCKET}/runs/*`]);
    const reducer = fnPolicy("reducer");
    assert.deepEqual(asList(statement(reducer, "WriteReviewRecords").Resource), [`arn:aws:s3:::${LOG_BUCKET}/review/*`]);
    assert.equal(statement(reducer, "NotifyFindings").Resource, r.one("aws:sns/topic:Topic", "alert-delivery-topic").rawOutputs.arn);
    for (const p of [shard, planner, reducer]) {
      const actions = statements(p).flatMap((s) => asList(s.Action));
      assert.ok(!actions.some((a) => /^s3:(Delete|PutBucket|PutObjectRetention|BypassGovernance)/.test(a)), actions.join(","));
    }
    const env = fn("shard").inputs.environment.variables;
    assert.equal(env.ORGANIZATION_ID, ORG);
    assert.equal(env.LOG_BUCKET, LOG_BUCKET);
    assert.equal(env.RESULTS_BUCKET, RESULTS_BUCKET);
    assert.equal(env.RESULTS_PREFIX, "runs/");
    assert.equal(fn("shard").inputs.timeout, 840);
    assert.equal(fn("shard").inputs.memorySize, 1769);
    assert.equal(fn("planner").inputs.environment.variables.EXPECTED_ACCOUNTS, "organizations");
    assert.equal(fn("reducer").inputs.environment.variables.ALERT_TOPIC_ARN, r.one("aws:sns/topic:Topic", "alert-delivery-topic").rawOutputs.arn);
  });

  it("keeps the working results in their own bucket: SSE-KMS, TLS only, public access blocked, expiring after 30 days, never force-destroyed", () => {
    const bucket = r.one("aws:s3/bucket:Bucket", "org-verification-results").inputs;
    assert.equal(bucket.bucket, RESULTS_BUCKET);
    assert.equal(bucket.forceDestroy, false);
    const sse = r.forBucket("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", RESULTS_BUCKET).inputs.rules[0];
    assert.equal(sse.applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
    assert.equal(sse.applyServerSideEncryptionByDefault.kmsMasterKeyId, r.one("aws:kms/key:Key", "audit-key").rawOutputs.arn);
    const rule = r.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "org-verification-results-lifecycle").inputs.rules[0];
    assert.deepEqual([rule.filter.prefix, rule.expiration.days, rule.status], ["runs/", 30, "Enabled"]);
    const tls = statement(r.one("aws:s3/bucketPolicy:BucketPolicy", "org-verification-results-policy").inputs.policy, "DenyInsecureTransport");
    assert.equal(tls.Effect, "Deny");
    assert.equal(tls.Condition?.Bool?.["aws:SecureTransport"], "false");
    const pab = r.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "org-verification-results-public-access-block").inputs;
    assert.ok(pab.blockPublicAcls && pab.blockPublicPolicy && pab.ignorePublicAcls && pab.restrictPublicBuckets);
  });

  it("starts daily at 01:45 UTC through a scheduler role that may only start it, and alerts when an execution fails", () => {
    const s = r.one("aws:scheduler/schedule:Schedule", "org-verification-schedule").inputs;
    const machineArn = r.one("aws:sfn/stateMachine:StateMachine", "org-verification-machine").rawOutputs.arn;
    assert.equal(s.scheduleExpression, "cron(45 1 * * ? *)");
    assert.equal(s.scheduleExpressionTimezone, "UTC");
    assert.equal(s.target.arn, machineArn);
    assert.equal(s.target.input, "{}");
    const dlq = r.one("aws:sqs/queue:Queue", "alert-delivery-dlq").rawOutputs.arn;
    assert.equal(s.target.deadLetterConfig.arn, dlq);
    const sp = r.one("aws:iam/rolePolicy:RolePolicy", "org-verification-scheduler").inputs.policy as string;
    assert.equal(statement(sp, "StartTheVerification").Action, "states:StartExecution");
    assert.equal(statement(sp, "StartTheVerification").Resource, machineArn);
    const rule = r.one("aws:cloudwatch/eventRule:EventRule", "org-verification-failed").inputs;
    assert.equal(rule.name, "audit-prd-org-verification-failed");
    const pattern = JSON.parse(rule.eventPattern);
    assert.deepEqual(pattern.detail.status, ["FAILED", "TIMED_OUT", "ABORTED"]);
    assert.deepEqual(pattern.detail.stateMachineArn, [machineArn]);
    const target = r.one("aws:cloudwatch/eventTarget:EventTarget", "org-verification-failed").inputs;
    assert.equal(target.arn, r.one("aws:sns/topic:Topic", "alert-delivery-topic").rawOutputs.arn);
    assert.equal(r.output("organizationVerificationStateMachine"), machineArn);
  });
});
