/**
 * The closed set of things the digest-chain verifier can report (E13).
 *
 * Every finding names the object it is about (`key`, an S3 object key, or for the few findings
 * that concern no object, a short description of what was asked for) and carries a readable
 * `message`. Two kinds are informational. `gap`: what CloudTrail leaves when logging or
 * validation was off; the auditee must explain it, but it does not by itself prove tampering (the
 * reference `aws cloudtrail validate-logs` reports it and still succeeds). `bucket-changed`: an
 * authenticated digest names its predecessor in another bucket (the trail's bucket was changed);
 * aws-cli follows it (test_reloads_objects_on_bucket_change), so does the walk, and says so.
 * `uncovered-period` is stricter than aws-cli (E13): CloudTrail delivers a digest every hour, logs
 * or not, so an hour of the period no digest covers (a deleted tail, a region emptied) fails.
 * `object-refused`: an export entry that is not a regular file inside the export root, or is far
 * larger than any CloudTrail object (E13, hostile exports).
 */
export const FINDING_KINDS = [
  "gap",
  "no-digests",
  "digest-missing",
  "digest-invalid-format",
  "signature-missing",
  "signature-invalid",
  "unknown-key",
  "public-key-invalid",
  "no-public-keys",
  "digest-moved",
  "log-missing",
  "log-hash-mismatch",
  "log-invalid-format",
  "previous-hash-mismatch",
  "previous-signature-mismatch",
  "bucket-changed",
  "uncovered-period",
  "object-refused",
  "read-error",
] as const;

export type FindingKind = (typeof FINDING_KINDS)[number];

export interface Finding {
  kind: FindingKind;
  /** The S3 key of the object concerned (for no-public-keys: the key lookup that came back empty). */
  key: string;
  message: string;
}

/** Kinds that do not make a verification fail (E13: a gap is reported, not a failure). */
export const INFORMATIONAL_KINDS: ReadonlySet<FindingKind> = new Set<FindingKind>(["gap", "bucket-changed"]);

export function isFailure(finding: Finding): boolean {
  return !INFORMATIONAL_KINDS.has(finding.kind);
}

export function finding(kind: FindingKind, key: string, message: string): Finding {
  return { kind, key, message };
}
