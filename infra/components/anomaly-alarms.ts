// E9 (001 V, No.29): bursts of authentication failures and access denials, and the structural
// changes the CIS AWS Foundations Benchmark asks to monitor, as metric filters on the trail's log
// group with alarms to the alert topic. Each names the control it serves.
//
// CIS mapping (issue 10): the CIS filters are CIS v1.4.0 section 4, with the exact patterns of
// Security Hub's controls CloudWatch.1 and CloudWatch.4-14, which implement CIS v1.4.0 4.3-4.14
// in Security Hub's "CIS AWS Foundations Benchmark v1.4.0" standard (subscribed in
// securityPosture.ts). CIS v3.0.0 has no CloudWatch.x control. CloudWatch.2 and .3 (CIS 4.1
// unauthorized calls, 4.2 sign-in without MFA) exist for v1.2.0 only: those two filters here serve
// 001 No.29 and are broader (IAM Identity Center sign-ins).
// https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface BurstMonitor {
  id: string;
  description: string;
  /** CloudWatch Logs filter pattern (JSON form). */
  pattern: string;
  threshold: number;
  /** "CIS 4.x / CloudWatch.y", or the 001 item it serves. */
  control: string;
}

export interface AnomalyAlarmsArgs {
  namePrefix: string;
  stack: string;
  trailLogGroupName: pulumi.Input<string>;
  topicArn: pulumi.Input<string>;
  authFailureThreshold: number;
  accessDeniedThreshold: number;
  periodSeconds: number;
  /** When the presigned-URL API exists (E12): its WAF log group and access log group. */
  wafLogGroupName?: pulumi.Input<string>;
  apiAccessLogGroupName?: pulumi.Input<string>;
}

/**
 * IAM Identity Center sign-ins are recorded by signin.amazonaws.com as CredentialVerification
 * (one per factor, serviceEventDetails.CredentialVerification Success|Failure) and, once every
 * factor passed, UserAuthentication (additionalEventData.CredentialType "PASSWORD" when the
 * password was the only factor): IAM Identity Center user guide, "Understanding IAM Identity
 * Center sign-in events" (https://docs.aws.amazon.com/singlesignon/latest/userguide/understanding-sign-in-events.html).
 * userIdentity.type is "Unknown" in older records and "IdentityCenterUser" since 2024, so it is not
 * matched on.
 */
const IDENTITY_CENTER_FAILURE =
  '(($.eventSource = "signin.amazonaws.com") && ($.eventName = "CredentialVerification") && ($.serviceEventDetails.CredentialVerification = "Failure")) || ' +
  '(($.eventSource = "signin.amazonaws.com") && ($.eventName = "UserAuthentication") && ($.serviceEventDetails.UserAuthentication = "Failure"))';
const IDENTITY_CENTER_WITHOUT_MFA =
  '(($.eventSource = "signin.amazonaws.com") && ($.eventName = "UserAuthentication") && ($.serviceEventDetails.UserAuthentication = "Success") && ($.additionalEventData.CredentialType = "PASSWORD"))';

const ors = (names: string[]) => names.map((n) => `($.eventName=${n})`).join(" || ");

