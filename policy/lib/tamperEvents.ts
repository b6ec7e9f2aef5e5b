// E8 / issue 4: the API calls that disable, weaken or erase the audit trail. One list, read by the
// estate's alerting rules and by the policy that checks such rules exist.
export const TAMPER_EVENTS = {
  "cloudtrail.amazonaws.com": ["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "PutInsightSelectors"],
  "kms.amazonaws.com": ["DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy"],
  "s3.amazonaws.com": ["PutObjectLockConfiguration", "DeleteBucketPolicy", "PutBucketPolicy", "PutBucketLifecycle", "PutBucketVersioning", "DeleteBucket"],
} as const;

export const TAMPER_EVENT_NAMES: string[] = Object.values(TAMPER_EVENTS).flat();

/**
 * Beyond E8's list, what the estate's own rules also watch: weakening the protection of its
 * buckets and keys, and silencing the alert path itself (rules, topic, log groups, alarms, Config).
 * Not required by the pack's advisory policy, which checks E8's list only.
 */
export const EXTENDED_TAMPER_EVENTS = {
  "kms.amazonaws.com": ["DisableKeyRotation"],
  "s3.amazonaws.com": ["DeletePublicAccessBlock", "PutBucketPublicAccessBlock", "PutBucketEncryption", "DeleteBucketEncryption", "PutBucketLogging"],
  "events.amazonaws.com": ["DisableRule", "DeleteRule", "RemoveTargets", "PutRule"],
  "sns.amazonaws.com": ["DeleteTopic", "SetTopicAttributes", "Unsubscribe", "RemovePermission"],
  "logs.amazonaws.com": ["DeleteLogGroup", "PutRetentionPolicy", "DeleteMetricFilter", "DisassociateKmsKey"],
  "monitoring.amazonaws.com": ["DeleteAlarms", "DisableAlarmActions"],
  "config.amazonaws.com": ["StopConfigurationRecorder", "DeleteConfigurationRecorder", "DeleteDeliveryChannel"],
} as const;
