// E8, E9, E10, E14: how an alert reaches people. One alert topic (SNS, the alert key) -> notifier
// Lambda (or AWS Chatbot) -> the environment's Slack channel, plus e-mail subscriptions; a
// dead-letter queue at every hop that can fail (EventBridge target, SNS subscription, Lambda async
// invocation) with its depth alarmed. Nothing here decides what is an alert: the rules
// (tamperRules.ts, securityPosture.ts) and alarms (anomalyAlarms.ts) do, and send here.
//
// Out of band (issue 10): disabling or scheduling deletion of the alert key breaks the topic that
// would report it. A second topic, encrypted with a key of its own (the out-of-band key), with the
// e-mail subscriptions, receives what could mean the alert path is broken: the DLQ-depth alarm,
// tamper operations on keys and on the alert path (tamperRules.ts), and a daily review that failed
// or did not run (DailyReviewWatch below). EventBridge and CloudWatch alarms cannot publish to a
// topic under the AWS managed key alias/aws/sns (its policy cannot grant them), hence a customer
// managed key (infra/lib/alert-route.ts outOfBandKeyStatements, with the SNS guide's link).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AlertDestination } from "../lib/alert-route";
import { denyWithoutTls, policyJson } from "../lib/policy-document";
import { HandlerFunction } from "./handler-function";

export interface AlertDeliveryArgs {
  namePrefix: string;
  stack: string;
  environment: string;
  accountId: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  region: string;
  /** The alert key: topic, webhook secret, notifier logs. */
  kmsKeyArn: pulumi.Input<string>;
  /** The out-of-band key: the out-of-band topic only. */
  outOfBandKmsKeyArn: pulumi.Input<string>;
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

/** Known before the topic exists: the out-of-band key's policy names it. */
export function outOfBandTopicName(namePrefix: string, stack: string): string {
  return `${namePrefix}-${stack}-audit-alerts-out-of-band`;
}

/** The legacy name and type (before issue 13): aliases keep the deployed topic, queue and secret. */
const LEGACY = { name: "tamper-alerting", type: "auditTrail:alerting:TamperAlerting" };

export class AlertDelivery extends pulumi.ComponentResource {
  readonly topicArn: pulumi.Output<string>;
  readonly deadLetterQueueArn: pulumi.Output<string>;
  readonly outOfBandTopicArn: pulumi.Output<string>;
  readonly notifierFunctionName?: pulumi.Output<string>;
  /** Where rules and alarms send (Config compliance, findings, bursts, tamper operations). */
  readonly destination: AlertDestination;
  /** Where what could mean the alert path is broken is also sent. */
  readonly outOfBand: AlertDestination;

  constructor(name: string, args: AlertDeliveryArgs, opts?: pulumi.ComponentResourceOptions) {
    // Children are named "<name>-..."; Pulumi derives their aliases from this one.
    super("auditTrail:alerting:AlertDelivery", name, {}, { ...opts, aliases: [...(opts?.aliases ?? []), { name: LEGACY.name, type: LEGACY.type }] });
    const base = `${args.namePrefix}-${args.stack}`;
    const ruleArnPrefix = pulumi.interpolate`arn:${args.partition}:events:${args.region}:${args.accountId}:rule/${base}-`;

    const topic = new aws.sns.Topic(`${name}-topic`, { name: `${base}-audit-alerts`, kmsMasterKeyId: args.kmsKeyArn }, { parent: this });
    this.topicPolicy(`${name}-topic-policy`, topic, ruleArnPrefix, args.accountId);
    const outOfBand = new aws.sns.Topic(
      `${name}-out-of-band-topic`,
      { name: outOfBandTopicName(args.namePrefix, args.stack), kmsMasterKeyId: args.outOfBandKmsKeyArn },
      { parent: this },
    );
    this.topicPolicy(`${name}-out-of-band-topic-policy`, outOfBand, ruleArnPrefix, args.accountId);

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
        new aws.secretsmanager.SecretVersion(
          `${name}-slack-webhook-value`,
          { secretId: secret.id, secretString: pulumi.secret(args.slackWebhookUrl) },
          { parent: this },
        );
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
        {
          functionName: notifier.functionName,
          maximumRetryAttempts: 2,
          maximumEventAgeInSeconds: 21600,
          destinationConfig: { onFailure: { destination: dlq.arn } },
        },
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

    // The same people by e-mail on both topics: on the alert topic when Slack is down, on the
    // out-of-band topic when the alert key or topic is.
    args.emailAddresses.forEach((address, i) => {
      new aws.sns.TopicSubscription(`${name}-email-${i}`, { topic: topic.arn, protocol: "email", endpoint: address }, { parent: this });
      new aws.sns.TopicSubscription(`${name}-out-of-band-email-${i}`, { topic: outOfBand.arn, protocol: "email", endpoint: address }, { parent: this });
    });
    if (args.emailAddresses.length === 0) {
      // log.warn returns the engine RPC's promise; a lost warning is not worth failing the program.
      void pulumi.log.warn(`The out-of-band alert topic of ${args.stack} has no subscriber: set alertEmailAddresses (README, "Alert delivery")`, this);
    }

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
        // Out of band first: a full DLQ may mean the alert topic itself is what fails.
        alarmActions: [outOfBand.arn, topic.arn],
      },
      { parent: this },
    );

