// E9 (001 V, No.29): bursts of authentication failures and access denials, and the structural
// changes the CIS AWS Foundations Benchmark asks to monitor, as metric filters on the trail's log
// group with alarms to the alert topic. Each names the CIS v1.4 control and the Security Hub
// control (CloudWatch.N) it serves. WAF blocks and API 404 bursts are watched when the API exists.
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

/** The filters on the trail's log group (CloudTrail record fields). */
export function trailMonitors(a: { authFailureThreshold: number; accessDeniedThreshold: number }): BurstMonitor[] {
  return [
    {
      id: "auth-failures",
      description: "Burst of authentication failures: console sign-in failures, STS and Cognito errors (001 No.29)",
      pattern:
        '{ (($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication")) || ' +
        '(($.eventSource = "sts.amazonaws.com") && ($.errorCode = "*")) || (($.eventSource = "cognito-idp.amazonaws.com") && ($.errorCode = "*")) }',
      threshold: a.authFailureThreshold,
      control: "CIS 4.6 / CloudWatch.6",
    },
    {
      id: "access-denied",
      description: "Burst of AccessDenied / UnauthorizedOperation errors (001 No.29)",
      pattern: '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
      threshold: a.accessDeniedThreshold,
      control: "CIS 4.1 / CloudWatch.2",
    },
    {
      id: "console-login-without-mfa",
      description: "Console sign-in without MFA",
      pattern: '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
      threshold: 1,
      control: "CIS 4.2 / CloudWatch.3",
    },
    {
      id: "root-account-use",
      description: "Use of the root user",
      pattern: '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
      threshold: 1,
      control: "CIS 4.3 / CloudWatch.1",
    },
    {
      id: "iam-policy-changes",
      description: "IAM policy changes",
      pattern:
        "{ ($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || " +
        "($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || " +
        "($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || " +
        "($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy) }",
      threshold: 1,
      control: "CIS 4.4 / CloudWatch.4",
    },
    {
      id: "security-group-changes",
      description: "Security group changes",
      pattern:
        "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || " +
        "($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }",
      threshold: 1,
      control: "CIS 4.10 / CloudWatch.10",
    },
    {
      id: "nacl-changes",
      description: "Network ACL changes",
      pattern:
        "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || " +
        "($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }",
      threshold: 1,
      control: "CIS 4.11 / CloudWatch.11",
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
