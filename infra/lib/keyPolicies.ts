// Key policy statements of the estate's audit key (M4). CloudTrail docs: "Configure AWS KMS key
// policies for CloudTrail"; CloudWatch Logs docs: "Encrypt log data in CloudWatch Logs using AWS KMS".
import * as pulumi from "@pulumi/pulumi";
import { Statement } from "./policyDocument";

export interface AuditKeyPolicyArgs {
  accountId: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  region: string;
  trailArn: pulumi.Input<string>;
  /** The estate's log groups (ARN patterns): the trail's, its Lambdas', its API's and WAF's. */
  logGroupArns: pulumi.Input<string>[];
  auditorRoleArns: string[];
}

export function auditKeyStatements(a: AuditKeyPolicyArgs): Statement[] {
  const cloudtrail = [{ type: "Service", identifiers: ["cloudtrail.amazonaws.com"] }];
  const thisTrail = { test: "StringEquals", variable: "aws:SourceArn", values: [a.trailArn] };
  const statements: Statement[] = [
    {
      // Only this trail may have CloudTrail encrypt with the key.
      sid: "AllowCloudTrailToEncryptThisTrail",
      effect: "Allow",
      principals: cloudtrail,
      actions: ["kms:GenerateDataKey*"],
      resources: ["*"],
      conditions: [
        thisTrail,
        {
          test: "StringLike",
          variable: "kms:EncryptionContext:aws:cloudtrail:arn",
          values: [pulumi.interpolate`arn:${a.partition}:cloudtrail:*:${a.accountId}:trail/*`],
        },
      ],
    },
    {
      sid: "AllowCloudTrailToDescribeKey",
      effect: "Allow",
      principals: cloudtrail,
      actions: ["kms:DescribeKey"],
      resources: ["*"],
      conditions: [thisTrail],
    },
    logsKeyStatement(a.region, a.logGroupArns),
  ];
  if (a.auditorRoleArns.length > 0) {
    statements.push({
      // Auditors read the logs through S3 only, in this account (no direct use of the key); they
      // also write Athena results, which the workgroup encrypts with this key.
      sid: "AllowAuditorsToDecryptLogsThroughS3",
      effect: "Allow",
      principals: [{ type: "AWS", identifiers: a.auditorRoleArns }],
      actions: ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
      resources: ["*"],
      conditions: [
        { test: "StringEquals", variable: "kms:ViaService", values: [`s3.${a.region}.amazonaws.com`] },
        { test: "StringEquals", variable: "kms:CallerAccount", values: [a.accountId] },
      ],
    });
  }
  return statements;
}

/** E7: CloudWatch Logs may use the key for the estate's own log groups, and only those. */
export function logsKeyStatement(region: string, logGroupArns: pulumi.Input<string>[]): Statement {
  return {
    sid: "AllowCloudWatchLogsForTheEstateLogGroups",
    effect: "Allow",
    principals: [{ type: "Service", identifiers: [`logs.${region}.amazonaws.com`] }],
    actions: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
    resources: ["*"],
    conditions: [{ test: "ArnLike", variable: "kms:EncryptionContext:aws:logs:arn", values: logGroupArns }],
  };
}

/**
 * E8: the services that deliver alerts use the alert key. CloudWatch alarms and SNS (to the
 * encrypted dead-letter queue) are bound to this account by aws:SourceAccount. EventBridge is not:
 * it does not send aws:SourceAccount / aws:SourceArn with its KMS requests when it delivers to an
 * encrypted topic or queue, so such a condition would drop every alert silently. The grant is safe
 * because this key protects the alert path only, and the topic and queue policies admit only this
 * estate's rules (aws:SourceArn).
 */
export function alertingKeyStatements(accountId: pulumi.Input<string>): Statement[] {
  return [
    {
      sid: "AllowAlarmsAndSnsOfThisAccount",
      effect: "Allow",
      principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com", "sns.amazonaws.com"] }],
      actions: ["kms:GenerateDataKey*", "kms:Decrypt"],
      resources: ["*"],
      conditions: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [accountId] }],
    },
    {
      sid: "AllowEventBridgeDelivery",
      effect: "Allow",
      principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
      actions: ["kms:GenerateDataKey*", "kms:Decrypt"],
      resources: ["*"],
    },
  ];
}
