// E8: tamper operations on the estate's trail, keys and buckets -> EventBridge -> SNS (KMS) ->
// notifier Lambda -> the environment's Slack channel (001 V, 003 6-1). Nothing is dropped: every
// hop that can fail has a dead-letter queue (EventBridge target, SNS subscription, Lambda async
// invocation), the queue's depth is alarmed, and optional e-mail subscriptions still deliver when
// Slack is down. Routine operations (deployer roles) are told apart by the notifier, which records
// them and does not notify (001), so the rules never filter an event away.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EXTENDED_TAMPER_EVENTS, TAMPER_EVENTS } from "../../policy/lib/tamperEvents";
import { AlertDestination, routeToAlerts } from "../lib/alertRoute";
import { denyWithoutTls, policyJson } from "../lib/policyDocument";
import { HandlerFunction } from "./handlerFunction";

export interface TamperAlertingArgs {
  namePrefix: string;
  stack: string;
  environment: string;
  accountId: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  region: string;
  kmsKeyArn: pulumi.Input<string>;
  trailName: pulumi.Input<string>;
  trailArn: pulumi.Input<string>;
  /** Every bucket of the estate: log, access-log, data. */
  bucketNames: pulumi.Input<string>[];
  logBucketName: pulumi.Input<string>;
  keyArns: pulumi.Input<string>[];
  deployerRoleArns: string[];
  slackChannel: string;
  slackDelivery: "webhook" | "chatbot";
  /** Pulumi secret; when absent the secret is created empty and set out of band (README). */
  slackWebhookUrl?: pulumi.Output<string>;
  chatbotSlackTeamId?: string;
  chatbotSlackChannelId?: string;
  emailAddresses: string[];
  logRetentionDays: number;
}

export const API_CALL_VIA_CLOUDTRAIL = "AWS API Call via CloudTrail";

const apiCall = (source: string) => ({ source: [source], "detail-type": [API_CALL_VIA_CLOUDTRAIL] });

/** The EventBridge patterns, one per service, each scoped to the estate's own resources. */
export const tamperPatterns = {
  // StopLogging, DeleteTrail and UpdateTrail name the trail in `name`; PutEventSelectors and
  // PutInsightSelectors in `trailName` (CloudTrail API reference): either field matches.
  cloudtrail: (trailName: string, trailArn: string) => ({
    ...apiCall("aws.cloudtrail"),
    detail: {
      eventSource: ["cloudtrail.amazonaws.com"],
      eventName: [...TAMPER_EVENTS["cloudtrail.amazonaws.com"]],
      $or: [{ requestParameters: { name: [trailName, trailArn] } }, { requestParameters: { trailName: [trailName, trailArn] } }],
    },
  }),
  kms: (keyArns: string[]) => ({
    ...apiCall("aws.kms"),
    detail: { eventSource: ["kms.amazonaws.com"], eventName: [...TAMPER_EVENTS["kms.amazonaws.com"], ...EXTENDED_TAMPER_EVENTS["kms.amazonaws.com"]], resources: { ARN: keyArns } },
  }),
  s3: (bucketNames: string[]) => ({
    ...apiCall("aws.s3"),
    detail: {
      eventSource: ["s3.amazonaws.com"],
      eventName: [...TAMPER_EVENTS["s3.amazonaws.com"], ...EXTENDED_TAMPER_EVENTS["s3.amazonaws.com"]],
      requestParameters: { bucketName: bucketNames },
    },
  }),
  /** Silencing the alert path: the estate's rules, topic, log groups, alarms and Config recorder. */
  alertPath: (namePrefix: string) => ({
    source: ["aws.events", "aws.sns", "aws.logs", "aws.cloudwatch", "aws.config"],
    "detail-type": [API_CALL_VIA_CLOUDTRAIL],
    detail: {
      eventSource: ["events.amazonaws.com", "sns.amazonaws.com", "logs.amazonaws.com", "monitoring.amazonaws.com", "config.amazonaws.com"],
      eventName: [
        ...EXTENDED_TAMPER_EVENTS["events.amazonaws.com"],
        ...EXTENDED_TAMPER_EVENTS["sns.amazonaws.com"],
        ...EXTENDED_TAMPER_EVENTS["logs.amazonaws.com"],
        ...EXTENDED_TAMPER_EVENTS["monitoring.amazonaws.com"],
        ...EXTENDED_TAMPER_EVENTS["config.amazonaws.com"],
      ],
      // The estate's resources carry its prefix; anything else in the account is not this alert path.
      $or: [
        { requestParameters: { name: [{ prefix: `${namePrefix}-` }] } },
        { requestParameters: { rule: [{ prefix: `${namePrefix}-` }] } },
        { requestParameters: { topicArn: [{ wildcard: `*:${namePrefix}-*` }] } },
        { requestParameters: { subscriptionArn: [{ wildcard: `*:${namePrefix}-*` }] } },
        { requestParameters: { logGroupName: [{ prefix: "/aws/cloudtrail/" }, { wildcard: `*${namePrefix}-*` }] } },
        { requestParameters: { alarmNames: [{ prefix: `${namePrefix}-` }] } },
        { requestParameters: { configurationRecorderName: [{ prefix: `${namePrefix}-` }] } },
        { requestParameters: { deliveryChannelName: [{ prefix: `${namePrefix}-` }] } },
      ],
    },
  }),
  logBucketAccessDenied: (logBucketName: string) => ({
    ...apiCall("aws.s3"),
    detail: { eventSource: ["s3.amazonaws.com"], errorCode: ["AccessDenied"], requestParameters: { bucketName: [logBucketName] } },
  }),
};

