/** SNS Publish for the review's alerts (the notifier subscribed to the topic formats them). */
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { PublishAlert } from "./aws-ports";

export function createSnsPublisher(clientFor: (region: string) => SNSClient = (region) => new SNSClient({ region })): PublishAlert {
  const clients = new Map<string, SNSClient>();
  return async (topicArn, subject, message) => {
    // The topic's region is in its ARN; publishing through a client of another region fails.
    const region = topicArn.split(":")[3];
    let client = clients.get(region);
    if (!client) {
      client = clientFor(region);
      clients.set(region, client);
    }
    await client.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }));
  };
}
