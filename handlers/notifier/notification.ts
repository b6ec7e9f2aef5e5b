/**
 * What the notifier's pure core produces (E8, E9, E10, E14): a typed Notification built from one SNS
 * message by one builder per kind (builders/), rendered to Slack Block Kit by render.ts. Values in
 * facts are plain text as recorded; rendering shows them verbatim (render.ts, text.ts).
 */

export type Severity = "critical" | "high" | "medium" | "low" | "info";

export type NotificationKind = "cloudtrail-api-call" | "cloudwatch-alarm" | "config-compliance" | "security-finding" | "daily-review" | "raw";

/** One label/value line of a notification; values are plain text (shown verbatim when rendered). */
export interface NotificationFact {
  readonly label: string;
  readonly value: string;
}

/** A group of facts answering one audit question (who / what / when / where / result: A1-A6). */
export interface NotificationSection {
  readonly title: string;
  readonly facts: readonly NotificationFact[];
}

export interface NotificationLink {
  readonly label: string;
  readonly url: string;
}

export interface Notification {
  readonly kind: NotificationKind;
  readonly severity: Severity;
  /** One line, no markup: what happened, on what. */
  readonly headline: string;
  readonly sections: readonly NotificationSection[];
  readonly links: readonly NotificationLink[];
  /** The original message, truncated, for kind "raw" (shown verbatim in a code block). */
  readonly rawText?: string;
  /** Stable id of the source event (CloudTrail eventID, alarm ARN, review record key) for logs. */
  readonly reference?: string;
}

/** A routine operation: CloudTrail keeps it, Slack does not get it (001 No.29, 定常操作: 通知設定なし). */
export interface RoutineOperation {
  readonly eventName: string;
  readonly eventId?: string;
  readonly sessionIssuerArn: string;
}

export type ClassifiedMessage =
  { readonly action: "notify"; readonly notification: Notification } | { readonly action: "skip-routine"; readonly routine: RoutineOperation };

/** One message taken out of the Lambda event, before classification. */
export interface IncomingMessage {
  /** Position in event.Records (0 when the event was not an SNS event). */
  readonly index: number;
  readonly snsMessageId?: string;
  readonly subject?: string;
  /** The SNS Message string, or the JSON of whatever arrived instead of one. */
  readonly body: string;
  /** Why the body is not a plain SNS Message (shown in the raw notification). */
  readonly note?: string;
}

export interface ClassifyOptions {
  /** Session-issuer role ARNs whose successful non-critical calls are routine (env DEPLOYER_ROLE_ARNS). */
  readonly deployerRoleArns: ReadonlySet<string>;
}

export interface RenderOptions {
  readonly environment: string;
  readonly channel: string;
}

export const SEVERITY_EMOJI: Readonly<Record<Severity, string>> = {
  critical: ":rotating_light:",
  high: ":warning:",
  medium: ":large_orange_diamond:",
  low: ":information_source:",
  info: ":white_check_mark:",
};

export function notify(notification: Notification): ClassifiedMessage {
  return { action: "notify", notification };
}
