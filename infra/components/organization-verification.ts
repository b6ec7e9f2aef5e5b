// Issue 11 (E13, E14, E15): the daily verification of an organisation trail, fanned out on AWS
// Step Functions. A schedule starts a state machine whose Distributed Map runs one child execution
// per (member account, region, day) shard, each verifying its chain with the project's verifier in
// a Lambda; the results go to a working bucket (ResultWriter), and a reducer writes one review
// record under review/ in the locked log bucket and alerts through the alert path. The
// single-Lambda daily review stays for single-account trails.
//
// The definition comes from typed code (cloudtrail/org/state-machine.ts), validated in the tests
// by asl-validator and executed by aws-local-stepfunctions against a local S3 API.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { buildOrgVerificationDefinition } from "../../cloudtrail/org/state-machine";
import { CLOUDTRAIL_LOGS_PREFIX, REVIEW_PREFIX } from "../../cloudtrail/constants";
import { routeToAlerts, type AlertDestination } from "../lib/alert-route";
import { bucketBaseline, sseKms } from "../lib/bucket-baseline";
import { denyInsecureTransport, policyJson, type Statement } from "../lib/policy-document";
import { HandlerFunction } from "./handler-function";

/** Prefix of the working objects in the results bucket (plan, ItemReader array, ResultWriter output). */
export const RUNS_PREFIX = "runs/";

/** 01:45 UTC: after the digest closing the previous UTC day has arrived (as the daily review, E14). */
export const ORG_VERIFICATION_SCHEDULE = "cron(45 1 * * ? *)";

/**
 * The reducer's function (and role) name. The log bucket's policy names this role before it exists
 * (only the review jobs may write under review/, E14), so the name is derived, not read back.
 */
export function orgVerificationReducerName(namePrefix: string): string {
  return `${namePrefix}-org-verify-reducer`;
}

export interface OrganizationVerificationArgs {
  /** "<prefix>-<stack>": functions, state machine, rule and schedule are named under it (key and topic policies match on it). */
  namePrefix: string;
  region: string;
  accountId: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  organizationId: string;
  trailArn: pulumi.Input<string>;
  logBucketName: pulumi.Input<string>;
  /** The trail's S3 key prefix, when it has one. */
  trailS3KeyPrefix?: string;
  /** The audit key: log bucket objects, the review record, the results bucket and the log groups. */
  kmsKeyArn: pulumi.Input<string>;
  alertKeyArn: pulumi.Input<string>;
  alerts: AlertDestination;
  resultsBucketName: pulumi.Input<string>;
  /** Regions every member account must deliver (default: every region found in the bucket). */
  expectedRegions?: pulumi.Input<string[]>;
  /** Shards in flight (Distributed Map MaxConcurrency); see README "Organisation-scale verification". */
  maxConcurrency?: number;
  /** STANDARD (default): shards may take up to the Lambda limit; EXPRESS: cheaper, each shard under 5 minutes. */
  childExecutionType?: "STANDARD" | "EXPRESS";
  logRetentionDays: number;
  /** Days the working objects are kept (they are not evidence; the review record is). */
  resultsRetentionDays?: number;
}

export class OrganizationVerification extends pulumi.ComponentResource {
  readonly stateMachineArn: pulumi.Output<string>;
  readonly resultsBucketName: pulumi.Output<string>;
  /** The one role that writes review records of this component: the log bucket policy must admit it under review/. */
  readonly reviewWriterRoleArn: pulumi.Output<string>;

