// E14 (PCI DSS 10.4.1 / 10.4.1.1, 003 6-1): every day a scheduled job checks the trail is
// logging, verifies the previous day's digest chain, summarises non-routine operations (Logs
// Insights), stores a review record under review/ in the locked log bucket, and notifies when it
// finds anything. A failed run goes to the alert dead-letter queue, so a missed review is seen.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyJson } from "../lib/policy-document";
import { REVIEW_PREFIX } from "../../cloudtrail/constants";
import { HandlerFunction } from "./handler-function";

export interface DailyReviewArgs {
  functionName: string;
  region: string;
  accountId: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  trailArn: pulumi.Input<string>;
  logBucketName: pulumi.Input<string>;
  logGroupName: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
  /** The alert path's key: the topic and the dead-letter queue are encrypted with it. */
  alertKeyArn: pulumi.Input<string>;
  alertTopicArn: pulumi.Input<string>;
  deadLetterQueueArn: pulumi.Input<string>;
  deployerRoleArns: string[];
  logRetentionDays: number;
  /** E15: the organisation of an organisation trail (its logs are under AWSLogs/<id>/<account>/). */
  organizationId?: string;
}

/** 01:30 UTC: after the digest that closes the previous UTC day has been delivered. */
export const REVIEW_SCHEDULE = "cron(30 1 * * ? *)";

export class DailyReview extends pulumi.ComponentResource {
  readonly functionName: pulumi.Output<string>;
  readonly roleArn: pulumi.Output<string>;

  constructor(name: string, args: DailyReviewArgs, opts?: pulumi.ComponentResourceOptions) {
    super("auditTrail:evidence:DailyReview", name, {}, opts);
    const bucketArn = pulumi.interpolate`arn:${args.partition}:s3:::${args.logBucketName}`;
    const logGroupArn = pulumi.interpolate`arn:${args.partition}:logs:${args.region}:${args.accountId}:log-group:${args.logGroupName}`;
    const fn = new HandlerFunction(
      `${name}-function`,
      {
        entry: "daily-review/index.ts",
        functionName: args.functionName,
        description: "Daily audit review: trail status, digest chain, non-routine operations (E14)",
        environment: {
          TRAIL_ARN: args.trailArn,
          LOG_BUCKET: args.logBucketName,
          LOG_GROUP_NAME: args.logGroupName,
          KMS_KEY_ARN: args.kmsKeyArn,
          ALERT_TOPIC_ARN: args.alertTopicArn,
          DEPLOYER_ROLE_ARNS: JSON.stringify(args.deployerRoleArns),
          // E15: without it the review cannot find an organisation trail's digests.
          ...(args.organizationId ? { ORGANIZATION_ID: args.organizationId } : {}),
        },
        statements: [
          { sid: "ReadTrailStatus", effect: "Allow", actions: ["cloudtrail:GetTrail", "cloudtrail:GetTrailStatus"], resources: [args.trailArn] },
          // ListPublicKeys has no resource-level permission (CloudTrail service authorization reference).
          { sid: "ReadDigestPublicKeys", effect: "Allow", actions: ["cloudtrail:ListPublicKeys"], resources: ["*"] },
          {
            sid: "ListTrailLogs",
            effect: "Allow",
            actions: ["s3:ListBucket"],
            resources: [bucketArn],
            conditions: [{ test: "StringLike", variable: "s3:prefix", values: ["AWSLogs/*", `${REVIEW_PREFIX}*`] }],
          },
          { sid: "ReadTrailLogsAndDigests", effect: "Allow", actions: ["s3:GetObject"], resources: [pulumi.interpolate`${bucketArn}/AWSLogs/*`] },
          { sid: "WriteReviewRecords", effect: "Allow", actions: ["s3:PutObject"], resources: [pulumi.interpolate`${bucketArn}/${REVIEW_PREFIX}*`] },
          {
            sid: "EstateKeyThroughS3",
            effect: "Allow",
            actions: ["kms:Decrypt", "kms:GenerateDataKey"],
            resources: [args.kmsKeyArn],
            conditions: [{ test: "StringEquals", variable: "kms:ViaService", values: [`s3.${args.region}.amazonaws.com`] }],
          },
          {
            sid: "AlertKeyThroughSns",
            effect: "Allow",
            actions: ["kms:Decrypt", "kms:GenerateDataKey"],
            resources: [args.alertKeyArn],
            conditions: [{ test: "StringEquals", variable: "kms:ViaService", values: [`sns.${args.region}.amazonaws.com`] }],
          },
          { sid: "QueryTrailLogGroup", effect: "Allow", actions: ["logs:StartQuery"], resources: [logGroupArn, pulumi.interpolate`${logGroupArn}:*`] },
          { sid: "ReadQueryResults", effect: "Allow", actions: ["logs:GetQueryResults", "logs:StopQuery"], resources: ["*"] },
          { sid: "NotifyFindings", effect: "Allow", actions: ["sns:Publish"], resources: [args.alertTopicArn] },
          { sid: "KeepFailedRuns", effect: "Allow", actions: ["sqs:SendMessage"], resources: [args.deadLetterQueueArn] },
        ],
        accountId: args.accountId,
        kmsKeyArn: args.kmsKeyArn,
        logRetentionDays: args.logRetentionDays,
        // Logs Insights polling is bounded at 120 x 2 s inside; the verification streams a day of logs.
        timeoutSeconds: 900,
        memoryMb: 1024,
      },
      { parent: this },
    );
    new aws.lambda.FunctionEventInvokeConfig(
      `${name}-on-failure`,
      { functionName: fn.functionName, maximumRetryAttempts: 2, destinationConfig: { onFailure: { destination: args.deadLetterQueueArn } } },
      { parent: this },
    );
    const schedulerRole = new aws.iam.Role(
      `${name}-scheduler`,
      {
        description: "EventBridge Scheduler starts the daily audit review",
        assumeRolePolicy: policyJson(
          [
            {
              effect: "Allow",
              principals: [{ type: "Service", identifiers: ["scheduler.amazonaws.com"] }],
              actions: ["sts:AssumeRole"],
              conditions: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [args.accountId] }],
            },
          ],
          { parent: this },
        ),
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-scheduler`,
      {
        role: schedulerRole.id,
        policy: policyJson(
          [
            { sid: "StartTheReview", effect: "Allow", actions: ["lambda:InvokeFunction"], resources: [fn.functionArn] },
            { sid: "KeepMissedStarts", effect: "Allow", actions: ["sqs:SendMessage"], resources: [args.deadLetterQueueArn] },
          ],
          { parent: this },
        ),
      },
      { parent: this },
    );
    new aws.scheduler.Schedule(
      `${name}-schedule`,
      {
        name: args.functionName,
        description: "E14: daily review of the audit trail (PCI DSS 10.4.1)",
        scheduleExpression: REVIEW_SCHEDULE,
        scheduleExpressionTimezone: "UTC",
        flexibleTimeWindow: { mode: "OFF" },
        target: {
          arn: fn.functionArn,
          roleArn: schedulerRole.arn,
          retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
          deadLetterConfig: { arn: args.deadLetterQueueArn },
        },
      },
      { parent: this },
    );
    this.functionName = fn.functionName;
    this.roleArn = fn.roleArn;
    this.registerOutputs({ functionName: this.functionName });
  }
}
