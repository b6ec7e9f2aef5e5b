/**
 * Which failures of a shard are worth another attempt: throttling (S3 SlowDown, KMS / CloudTrail
 * throttling, 429) and transient faults (5xx, resets, timeouts). The shard Lambda maps them onto the
 * state machine's retriers (handlers/org-verification/config.ts); `evidence verify --all-accounts`
 * retries the shard in process (evidence/commands/verify-organization.ts).
 */
export const THROTTLING =
  /SlowDown|Throttl|RequestLimitExceeded|TooManyRequests|TooManyRequestsException|KMS\.?ThrottlingException|ProvisionedThroughputExceeded/i;
export const TRANSIENT = /ServiceUnavailable|InternalError|InternalFailure|RequestTimeout|ECONNRESET|ETIMEDOUT|EAI_AGAIN|socket hang up|KMSInternalException/i;

/** A read-error finding caused by throttling or a transient fault: the shard is retried, not reported as unreadable. */
export function isRetryableReadError(message: string): "throttled" | "transient" | null {
  if (THROTTLING.test(message)) return "throttled";
  if (TRANSIENT.test(message)) return "transient";
  return null;
}
