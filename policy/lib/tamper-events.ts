// E8 / issue 10: the one tamper catalogue. Every API call that disables, weakens or erases the audit
// trail, or silences the path that reports it, with every spelling CloudTrail records it under, the
// service that records it, the EventBridge source it arrives with, how bad it is and why. Read by
// the estate's rules (infra/components/tamper-rules.ts), the notifier (handlers/notifier) and the
// policy pack (TAMPER_EVENTS / TAMPER_EVENT_NAMES below). Self-contained: policy/ imports nothing
// outside policy/.

export type TamperSeverity = "critical" | "high";

/** What the operation acts on; each concern has its own EventBridge rule, scoped to the estate. */
export type TamperConcern = "trail" | "key" | "bucket" | "alert-path";

export interface TamperOperation {
  /** The eventName CloudTrail records (the first spelling). */
  readonly name: string;
  /** Every eventName the operation may be recorded under; `name` first. */
  readonly spellings: readonly string[];
  /** CloudTrail's eventSource. */
  readonly eventSource: string;
  /** EventBridge's `source` for "AWS API Call via CloudTrail" events of that service. */
  readonly eventBridgeSource: string;
  readonly severity: TamperSeverity;
  /**
   * Stops, deletes or unlocks the trail, its keys, its buckets or the alert path. A critical call
   * notifies whoever made it, deployer roles included (001: routine applies to the rest only).
   */
  readonly critical: boolean;
  /** One line for the message: why this matters to the audit trail. */
  readonly why: string;
  readonly concern: TamperConcern;
  /** In E8's list (requirements.md): the pack's advisory policy requires rules for these. */
  readonly e8: boolean;
  /** requestParameters fields naming the target (trail, key, bucket, rule, topic, ...). */
  readonly targetFields: readonly string[];
}

/**
 * CloudTrail eventSource -> EventBridge source. CloudWatch's API calls arrive as `aws.monitoring`,
 * not `aws.cloudwatch` (EventBridge events reference, "Amazon CloudWatch Monitoring events":
 * https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-monitoring.html); the others are
 * `aws.<service>` (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-cloudtrail.html,
 * events-ref-kms.html, events-ref-s3.html, events-ref-events.html, events-ref-sns.html,
 * events-ref-logs.html, events-ref-config.html).
 */
export const EVENTBRIDGE_SOURCES = {
  "cloudtrail.amazonaws.com": "aws.cloudtrail",
  "kms.amazonaws.com": "aws.kms",
  "s3.amazonaws.com": "aws.s3",
  "events.amazonaws.com": "aws.events",
  "sns.amazonaws.com": "aws.sns",
  "logs.amazonaws.com": "aws.logs",
  "monitoring.amazonaws.com": "aws.monitoring",
  "config.amazonaws.com": "aws.config",
} as const;

export type WatchedEventSource = keyof typeof EVENTBRIDGE_SOURCES;

type Entry = [spellings: string | readonly string[], severity: TamperSeverity, why: string, targetFields: readonly string[], e8?: "e8"];

function service(eventSource: WatchedEventSource, concern: TamperConcern, entries: Entry[]): TamperOperation[] {
  return entries.map(([spellings, severity, why, targetFields, e8]) => {
    const all = typeof spellings === "string" ? [spellings] : spellings;
    return {
      name: all[0],
      spellings: all,
      eventSource,
      eventBridgeSource: EVENTBRIDGE_SOURCES[eventSource],
      severity,
      critical: severity === "critical",
      why,
      concern,
      e8: e8 === "e8",
      targetFields,
    };
  });
}

const TRAIL = ["name", "trailName"];
const KEY = ["keyId"];
const BUCKET = ["bucketName"];

