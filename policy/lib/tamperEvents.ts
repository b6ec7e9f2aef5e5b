// E8 / issue 4: the API calls that disable, weaken or erase the audit trail. One list, read by the
// estate's alerting rules and by the policy that checks such rules exist.
export const TAMPER_EVENTS = {
  "cloudtrail.amazonaws.com": ["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "PutInsightSelectors"],
  "kms.amazonaws.com": ["DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy"],
  "s3.amazonaws.com": ["PutObjectLockConfiguration", "DeleteBucketPolicy", "PutBucketPolicy", "PutBucketLifecycle", "PutBucketVersioning", "DeleteBucket"],
} as const;

export const TAMPER_EVENT_NAMES: string[] = Object.values(TAMPER_EVENTS).flat();