  constructor(name: string, args: OrganizationVerificationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("auditTrail:evidence:OrganizationVerification", name, {}, opts);
    const parent = { parent: this };
    const n = args.namePrefix;
    const stateMachineName = `${n}-org-verification`;
    const childType = args.childExecutionType ?? "STANDARD";
    // A shard runs in one Lambda invocation; the Task timeout leaves it a minute to report.
    const shardLambdaTimeout = childType === "EXPRESS" ? 240 : 840;
    const shardTaskTimeout = childType === "EXPRESS" ? 280 : 900;

    // ---- working bucket: plan, shard array, ResultWriter output; SSE-KMS, TLS only, expiring ----
    const results = new aws.s3.Bucket(`${name}-results`, { bucket: args.resultsBucketName, forceDestroy: false }, parent);
    const baseline = bucketBaseline(`${name}-results`, results, parent);
    sseKms(`${name}-results`, results, args.kmsKeyArn, parent);
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-results-lifecycle`,
      {
        bucket: results.id,
        rules: [
          {
            id: "expire-verification-runs",
            status: "Enabled",
            filter: { prefix: RUNS_PREFIX },
            expiration: { days: args.resultsRetentionDays ?? 30 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      },
      parent,
    );
    new aws.s3.BucketPolicy(
      `${name}-results-policy`,
      { bucket: results.id, policy: policyJson([denyInsecureTransport(results.arn)], parent) },
      { parent: this, dependsOn: [baseline.publicAccessBlock] },
    );

    const logBucketArn = pulumi.interpolate`arn:${args.partition}:s3:::${args.logBucketName}`;
    const logsRoot = `${args.trailS3KeyPrefix ? `${args.trailS3KeyPrefix}/` : ""}${CLOUDTRAIL_LOGS_PREFIX}`;
    const orgLogs = `${logsRoot}${args.organizationId}/`;
    const runObjects = pulumi.interpolate`${results.arn}/${RUNS_PREFIX}*`;
    const viaS3 = [{ test: "StringEquals", variable: "kms:ViaService", values: [`s3.${args.region}.amazonaws.com`] }];
    const common = {
      accountId: args.accountId,
      kmsKeyArn: args.kmsKeyArn,
      logRetentionDays: args.logRetentionDays,
    };
    const trailEnv = {
      TRAIL_ARN: args.trailArn,
      ORGANIZATION_ID: args.organizationId,
      LOG_BUCKET: args.logBucketName,
      ...(args.trailS3KeyPrefix ? { TRAIL_S3_KEY_PREFIX: args.trailS3KeyPrefix } : {}),
      RESULTS_BUCKET: results.bucket,
      RESULTS_PREFIX: RUNS_PREFIX,
      RESULTS_KMS_KEY_ARN: args.kmsKeyArn,
    };
    const listOrgLogs: Statement = {
      sid: "ListOrganizationTrailLogs",
      effect: "Allow",
      actions: ["s3:ListBucket"],
      resources: [logBucketArn],
      conditions: [{ test: "StringLike", variable: "s3:prefix", values: [`${orgLogs}*`] }],
    };
    const runObjectKey: Statement = {
      sid: "EstateKeyThroughS3",
      effect: "Allow",
      actions: ["kms:Decrypt", "kms:GenerateDataKey"],
      resources: [args.kmsKeyArn],
      conditions: viaS3,
    };

    const planner = new HandlerFunction(
      `${name}-planner`,
      {
        ...common,
        entry: "org-verification/planner.ts",
        functionName: `${n}-org-verify-planner`,
        description: "Organisation verification: plans (account, region, day) shards (issue 11)",
        environment: {
          ...trailEnv,
          EXPECTED_ACCOUNTS: "organizations",
          ...(args.expectedRegions ? { EXPECTED_REGIONS: pulumi.output(args.expectedRegions).apply((r) => JSON.stringify(r)) } : {}),
        },
        statements: [
          listOrgLogs,
          { sid: "WriteRunPlan", effect: "Allow", actions: ["s3:PutObject"], resources: [runObjects] },
          runObjectKey,
          // Organizations ListAccounts has no resource-level permission (service authorization reference).
          { sid: "ListOrganizationAccounts", effect: "Allow", actions: ["organizations:ListAccounts"], resources: ["*"] },
        ],
        timeoutSeconds: 600,
        memoryMb: 512,
      },
      parent,
    );
    const shard = new HandlerFunction(
      `${name}-shard`,
      {
        ...common,
        entry: "org-verification/shard.ts",
        functionName: `${n}-org-verify-shard`,
        description: "Organisation verification: verifies one account's digest chain in one region for one day (issue 11)",
        environment: trailEnv,
        statements: [
          listOrgLogs,
          { sid: "ReadOrganizationLogsAndDigests", effect: "Allow", actions: ["s3:GetObject"], resources: [pulumi.interpolate`${logBucketArn}/${orgLogs}*`] },
          // ListPublicKeys has no resource-level permission (CloudTrail service authorization reference).
          { sid: "ReadDigestPublicKeys", effect: "Allow", actions: ["cloudtrail:ListPublicKeys"], resources: ["*"] },
          { sid: "WriteFullFindings", effect: "Allow", actions: ["s3:PutObject"], resources: [runObjects] },
          runObjectKey,
        ],
        timeoutSeconds: shardLambdaTimeout,
        // ~1 vCPU at 1,769 MB (Lambda docs, "Memory and computing power"): hashing is CPU-bound.
        memoryMb: 1769,
      },
      parent,
    );
    const reducer = new HandlerFunction(
      `${name}-reducer`,
      {
        ...common,
        entry: "org-verification/reducer.ts",
        functionName: orgVerificationReducerName(args.namePrefix),
        description: "Organisation verification: merges shard results into one review record and alerts (issue 11, E14)",
        environment: { ...trailEnv, KMS_KEY_ARN: args.kmsKeyArn, ALERT_TOPIC_ARN: args.alerts.topicArn },
        statements: [
          { sid: "ReadRunResults", effect: "Allow", actions: ["s3:GetObject"], resources: [runObjects] },
          { sid: "WriteReviewRecords", effect: "Allow", actions: ["s3:PutObject"], resources: [pulumi.interpolate`${logBucketArn}/${REVIEW_PREFIX}*`] },
          runObjectKey,
          {
            sid: "AlertKeyThroughSns",
            effect: "Allow",
            actions: ["kms:Decrypt", "kms:GenerateDataKey"],
            resources: [args.alertKeyArn],
            conditions: [{ test: "StringEquals", variable: "kms:ViaService", values: [`sns.${args.region}.amazonaws.com`] }],
          },
          { sid: "NotifyFindings", effect: "Allow", actions: ["sns:Publish"], resources: [args.alerts.topicArn] },
        ],
        timeoutSeconds: 900,
        memoryMb: 1024,
      },
      parent,
    );

    // ---- the state machine and its role --------------------------------------------------------
    const stateMachineArn = pulumi.interpolate`arn:${args.partition}:states:${args.region}:${args.accountId}:stateMachine:${stateMachineName}`;
    const executionArns = pulumi.interpolate`arn:${args.partition}:states:${args.region}:${args.accountId}:execution:${stateMachineName}/*`;
    const sourceAccount = [{ test: "StringEquals", variable: "aws:SourceAccount", values: [args.accountId] }];
    const role = new aws.iam.Role(
      `${name}-states`,
      {
        name: `${n}-org-verification-states`,
        description: `Execution role of the ${stateMachineName} state machine`,
        assumeRolePolicy: policyJson(
          [
            {
              effect: "Allow",
              principals: [{ type: "Service", identifiers: ["states.amazonaws.com"] }],
              actions: ["sts:AssumeRole"],
              conditions: sourceAccount,
            },
          ],
          parent,
        ),
      },
      parent,
    );
    const functionArns = [planner.functionArn, shard.functionArn, reducer.functionArn];
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-states`,
      {
        role: role.id,
        policy: policyJson(
          [
            // lambda:invoke on the three functions and their versions, nothing else.
            {
              sid: "InvokeVerificationFunctions",
              effect: "Allow",
              actions: ["lambda:InvokeFunction"],
              resources: [...functionArns, ...functionArns.map((a) => pulumi.interpolate`${a}:*`)],
            },
            // Distributed Map child executions are executions of this state machine (Step Functions
            // docs, "IAM policies for using Distributed Map states").
            { sid: "StartChildExecutions", effect: "Allow", actions: ["states:StartExecution"], resources: [stateMachineArn] },
            { sid: "ManageChildExecutions", effect: "Allow", actions: ["states:DescribeExecution", "states:StopExecution"], resources: [executionArns] },
            // ItemReader (GetObject of the shard array) and ResultWriter (multipart PutObject) on runs/ only.
            {
              sid: "ReadItemsWriteResults",
              effect: "Allow",
              actions: ["s3:GetObject", "s3:PutObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"],
              resources: [runObjects],
            },
            runObjectKey,
            // CloudWatch Logs vended delivery: these actions take no resource (Step Functions docs, "Logging using CloudWatch Logs").
            {
              sid: "DeliverExecutionLogs",
              effect: "Allow",
              actions: [
                "logs:CreateLogDelivery",
                "logs:GetLogDelivery",
                "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:DescribeResourcePolicies",
                "logs:DescribeLogGroups",
              ],
              resources: ["*"],
            },
          ],
          parent,
        ),
      },
      parent,
    );
    // /aws/vendedlogs/ is the prefix AWS recommends for vended logs (resource policy size limit).
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/aws/vendedlogs/states/${stateMachineName}`, retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn },
      parent,
    );
    const machine = new aws.sfn.StateMachine(
      `${name}-machine`,
      {
        name: stateMachineName,
        type: "STANDARD",
        roleArn: role.arn,
        definition: pulumi.all(functionArns).apply(([plannerArn, shardArn, reducerArn]) =>
          JSON.stringify(
            buildOrgVerificationDefinition({
              plannerFunctionArn: plannerArn,
              shardFunctionArn: shardArn,
              reducerFunctionArn: reducerArn,
              maxConcurrency: args.maxConcurrency ?? 100,
              shardTimeoutSeconds: shardTaskTimeout,
              childExecutionType: childType,
              // A day of 17,000 shards at 100 at once takes minutes; a month well under 6 h (README figures).
              executionTimeoutSeconds: 6 * 3600,
            }),
          ),
        ),
        // ERROR level, no execution data: findings belong in the review record, not in log events.
        loggingConfiguration: { logDestination: pulumi.interpolate`${logGroup.arn}:*`, includeExecutionData: false, level: "ERROR" },
        tracingConfiguration: { enabled: false },
      },
      { parent: this, dependsOn: [rolePolicy] },
    );

    // ---- the daily start, and an alert when an execution fails ---------------------------------
    const schedulerRole = new aws.iam.Role(
      `${name}-scheduler`,
      {
        description: "EventBridge Scheduler starts the organisation verification",
        assumeRolePolicy: policyJson(
          [
            {
              effect: "Allow",
              principals: [{ type: "Service", identifiers: ["scheduler.amazonaws.com"] }],
              actions: ["sts:AssumeRole"],
              conditions: sourceAccount,
            },
          ],
          parent,
        ),
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-scheduler`,
      {
        role: schedulerRole.id,
        policy: policyJson(
          [
            { sid: "StartTheVerification", effect: "Allow", actions: ["states:StartExecution"], resources: [machine.arn] },
            { sid: "KeepMissedStarts", effect: "Allow", actions: ["sqs:SendMessage"], resources: [args.alerts.deadLetterQueueArn] },
          ],
          parent,
        ),
      },
      parent,
    );
    new aws.scheduler.Schedule(
      `${name}-schedule`,
      {
        name: stateMachineName,
        description: "Issue 11 / E14: daily verification of every member account's digest chains",
        scheduleExpression: ORG_VERIFICATION_SCHEDULE,
        scheduleExpressionTimezone: "UTC",
        flexibleTimeWindow: { mode: "OFF" },
        target: {
          arn: machine.arn,
          roleArn: schedulerRole.arn,
          // {} = the previous UTC day (the planner's default).
          input: "{}",
          retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
          deadLetterConfig: { arn: args.alerts.deadLetterQueueArn },
        },
      },
      parent,
    );
    routeToAlerts(
      this,
      `${name}-failed`,
      {
        name: `${n}-org-verification-failed`,
        description: "An organisation verification execution failed, timed out or was aborted: the day is not reviewed",
        eventPattern: machine.arn.apply((arn) =>
          JSON.stringify({
            source: ["aws.states"],
            "detail-type": ["Step Functions Execution Status Change"],
            detail: { status: ["FAILED", "TIMED_OUT", "ABORTED"], stateMachineArn: [arn] },
          }),
        ),
      },
      args.alerts,
    );

    this.stateMachineArn = machine.arn;
    this.resultsBucketName = results.bucket;
    this.reviewWriterRoleArn = reducer.roleArn;
    this.registerOutputs({ stateMachineArn: this.stateMachineArn, resultsBucketName: this.resultsBucketName });
  }
}