export const TAMPER_CATALOGUE: readonly TamperOperation[] = [
  // StopLogging/DeleteTrail/UpdateTrail record the trail in `name`, Put*Selectors in `trailName`
  // (CloudTrail API reference; the Stratus Red Team detonation records show both).
  ...service("cloudtrail.amazonaws.com", "trail", [
    ["StopLogging", "critical", "The trail stops recording: no API call is logged from now on", TRAIL, "e8"],
    ["DeleteTrail", "critical", "The trail is deleted: no API call is logged from now on", TRAIL, "e8"],
    ["UpdateTrail", "critical", "The trail can be pointed at another bucket or key, or lose validation and regions", TRAIL, "e8"],
    ["PutEventSelectors", "critical", "Selectors decide what is recorded: management or data events may be excluded", TRAIL, "e8"],
    ["PutInsightSelectors", "high", "Insights selectors changed: unusual-activity detection may be off", TRAIL, "e8"],
  ]),
  ...service("kms.amazonaws.com", "key", [
    ["DisableKey", "critical", "A disabled key stops log encryption (delivery fails) and makes the logs unreadable", KEY, "e8"],
    ["ScheduleKeyDeletion", "critical", "A deleted key makes every log it encrypted unreadable for ever", KEY, "e8"],
    ["PutKeyPolicy", "critical", "The key policy decides who may encrypt and read logs: CloudTrail may be locked out", KEY, "e8"],
    ["DisableKeyRotation", "high", "Automatic rotation of the key is off (M4)", KEY],
  ]),
  // Spellings: the S3 user guide's list of CloudTrail event names decides where the API name and
  // the recorded name differ: PutBucketLifecycleConfiguration is recorded as PutBucketLifecycle,
  // Delete/PutPublicAccessBlock as Delete/PutBucketPublicAccessBlock
  // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-s3-info.html). For
  // Object Lock the sources disagree (that list and the API: PutObjectLockConfiguration; E8 and
  // some detection rules: PutBucketObjectLockConfiguration): both are watched.
  ...service("s3.amazonaws.com", "bucket", [
    [["PutObjectLockConfiguration", "PutBucketObjectLockConfiguration"], "critical", "Object Lock decides how long logs cannot be deleted (M2)", BUCKET, "e8"],
    ["DeleteBucketPolicy", "critical", "The bucket policy that admits only CloudTrail and denies deletes is gone", BUCKET, "e8"],
    ["PutBucketPolicy", "critical", "The bucket policy decides who may write, read and delete logs", BUCKET, "e8"],
    [["PutBucketLifecycle", "PutBucketLifecycleConfiguration"], "critical", "A lifecycle expiration can delete logs once their lock ends", BUCKET, "e8"],
    ["PutBucketVersioning", "critical", "Suspended versioning lets an overwrite replace a log", BUCKET, "e8"],
    ["DeleteBucket", "critical", "A bucket of the estate is deleted", BUCKET, "e8"],
    [["DeleteBucketPublicAccessBlock", "DeletePublicAccessBlock"], "high", "The bucket's public access block is removed", BUCKET],
    [["PutBucketPublicAccessBlock", "PutPublicAccessBlock"], "high", "The bucket's public access block is changed (it may now allow public policies)", BUCKET],
    ["PutBucketEncryption", "high", "Default encryption changed: new logs may not use the audit key (M4)", BUCKET],
    ["DeleteBucketEncryption", "high", "Default encryption removed (M4)", BUCKET],
    ["PutBucketLogging", "high", "Server access logging of the bucket changed or turned off (PCI 10.2)", BUCKET],
    ["PutBucketAcl", "high", "The bucket ACL changed: access may be granted outside the policy", BUCKET],
  ]),
  // The alert path itself: a rule, topic, subscription, log group, filter, alarm or recorder that
  // is deleted, disabled, repointed or overwritten silences every alert after it.
  ...service("events.amazonaws.com", "alert-path", [
    ["DeleteRule", "critical", "An alert rule is deleted: its tamper operations are no longer reported", ["name"]],
    ["DisableRule", "critical", "An alert rule is disabled: its tamper operations are no longer reported", ["name"]],
    ["RemoveTargets", "critical", "An alert rule loses its target: matches go nowhere", ["rule"]],
    ["PutRule", "high", "An alert rule's pattern or state is overwritten: it may match nothing", ["name"]],
    ["PutTargets", "high", "An alert rule is repointed: matches may go elsewhere", ["rule"]],
  ]),
  ...service("sns.amazonaws.com", "alert-path", [
    ["DeleteTopic", "critical", "The alert topic is deleted: nothing is delivered", ["topicArn"]],
    ["Unsubscribe", "critical", "A subscriber (the notifier or an e-mail address) no longer receives alerts", ["subscriptionArn"]],
    ["SetTopicAttributes", "high", "The topic's policy, key or delivery settings changed: publishers may be refused", ["topicArn"]],
    ["SetSubscriptionAttributes", "high", "A subscription's filter or redrive changed: alerts may be filtered out", ["subscriptionArn"]],
    ["RemovePermission", "high", "A publisher's permission on the topic is removed", ["topicArn"]],
  ]),
  ...service("logs.amazonaws.com", "alert-path", [
    ["DeleteLogGroup", "critical", "The trail's log group (or a function's) is deleted: burst alarms see nothing", ["logGroupName"]],
    ["DeleteMetricFilter", "critical", "A burst or CIS metric filter is deleted: its alarm never fires", ["logGroupName", "filterName"]],
    ["PutMetricFilter", "high", "A metric filter's pattern is overwritten: it may count nothing", ["logGroupName", "filterName"]],
    ["PutRetentionPolicy", "high", "The log group's retention changed: events may expire early", ["logGroupName"]],
    ["DisassociateKmsKey", "high", "The log group is no longer encrypted with the estate's key", ["logGroupName"]],
  ]),
  ...service("monitoring.amazonaws.com", "alert-path", [
    ["DeleteAlarms", "critical", "Burst or delivery alarms are deleted", ["alarmNames"]],
    ["DisableAlarmActions", "critical", "Alarms no longer notify anyone", ["alarmNames"]],
    ["PutMetricAlarm", "high", "An alarm is overwritten: its actions or threshold may be gone", ["alarmName"]],
  ]),
  ...service("config.amazonaws.com", "alert-path", [
    ["StopConfigurationRecorder", "critical", "AWS Config stops recording: posture changes go unseen (E10)", ["configurationRecorderName"]],
    ["DeleteConfigurationRecorder", "critical", "AWS Config's recorder is deleted (E10)", ["configurationRecorderName"]],
    ["DeleteDeliveryChannel", "critical", "AWS Config's delivery channel is deleted (E10)", ["deliveryChannelName"]],
    ["DeleteConfigRule", "high", "A Config rule of the estate is deleted (E10)", ["configRuleName"]],
  ]),
];

