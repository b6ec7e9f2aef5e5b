/**
 * The closed set of things the digest-chain verifier can report (E13).
 *
 * Every finding names the object it is about (`key`, an S3 object key, or for the few findings
 * that concern no object, a short description of what was asked for) and carries a readable
 * `message`. Only `gap` is informational: a gap is what CloudTrail leaves when logging or
 * validation was off, so it must be explained by the auditee, but it does not by itself prove
 * tampering (the reference `aws cloudtrail validate-logs` reports it and still succeeds).
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
  "previous-digest-other-bucket",
  "read-error",
] as const;

export type FindingKind = (typeof FINDING_KINDS)[number];

/** One line per kind: what it means and what the auditor should conclude. */
export const FINDING_KIND_DESCRIPTIONS: Readonly<Record<FindingKind, string>> = {
  gap:
    "Informational. A digest has no previous digest although an older digest exists in the " +
    "range: no log files were delivered (logging or validation was off) between the two. " +
    "Explain it from the trail's StartLogging/StopLogging history.",
  "no-digests":
    "No digest file of the trail exists for the whole period in any region walked: either " +
    "logging or log file validation was off, or the digests were removed. Nothing was verified.",
  "digest-missing":
    "A digest file that the chain (or the listing) says must exist could not be found: it was " +
    "deleted. The walk continues with the next older digest.",
  "digest-invalid-format":
    "A digest file is not a single gzip member of JSON with the required fields " +
    "(digestStartTime, digestEndTime, digestS3Bucket, digestS3Object, " +
    "digestPublicKeyFingerprint, previousDigestSignature, logFiles), or a backfill digest lacks " +
    "its backfill-generation-timestamp metadata.",
  "signature-missing":
    "The digest object has no `signature` / `signature-algorithm` user metadata, so it cannot " +
    "be authenticated.",
  "signature-invalid":
    "The RSA SHA-256 signature over the digest's string to sign does not verify (digest " +
    "content, location or previous signature altered), or the signature metadata is malformed " +
    "or uses an algorithm other than SHA256withRSA.",
  "unknown-key":
    "The digest names a public key fingerprint that is not among the public keys CloudTrail " +
    "published for the period.",
  "public-key-invalid":
    "The public key the digest names cannot be parsed as an RSA key (PKCS#1 or SPKI DER), or " +
    "its bytes do not hash (MD5) to the fingerprint it is listed under.",
  "no-public-keys":
    "No public keys at all were available for the period and region; no digest of that region " +
    "can be authenticated.",
  "digest-moved":
    "The digest claims (digestS3Bucket/digestS3Object) a location other than the one it was " +
    "read from: it was copied or moved.",
  "log-missing": "A log file listed in an authenticated digest could not be found: it was deleted.",
  "log-hash-mismatch":
    "The SHA-256 of a log file's uncompressed content differs from the hash its authenticated " +
    "digest recorded: the log file was altered.",
  "log-invalid-format":
    "A log file listed in an authenticated digest is not exactly one valid gzip member (bad " +
    "gzip, truncated, CRC/size mismatch, or data appended after the first member).",
  "previous-hash-mismatch":
    "The SHA-256 of a digest's uncompressed bytes differs from previousDigestHashValue recorded " +
    "by the next (newer) authenticated digest. The reference tool does not check this.",
  "previous-signature-mismatch":
    "A digest's signature metadata differs from previousDigestSignature recorded by the next " +
    "(newer) authenticated digest. The reference tool does not check this.",
  "previous-digest-other-bucket":
    "An authenticated digest's previous digest lives in another bucket (the trail's bucket was " +
    "changed, or the chain was redirected). The verifier does not follow it: verify that bucket " +
    "separately and explain the change.",
  "read-error":
    "An object exists or may exist but could not be read (access denied, throttling, I/O " +
    "error); nothing can be concluded about it.",
};

export interface Finding {
  kind: FindingKind;
  /** The S3 key of the object concerned (for no-public-keys: the key lookup that came back empty). */
  key: string;
  message: string;
}

/** Kinds that do not make a verification fail (E13: a gap is reported, not a failure). */
export const INFORMATIONAL_KINDS: ReadonlySet<FindingKind> = new Set<FindingKind>(["gap"]);

export function isFailure(finding: Finding): boolean {
  return !INFORMATIONAL_KINDS.has(finding.kind);
}

export function finding(kind: FindingKind, key: string, message: string): Finding {
  return { kind, key, message };
}