    this.topicArn = topic.arn;
    this.deadLetterQueueArn = dlq.arn;
    this.outOfBandTopicArn = outOfBand.arn;
    this.destination = { topicArn: topic.arn, deadLetterQueueArn: dlq.arn };
    this.outOfBand = { topicArn: outOfBand.arn, deadLetterQueueArn: dlq.arn };
    this.registerOutputs({ topicArn: this.topicArn, deadLetterQueueArn: this.deadLetterQueueArn, outOfBandTopicArn: this.outOfBandTopicArn });
  }

  /** Publishers: the estate's EventBridge rules (by ARN prefix) and this account's alarms; TLS only. */
  private topicPolicy(name: string, topic: aws.sns.Topic, ruleArnPrefix: pulumi.Output<string>, accountId: pulumi.Input<string>): void {
    new aws.sns.TopicPolicy(
      name,
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
              conditions: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [accountId] }],
            },
            denyWithoutTls(["sns:Publish", "sns:Subscribe"], [topic.arn]),
          ],
          { parent: this },
        ),
      },
      { parent: this },
    );
  }
}

export interface DailyReviewWatchArgs {
  namePrefix: string;
  stack: string;
  reviewFunctionName: pulumi.Input<string>;
  outOfBandTopicArn: pulumi.Input<string>;
}

/**
 * E14 out of band: the daily review notifies through the alert topic; when that fails (alert key
 * disabled, topic deleted) the review's invocation fails, and this alarm tells the out-of-band
 * topic. A review that did not run at all (schedule disabled or deleted) is alarmed too.
 */
export class DailyReviewWatch extends pulumi.ComponentResource {
  constructor(name: string, args: DailyReviewWatchArgs, opts?: pulumi.ComponentResourceOptions) {
    super("auditTrail:alerting:DailyReviewWatch", name, {}, opts);
    const base = `${args.namePrefix}-${args.stack}`;
    const common = {
      namespace: "AWS/Lambda",
      dimensions: { FunctionName: args.reviewFunctionName },
      statistic: "Sum",
      period: 86400,
      evaluationPeriods: 1,
      alarmActions: [args.outOfBandTopicArn],
    };
    new aws.cloudwatch.MetricAlarm(
      `${name}-failed`,
      {
        ...common,
        name: `${base}-daily-review-failed`,
        alarmDescription: "E14: the daily review failed, possibly because its alert could not be delivered (the record under review/ says)",
        metricName: "Errors",
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
      },
      { parent: this },
    );
    new aws.cloudwatch.MetricAlarm(
      `${name}-not-run`,
      {
        ...common,
        name: `${base}-daily-review-not-run`,
        alarmDescription: "E14: the daily review did not run for a day (its schedule may be disabled)",
        metricName: "Invocations",
        threshold: 1,
        comparisonOperator: "LessThanThreshold",
        // No data is what a silenced schedule looks like.
        treatMissingData: "breaching",
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