const BY_SPELLING = new Map<string, TamperOperation>(TAMPER_CATALOGUE.flatMap((op) => op.spellings.map((s) => [s, op] as const)));

/** The catalogue entry for an eventName (any spelling), or undefined. */
export function tamperOperation(eventName: string, eventSource?: string): TamperOperation | undefined {
  const op = BY_SPELLING.get(eventName);
  return op !== undefined && (eventSource === undefined || op.eventSource === eventSource) ? op : undefined;
}

/** Every spelling of the operations of one concern (and, optionally, one service). */
export function spellingsOf(concern: TamperConcern, eventSource?: string): string[] {
  return TAMPER_CATALOGUE.filter((op) => op.concern === concern && (eventSource === undefined || op.eventSource === eventSource)).flatMap((op) => [
    ...op.spellings,
  ]);
}

// --- The pack's view (policy/policies/aws-cloudwatch-eventrule-require-tamper-alerts.ts) ---------

// The recorded name of each E8 operation (the first spelling), as the pack has always required;
// rules that watch every spelling (TAMPER_EVENT_SPELLINGS) satisfy it too.
function e8Names(eventSource: WatchedEventSource): string[] {
  return TAMPER_CATALOGUE.filter((op) => op.e8 && op.eventSource === eventSource).map((op) => op.name);
}

/** E8's list by service. */
export const TAMPER_EVENTS: Readonly<Record<"cloudtrail.amazonaws.com" | "kms.amazonaws.com" | "s3.amazonaws.com", readonly string[]>> = {
  "cloudtrail.amazonaws.com": e8Names("cloudtrail.amazonaws.com"),
  "kms.amazonaws.com": e8Names("kms.amazonaws.com"),
  "s3.amazonaws.com": e8Names("s3.amazonaws.com"),
};

export const TAMPER_EVENT_NAMES: string[] = Object.values(TAMPER_EVENTS).flat();

/** Every spelling of E8's operations (a rule watching these also catches the disputed names). */
export const TAMPER_EVENT_SPELLINGS: string[] = TAMPER_CATALOGUE.filter((op) => op.e8).flatMap((op) => [...op.spellings]);