export class TamperAlerting extends pulumi.ComponentResource {
  readonly topicArn: pulumi.Output<string>;
  readonly deadLetterQueueArn: pulumi.Output<string>;
  readonly notifierFunctionName?: pulumi.Output<string>;
  /** Where other components' rules and alarms send (Config compliance, findings, bursts). */
  readonly destination: AlertDestination;

  constructor(name: string, args: TamperAlertingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("auditTrail:alerting:TamperAlerting", name, {}, opts);
    const base = `${args.namePrefix}-${args.stack}`;
    const ruleArnPrefix = pulumi.interpolate`arn:${args.partition}:events:${args.region}:${args.accountId}:rule/${base}-`;

    const topic = new aws.sns.Topic(`${name}-topic`, { name: `${base}-audit-alerts`, kmsMasterKeyId: args.kmsKeyArn }, { parent: this });
    new aws.sns.TopicPolicy(
      `${name}-topic-policy`,
      {
        arn: topic.arn,
        policy: policyJson(
          [
            {
              sid: "EventBridgeRulesOfThisEstate",
              effect: "Allow",
              principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
              actions: ["sns:Publish"],
              resources: [topic.arn],
              conditions: [{ test: "ArnLike", variable: "aws:SourceArn", values: [pulumi.interpolate`${ruleArnPrefix}*`] }],
            },
            {
              sid: "CloudWatchAlarmsOfThisAccount",
              effect: "Allow",
              principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
              actions: ["sns:Publish"],
              resources: [topic.arn],
              conditions: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [args.accountId] }],
            },
            denyWithoutTls(["sns:Publish", "sns:Subscribe"], [topic.arn]),
          ],
          { parent: this },
        ),
      },
      { parent: this },
    );

    // Failed deliveries of every hop land here (14 days, the SQS maximum). Encrypted with SSE-SQS,
    // not the alert key: if that key is disabled, the topic refuses messages, and the queue that
    // keeps them must not refuse them too.
    const dlq = new aws.sqs.Queue(
      `${name}-dlq`,
      { name: `${base}-audit-alerts-dlq`, sqsManagedSseEnabled: true, messageRetentionSeconds: 1209600 },
      { parent: this },
    );
    new aws.sqs.QueuePolicy(
      `${name}-dlq-policy`,
      {
        queueUrl: dlq.url,
        policy: policyJson(
          [
            {
              sid: "EventBridgeTargetFailures",
              effect: "Allow",
              principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
              actions: ["sqs:SendMessage"],
              resources: [dlq.arn],
              conditions: [{ test: "ArnLike", variable: "aws:SourceArn", values: [pulumi.interpolate`${ruleArnPrefix}*`] }],
            },
            {
              sid: "SnsSubscriptionFailures",
              effect: "Allow",
              principals: [{ type: "Service", identifiers: ["sns.amazonaws.com"] }],
              actions: ["sqs:SendMessage"],
              resources: [dlq.arn],
              conditions: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [topic.arn] }],
            },
            denyWithoutTls(["sqs:*"], [dlq.arn]),
          ],
          { parent: this },
        ),
      },
      { parent: this },
    );

    // Each pattern depends only on what it names, so most are known at the first preview.
    const patterns: Record<string, pulumi.Output<object>> = {
      cloudtrail: pulumi.all([args.trailName, args.trailArn]).apply(([n, a]) => tamperPatterns.cloudtrail(n, a)),
      kms: pulumi.all(args.keyArns).apply(tamperPatterns.kms),
      s3: pulumi.all(args.bucketNames).apply(tamperPatterns.s3),
      "log-bucket-access-denied": pulumi.output(args.logBucketName).apply(tamperPatterns.logBucketAccessDenied),
      "alert-path": pulumi.output(tamperPatterns.alertPath(base)),
    };
    const destination: AlertDestination = { topicArn: topic.arn, deadLetterQueueArn: dlq.arn };
    for (const [kind, pattern] of Object.entries(patterns)) {
      routeToAlerts(
        this,
        `${name}-${kind}`,
        { name: `${base}-tamper-${kind}`, description: `E8: ${kind} operations that could disable or erase the audit trail`, eventPattern: pattern.apply((p) => JSON.stringify(p)) },
        destination,
      );
    }

    if (args.slackDelivery === "webhook") {
      const secret = new aws.secretsmanager.Secret(
        `${name}-slack-webhook`,
        {
          name: `${base}/slack-webhook-url`,
          description: `Slack incoming webhook of ${args.slackChannel} (a bearer credential: never logged)`,
          kmsKeyId: args.kmsKeyArn,
          recoveryWindowInDays: 7,
        },
        { parent: this },
      );
      if (args.slackWebhookUrl) {
        new aws.secretsmanager.SecretVersion(`${name}-slack-webhook-value`, { secretId: secret.id, secretString: pulumi.secret(args.slackWebhookUrl) }, { parent: this });
      }
      const notifier = new HandlerFunction(
        `${name}-notifier`,
        {
          entry: "notifier/index.ts",
          functionName: `${base}-audit-notifier`,
          description: `Posts audit alerts of ${args.stack} to #${args.slackChannel} (E8, E9, E10)`,
          environment: {
            ENVIRONMENT: args.environment,
            SLACK_CHANNEL: args.slackChannel,
            DEPLOYER_ROLE_ARNS: JSON.stringify(args.deployerRoleArns),
            SLACK_WEBHOOK_SECRET_ARN: secret.arn,
          },
          statements: [
            { sid: "ReadWebhookSecret", effect: "Allow", actions: ["secretsmanager:GetSecretValue"], resources: [secret.arn] },
            { sid: "KeepFailedDeliveries", effect: "Allow", actions: ["sqs:SendMessage"], resources: [dlq.arn] },
            {
              sid: "DecryptWebhookSecretThroughSecretsManager",
              effect: "Allow",
              actions: ["kms:Decrypt"],
              resources: [args.kmsKeyArn],
              conditions: [{ test: "StringEquals", variable: "kms:ViaService", values: [`secretsmanager.${args.region}.amazonaws.com`] }],
            },
          ],
          accountId: args.accountId,
          kmsKeyArn: args.kmsKeyArn,
          logRetentionDays: args.logRetentionDays,
          // Slack retries with backoff happen inside this budget (handlers/notifier/slack.ts).
          timeoutSeconds: 60,
        },
        { parent: this },
      );
      new aws.lambda.Permission(
        `${name}-notifier-from-sns`,
        { action: "lambda:InvokeFunction", function: notifier.functionName, principal: "sns.amazonaws.com", sourceArn: topic.arn },
        { parent: this },
      );
      new aws.sns.TopicSubscription(
        `${name}-notifier-subscription`,
        { topic: topic.arn, protocol: "lambda", endpoint: notifier.functionArn, redrivePolicy: pulumi.jsonStringify({ deadLetterTargetArn: dlq.arn }) },
        { parent: this },
      );
      // Lambda's async retries, then the on-failure destination: the event is kept, never dropped.
      new aws.lambda.FunctionEventInvokeConfig(
        `${name}-notifier-on-failure`,
        { functionName: notifier.functionName, maximumRetryAttempts: 2, maximumEventAgeInSeconds: 21600, destinationConfig: { onFailure: { destination: dlq.arn } } },
        { parent: this },
      );
      this.notifierFunctionName = notifier.functionName;
    } else {
      const chatbotRole = new aws.iam.Role(
        `${name}-chatbot`,
        {
          description: "AWS Chatbot posts the audit alerts; it may read nothing else",
          assumeRolePolicy: policyJson(
            [{ effect: "Allow", principals: [{ type: "Service", identifiers: ["chatbot.amazonaws.com"] }], actions: ["sts:AssumeRole"] }],
            { parent: this },
          ),
        },
        { parent: this },
      );
      new aws.chatbot.SlackChannelConfiguration(
        `${name}-chatbot`,
        {
          configurationName: `${base}-audit-alerts`,
          iamRoleArn: chatbotRole.arn,
          slackTeamId: args.chatbotSlackTeamId!,
          slackChannelId: args.chatbotSlackChannelId!,
          snsTopicArns: [topic.arn],
          guardrailPolicyArns: [pulumi.interpolate`arn:${args.partition}:iam::aws:policy/CloudWatchReadOnlyAccess`],
          loggingLevel: "ERROR",
        },
        { parent: this },
      );
    }

    args.emailAddresses.forEach((address, i) => {
      new aws.sns.TopicSubscription(`${name}-email-${i}`, { topic: topic.arn, protocol: "email", endpoint: address }, { parent: this });
    });

    new aws.cloudwatch.MetricAlarm(
      `${name}-dlq-depth`,
      {
        name: `${base}-audit-alerts-undelivered`,
        alarmDescription: "E8: audit alerts could not be delivered and wait in the dead-letter queue (docs/operations.md)",
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: dlq.name },
        statistic: "Maximum",
        period: 300,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
        alarmActions: [topic.arn],
      },
      { parent: this },
    );

    this.topicArn = topic.arn;
    this.deadLetterQueueArn = dlq.arn;
    this.destination = destination;
    this.registerOutputs({ topicArn: this.topicArn, deadLetterQueueArn: this.deadLetterQueueArn });
  }
}
