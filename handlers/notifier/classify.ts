/**
 * Pure half of the notifier, step one (E8, E9, E10, E14): take the messages out of the Lambda event
 * and decide what each is, handing it to the builder of its kind (builders/). No I/O and no clock.
 * Nothing here may throw for any input: an unrecognised or malformed message becomes a "raw"
 * notification carrying the (truncated) original text, because an alert is never thrown away (E8).
 */
import { looksLikeDailyReviewAlert } from "../../cloudtrail/review-alert";
import { alarmNotification, isAlarmMessage } from "./builders/alarm";
import { classifyCloudTrail, isCloudTrailRecord } from "./builders/cloudtrail";
import { configComplianceNotification, isConfigComplianceChange } from "./builders/config-compliance";
import { dailyReviewNotification } from "./builders/daily-review";
import { findingNotification, isFindingEvent } from "./builders/finding";
import { rawNotification } from "./builders/raw";
import { notify, type ClassifiedMessage, type ClassifyOptions, type IncomingMessage } from "./notification";
import { isObject, nonEmptyString, safeJsonStringify, type JsonObject } from "./text";

/**
 * Takes the SNS messages out of a Lambda event. Anything that is not a well-formed SNS record
 * (no Records, empty Records, a record without Sns.Message) still yields a message carrying its
 * JSON, so it is notified raw instead of being lost (E8).
 */
export function extractIncomingMessages(event: unknown): IncomingMessage[] {
  const records = isObject(event) ? event.Records : undefined;
  if (!Array.isArray(records) || records.length === 0) {
    const note = Array.isArray(records) ? "Lambda event has an empty Records list" : "Lambda event is not an SNS event (no Records list)";
    return [{ index: 0, body: safeJsonStringify(event), note }];
  }
  return records.map((record: unknown, index): IncomingMessage => {
    const sns = isObject(record) && isObject(record.Sns) ? record.Sns : undefined;
    const snsMessageId = nonEmptyString(sns?.MessageId);
    const subject = nonEmptyString(sns?.Subject);
    if (sns !== undefined && typeof sns.Message === "string") return { index, snsMessageId, subject, body: sns.Message };
    return { index, snsMessageId, subject, body: safeJsonStringify(record), note: "SNS record without a Message string" };
  });
}

/** Never throws: any failure while reading a recognised shape falls back to a raw notification. */
export function classifyMessage(message: IncomingMessage, options: ClassifyOptions): ClassifiedMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.body);
  } catch {
    return notify(rawNotification(message, message.note ?? "Message is not JSON", undefined));
  }
  try {
    const recognised = classifyParsed(parsed, options);
    if (recognised !== undefined) return recognised;
    return notify(rawNotification(message, message.note ?? unrecognisedReason(parsed), parsed));
  } catch {
    // A shape we thought we knew but could not read: still deliver the original text.
    return notify(rawNotification(message, "Message could not be formatted", parsed));
  }
}

function classifyParsed(parsed: unknown, options: ClassifyOptions): ClassifiedMessage | undefined {
  if (!isObject(parsed)) return undefined;
  const detail = parsed.detail;
  if (isCloudTrailRecord(detail)) return classifyCloudTrail(detail, parsed, options);
  if (isConfigComplianceChange(parsed)) return notify(configComplianceNotification(detail as JsonObject, parsed));
  if (isFindingEvent(parsed)) return notify(findingNotification(parsed));
  if (isAlarmMessage(parsed)) return notify(alarmNotification(parsed));
  if (looksLikeDailyReviewAlert(parsed)) return notify(dailyReviewNotification(parsed));
  // A bare CloudTrail record (e.g. replayed from the log bucket) rather than an EventBridge event.
  if (parsed["detail-type"] === undefined && isCloudTrailRecord(parsed)) return classifyCloudTrail(parsed, {}, options);
  return undefined;
}

function unrecognisedReason(parsed: unknown): string {
  if (isObject(parsed) && parsed["detail-type"] !== undefined && !isObject(parsed.detail)) return "EventBridge event without a detail object";
  if (isObject(parsed) && isObject(parsed.detail) && parsed["detail-type"] === "AWS API Call via CloudTrail")
    return "CloudTrail event without eventName / eventSource";
  return "Unrecognised message";
}
