/**
 * The daily review's alert (E14), as the review publishes it to the alert topic and the notifier
 * reads it: one type for both handlers, so a field renamed on one side fails the build on the other.
 * The stored review record (review/YYYY/MM/DD/...) keeps everything; the alert carries the first
 * findings, each message bounded (SNS: 256 KB per message), and the true total.
 */

export const DAILY_REVIEW_ALERT_KIND = "daily-review" as const;

export interface DailyReviewAlertFinding {
  /** The review's finding kind (REVIEW_FINDING_KINDS in handlers/daily-review/review.ts). */
  readonly kind: string;
  /** What the finding is about: the trail ARN, an S3 object key, a principal ARN, the log group. */
  readonly key: string;
  readonly message: string;
}

export interface DailyReviewAlert {
  readonly kind: typeof DAILY_REVIEW_ALERT_KIND;
  /** The reviewed UTC day, YYYY-MM-DD. */
  readonly date: string;
  /** Key of the stored review record in the log bucket. */
  readonly recordKey: string;
  readonly recordUri: string;
  readonly trailArn: string;
  readonly reviewedPeriod: { readonly start: string; readonly end: string };
  readonly reviewedAt: string;
  /** All findings of the review; `findings` may hold fewer. */
  readonly findingsTotal: number;
  readonly findings: readonly DailyReviewAlertFinding[];
  /**
   * E15 / issue 11: "organization" when the organisation verification's reducer reviewed every
   * member account (absent: the single-account daily review).
   */
  readonly scope?: "account" | "organization";
  readonly organizationId?: string;
  /** Organisation reviews: how many (account, region, day) shards were planned, and how they ended. */
  readonly shards?: OrganizationReviewShards;
}

export interface OrganizationReviewShards {
  readonly planned: number;
  /** Verified (valid or not). */
  readonly verified: number;
  /** Of the verified, those with failing findings. */
  readonly invalid: number;
  /** The shard's verification could not run (after its retries). */
  readonly notVerified: number;
  /** Planned, but no result came back. */
  readonly unreported: number;
  /** A result for a shard the plan does not have. */
  readonly unplanned: number;
}

/**
 * Recognises the alert by its kind and findings list; the other fields are read defensively by the
 * notifier (an older or damaged message must still be notified, E8).
 */
export function looksLikeDailyReviewAlert(value: unknown): value is Partial<DailyReviewAlert> & { kind: "daily-review"; findings: unknown[] } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { kind?: unknown }).kind === DAILY_REVIEW_ALERT_KIND &&
    Array.isArray((value as { findings?: unknown }).findings)
  );
}