/** The filters on the trail's log group (CloudTrail record fields). */
export function trailMonitors(a: { authFailureThreshold: number; accessDeniedThreshold: number }): BurstMonitor[] {
  return [
    {
      id: "auth-failures",
      description: "Burst of authentication failures: console, IAM Identity Center, STS and Cognito (001 No.29)",
      pattern:
        '{ (($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication")) || ' +
        '(($.eventSource = "sts.amazonaws.com") && ($.errorCode = "*")) || (($.eventSource = "cognito-idp.amazonaws.com") && ($.errorCode = "*")) || ' +
        `${IDENTITY_CENTER_FAILURE} }`,
      threshold: a.authFailureThreshold,
      control: "001 No.29",
    },
    {
      id: "access-denied",
      description: "Burst of AccessDenied / UnauthorizedOperation errors (001 No.29)",
      pattern: '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
      threshold: a.accessDeniedThreshold,
      control: "001 No.29; CIS v1.4.0 4.1 (CloudWatch.2 is CIS v1.2.0 3.1 only)",
    },
    {
      id: "console-login-without-mfa",
      description: "Console or IAM Identity Center sign-in without MFA",
      pattern:
        '{ (($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success")) || ' +
        `${IDENTITY_CENTER_WITHOUT_MFA} }`,
      threshold: 1,
      control: "CIS v1.4.0 4.2 (CloudWatch.3 is CIS v1.2.0 3.2 only)",
    },
    {
      id: "root-account-use",
      description: "Use of the root user",
      pattern: '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
      threshold: 1,
      control: "CIS v1.4.0 4.3 / CloudWatch.1",
    },
    {
      id: "iam-policy-changes",
      description: "IAM policy changes",
      pattern: `{${ors(["DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy", "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion", "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy"])}}`,
      threshold: 1,
      control: "CIS v1.4.0 4.4 / CloudWatch.4",
    },
    {
      id: "trail-configuration-changes",
      description: "CloudTrail configuration changes",
      pattern: `{${ors(["CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"])}}`,
      threshold: 1,
      control: "CIS v1.4.0 4.5 / CloudWatch.5",
    },
    {
      id: "console-auth-failures",
      description: "AWS Management Console authentication failures",
      pattern: '{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}',
      threshold: a.authFailureThreshold,
      control: "CIS v1.4.0 4.6 / CloudWatch.6",
    },
    {
      id: "cmk-disabled-or-deleted",
      description: "Customer managed keys disabled or scheduled for deletion",
      pattern: "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}",
      threshold: 1,
      control: "CIS v1.4.0 4.7 / CloudWatch.7",
    },
    {
      id: "bucket-policy-changes",
      description: "S3 bucket policy changes",
      pattern: `{($.eventSource=s3.amazonaws.com) && (${ors(["PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle", "PutBucketReplication", "DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle", "DeleteBucketReplication"])})}`,
      threshold: 1,
      control: "CIS v1.4.0 4.8 / CloudWatch.8",
    },
    {
      id: "config-changes",
      description: "AWS Config configuration changes",
      pattern: `{($.eventSource=config.amazonaws.com) && (${ors(["StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel", "PutConfigurationRecorder"])})}`,
      threshold: 1,
      control: "CIS v1.4.0 4.9 / CloudWatch.9",
    },
    {
      id: "security-group-changes",
      description: "Security group changes",
      pattern: `{${ors(["AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup"])}}`,
      threshold: 1,
      control: "CIS v1.4.0 4.10 / CloudWatch.10",
    },
    {
      id: "nacl-changes",
      description: "Network ACL changes",
      pattern: `{${ors(["CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry", "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation"])}}`,
      threshold: 1,
      control: "CIS v1.4.0 4.11 / CloudWatch.11",
    },
    {
      id: "network-gateway-changes",
      description: "Network gateway changes",
      pattern: `{${ors(["CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway", "CreateInternetGateway", "DeleteInternetGateway", "DetachInternetGateway"])}}`,
      threshold: 1,
      control: "CIS v1.4.0 4.12 / CloudWatch.12",
    },
    {
      id: "route-table-changes",
      description: "Route table changes",
      pattern: `{${ors(["CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation", "DeleteRouteTable", "DeleteRoute", "DisassociateRouteTable"])}}`,
      threshold: 1,
      control: "CIS v1.4.0 4.13 / CloudWatch.13",
    },
    {
      id: "vpc-changes",
      description: "VPC changes",
      pattern: `{${ors(["CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection", "CreateVpcPeeringConnection", "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection", "AttachClassicLinkVpc", "DetachClassicLinkVpc", "DisableVpcClassicLink", "EnableVpcClassicLink"])}}`,
      threshold: 1,
      control: "CIS v1.4.0 4.14 / CloudWatch.14",
    },
  ];
}

export class AnomalyAlarms extends pulumi.ComponentResource {
  readonly alarmNames: pulumi.Output<string>[] = [];

  constructor(name: string, args: AnomalyAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("auditTrail:alerting:AnomalyAlarms", name, {}, opts);
    const base = `${args.namePrefix}-${args.stack}`;
    const namespace = `AuditTrail/${args.stack}`;
    const watch = (logGroupName: pulumi.Input<string>, m: BurstMonitor) => {
      const metricName = m.id.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
      new aws.cloudwatch.LogMetricFilter(
        `${name}-${m.id}`,
        { name: `${base}-${m.id}`, logGroupName, pattern: m.pattern, metricTransformation: { name: metricName, namespace, value: "1", defaultValue: "0" } },
        { parent: this },
      );
      const alarm = new aws.cloudwatch.MetricAlarm(
        `${name}-${m.id}`,
        {
          name: `${base}-${m.id}`,
          alarmDescription: `${m.description} [${m.control}]`,
          namespace,
          metricName,
          statistic: "Sum",
          period: args.periodSeconds,
          evaluationPeriods: 1,
          threshold: m.threshold,
          comparisonOperator: "GreaterThanOrEqualToThreshold",
          treatMissingData: "notBreaching",
          alarmActions: [args.topicArn],
        },
        { parent: this },
      );
      this.alarmNames.push(alarm.name);
    };
    for (const m of trailMonitors(args)) watch(args.trailLogGroupName, m);
    if (args.wafLogGroupName) {
      watch(args.wafLogGroupName, {
        id: "waf-blocks",
        description: "Burst of requests blocked by the API's WAF (001 No.29)",
        pattern: '{ $.action = "BLOCK" }',
        threshold: args.accessDeniedThreshold,
        control: "001 No.29",
      });
    }
    if (args.apiAccessLogGroupName) {
      watch(args.apiAccessLogGroupName, {
        // With IAM auth, API Gateway answers a nonexistent path or method with 403 "Missing
        // Authentication Token", not 404: that response type is what a probe produces.
        id: "api-not-found",
        description: "Burst of calls to nonexistent API endpoints (403 MISSING_AUTHENTICATION_TOKEN) (001 No.29)",
        pattern: '{ $.errorResponseType = "MISSING_AUTHENTICATION_TOKEN" }',
        threshold: args.accessDeniedThreshold,
        control: "001 No.29",
      });
    }
    this.registerOutputs({});
  }
}
