// An EventBridge rule whose matches go to the estate's alert topic (and, for what could break that
// topic, also to the out-of-band topic), with failed deliveries kept in the alert dead-letter queue
// (E8: never dropped). Rule names start with "<prefix>-<stack>-", which is what the topic and queue
// policies admit (aws:SourceArn).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Statement } from "./policy-document";

export interface AlertDestination {
  topicArn: pulumi.Input<string>;
  deadLetterQueueArn: pulumi.Input<string>;
}

export interface AlertRule {
  name: string;
  description: string;
  eventPattern: pulumi.Input<string>;
  /**
   * ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS only where read-only management calls must be
   * seen (a denied GetBucketPolicy probe): EventBridge delivers read-only CloudTrail management
   * events to no other rule, and charges for them on this one
   * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html).
   */
  state?: "ENABLED" | "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS";
}

export interface RouteOptions {
  /** Further destinations (the out-of-band topic), each with its own target and the same DLQ. */
  alsoTo?: { id: string; destination: AlertDestination }[];
  /** Aliases of the rule and its first target (a rename must not replace them). */
  aliases?: { rule: pulumi.Alias[]; target: pulumi.Alias[] };
}

export function routeToAlerts(
  parent: pulumi.Resource,
  name: string,
  rule: AlertRule,
  to: AlertDestination,
  options: RouteOptions = {},
): aws.cloudwatch.EventRule {
  const eventRule = new aws.cloudwatch.EventRule(
    name,
    { name: rule.name, description: rule.description, eventPattern: rule.eventPattern, state: rule.state ?? "ENABLED" },
    { parent, aliases: options.aliases?.rule },
  );
  const target = (id: string, destination: AlertDestination, aliases?: pulumi.Alias[]) =>
    new aws.cloudwatch.EventTarget(
      id,
      {
        rule: eventRule.name,
        arn: destination.topicArn,
        deadLetterConfig: { arn: destination.deadLetterQueueArn },
        // EventBridge's maximum: a day of retries before the event goes to the DLQ.
        retryPolicy: { maximumEventAgeInSeconds: 86400, maximumRetryAttempts: 185 },
      },
      { parent, aliases },
    );
  target(name, to, options.aliases?.target);
  for (const extra of options.alsoTo ?? []) target(`${name}-${extra.id}`, extra.destination);
  return eventRule;
}

/**
 * Key policy of the out-of-band key. EventBridge and CloudWatch alarms can publish to an encrypted
 * topic only when its key is a customer managed key whose policy lets them use it; the AWS managed
 * key alias/aws/sns cannot be given to them (its policy cannot be edited). SNS developer guide,
 * "Enable compatibility between event sources from AWS services and encrypted topics":
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
 * and https://repost.aws/knowledge-center/sns-not-getting-eventbridge-notification.
 */
export function outOfBandKeyStatements(accountId: pulumi.Input<string>, outOfBandTopicArn: pulumi.Input<string>): Statement[] {
  // SNS encrypts each message under the encryption context aws:sns:topicArn (the condition AWS's own
  // guides use for a service publishing to an encrypted topic, e.g. GameLift's
  // https://docs.aws.amazon.com/gamelift/latest/flexmatchguide/queue-notification-sns-sse.html):
  // binding both grants to it lets the key serve the out-of-band topic and nothing else.
  const thisTopic = { test: "StringEquals", variable: "kms:EncryptionContext:aws:sns:topicArn", values: [outOfBandTopicArn] };
  return [
    {
      sid: "AlarmsOfThisAccountPublish",
      effect: "Allow",
      principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
      actions: ["kms:GenerateDataKey*", "kms:Decrypt"],
      resources: ["*"],
      conditions: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [accountId] }, thisTopic],
    },
    {
      // No aws:SourceAccount: EventBridge does not send it to KMS (see alertingKeyStatements).
      sid: "EstateRulesPublish",
      effect: "Allow",
      principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
      actions: ["kms:GenerateDataKey*", "kms:Decrypt"],
      resources: ["*"],
      conditions: [thisTopic],
    },
  ];
}
