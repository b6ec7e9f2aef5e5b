// An EventBridge rule whose matches go to the estate's alert topic, with failed deliveries kept
// in the alert dead-letter queue (E8: never dropped). Rule names start with "<prefix>-<stack>-",
// which is what the topic and queue policies admit (aws:SourceArn).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface AlertDestination {
  topicArn: pulumi.Input<string>;
  deadLetterQueueArn: pulumi.Input<string>;
}

export function routeToAlerts(
  parent: pulumi.Resource,
  name: string,
  rule: { name: string; description: string; eventPattern: pulumi.Input<string> },
  to: AlertDestination,
): aws.cloudwatch.EventRule {
  const eventRule = new aws.cloudwatch.EventRule(name, rule, { parent });
  new aws.cloudwatch.EventTarget(
    name,
    {
      rule: eventRule.name,
      arn: to.topicArn,
      deadLetterConfig: { arn: to.deadLetterQueueArn },
      // EventBridge's maximum: a day of retries before the event goes to the DLQ.
      retryPolicy: { maximumEventAgeInSeconds: 86400, maximumRetryAttempts: 185 },
    },
    { parent },
  );
  return eventRule;
}
