// Key policy statements of the estate's keys (M4). CloudTrail: "Configure AWS KMS key policies for
// CloudTrail" (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html);
// CloudWatch Logs: "Encrypt log data in CloudWatch Logs using AWS KMS"; SNS: "Key management",
// compatibility with AWS services (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
import * as pulumi from "@pulumi/pulumi";
import { Statement } from "./policy-document";

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
  // AWS's documented condition for trails: the trail ARN. For an organisation trail it is the
  // management account's trail ARN for every member account's delivery too (same page), so the
  // one condition covers member accounts; aws:SourceAccount is "supported, but not recommended".
  const thisTrail = { test: "StringEquals", variable: "aws:SourceArn", values: [a.trailArn] };
  const statements: Statement[] = [
    {
      // "Granting encrypt permissions": the encryption context names a trail of this account
      // (S3 passes CloudTrail's context on the GenerateDataKey it makes for the log file).
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
      // "Granting decrypt permissions": with an S3 Bucket Key (the log bucket has one), kms:Decrypt
      // is required to create or update a trail with SSE-KMS. Bound to this trail.
      sid: "AllowCloudTrailToDecryptWithBucketKey",
      effect: "Allow",
      principals: cloudtrail,
      actions: ["kms:Decrypt"],
      resources: ["*"],
      conditions: [thisTrail],
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
      // also write Athena results, which the workgroup encrypts with this key. The principal is the
      // account and the roles are named by aws:PrincipalArn: KMS refuses a key policy whose
      // principal does not exist (MalformedPolicyDocumentException), and a role deleted or not yet
      // created must not block the protected audit key (KMS docs: "Allows access to the AWS
      // account and enables IAM policies"; IAM: aws:PrincipalArn). The roles still need an IAM
      // policy allowing kms:Decrypt on the key: the account principal delegates to IAM.
      sid: "AllowAuditorsToDecryptLogsThroughS3",
      effect: "Allow",
      principals: [{ type: "AWS", identifiers: [pulumi.interpolate`arn:${a.partition}:iam::${a.accountId}:root`] }],
      actions: ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
      resources: ["*"],
      conditions: [
        { test: "ArnEquals", variable: "aws:PrincipalArn", values: a.auditorRoleArns },
        { test: "StringEquals", variable: "kms:ViaService", values: [`s3.${a.region}.amazonaws.com`] },
        { test: "StringEquals", variable: "kms:CallerAccount", values: [a.accountId] },
      ],
    });
    statements.push({
      // The account statement above delegates kms:* to IAM, so a broad identity policy could let an
      // auditor decrypt directly (outside S3, e.g. a copied log file). Deny it: through S3 only.
      sid: "DenyAuditorsDecryptOutsideS3",
      effect: "Deny",
      principals: [{ type: "*", identifiers: ["*"] }],
      actions: ["kms:Decrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
      resources: ["*"],
      conditions: [
        { test: "ArnEquals", variable: "aws:PrincipalArn", values: a.auditorRoleArns },
        { test: "StringNotEquals", variable: "kms:ViaService", values: [`s3.${a.region}.amazonaws.com`] },
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
 * E8: the services that publish to the encrypted alert topic use the alert key for that topic
 * only: SNS encrypts each message under the encryption context `aws:sns:topicArn` = the topic's
 * ARN, whoever publishes, so the condition holds for EventBridge as well (which sends no
 * aws:SourceAccount / aws:SourceArn with the KMS request). CloudWatch alarms are also bound to this
 * account. No grant to SNS itself: the dead-letter queue is SSE-SQS (not this key), and SNS needs
 * no key policy statement to deliver from its own topic.
 */
export function alertingKeyStatements(accountId: pulumi.Input<string>, topicArn: pulumi.Input<string>): Statement[] {
  const thisTopic = { test: "StringEquals", variable: "kms:EncryptionContext:aws:sns:topicArn", values: [topicArn] };
  return [
    {
      sid: "AllowCloudWatchAlarmsToPublish",
      effect: "Allow",
      principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
      actions: ["kms:GenerateDataKey*", "kms:Decrypt"],
      resources: ["*"],
      conditions: [thisTopic, { test: "StringEquals", variable: "aws:SourceAccount", values: [accountId] }],
    },
    {
      sid: "AllowEventBridgeRulesToPublish",
      effect: "Allow",
      principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
      actions: ["kms:GenerateDataKey*", "kms:Decrypt"],
      resources: ["*"],
      conditions: [thisTopic],
    },
  ];
}
