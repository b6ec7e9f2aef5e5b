/**
 * Names that an IAM grant (infra/) and the code that uses it (handlers/, evidence/) must agree on.
 * One definition each, so a grant can never drift from the key the code writes or reads.
 */

/** E14: the daily review writes its records under this prefix of the locked log bucket, and only there. */
export const REVIEW_PREFIX = "review/";

/** The prefix under which CloudTrail delivers logs and digests (no trail S3 key prefix is used). */
export const CLOUDTRAIL_LOGS_PREFIX = "AWSLogs/";
