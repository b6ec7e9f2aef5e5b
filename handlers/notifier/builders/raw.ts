/** Anything else: the original text, truncated (E8: an alert is never thrown away). */
import type { IncomingMessage, Notification, NotificationFact } from "../notification";
import { fact, isObject, scalarText, truncatePlain } from "../text";

/** How much of an unrecognised message is shown (E8: never dropped, but bounded). */
export const RAW_MESSAGE_MAX_CHARS = 2500;

export function rawNotification(message: IncomingMessage, reason: string, parsed: unknown): Notification {
  const facts: NotificationFact[] = [fact("Reason", reason)];
  if (message.subject !== undefined) facts.push(fact("SNS subject", message.subject));
  if (message.snsMessageId !== undefined) facts.push(fact("SNS message ID", message.snsMessageId));
  if (isObject(parsed)) {
    const detailType = scalarText(parsed["detail-type"]);
    const source = scalarText(parsed.source);
    if (detailType !== undefined) facts.push(fact("detail-type", detailType));
    if (source !== undefined) facts.push(fact("source", source));
  }
  facts.push(fact("Size", `${message.body.length} characters`));
  return {
    kind: "raw",
    severity: "medium",
    headline: `Unrecognised notification: ${reason}`,
    sections: [{ title: "What", facts }],
    links: [],
    rawText: truncatePlain(message.body, RAW_MESSAGE_MAX_CHARS),
    reference: message.snsMessageId,
  };
}
