/**
 * The pure core of the verifier: bytes and metadata of one digest in, findings out.
 * No I/O here; the walk (verifier.ts) fetches and calls these functions.
 */
import { finding, type Finding } from "./findings";
import { GzipFormatError, GzipTooLargeError, gunzipSingleMember } from "./gzip-member";
import { buildStringToSign, isHexSignature, sha256Hex, SUPPORTED_SIGNATURE_ALGORITHM, verifyDigestSignature, type PublicKeyIndex } from "./signature";
import { MAX_DIGEST_UNCOMPRESSED_BYTES, type StoredDigest } from "./store";

export interface DigestLogFileEntry {
  s3Bucket: string;
  s3Object: string;
  hashValue: string;
  hashAlgorithm?: string;
  newestEventTime?: string;
  oldestEventTime?: string;
}

/** The digest JSON fields the verifier relies on (CloudTrail "digest file structure"). */
export interface DigestDocument {
  awsAccountId?: string;
  digestStartTime: string;
  digestEndTime: string;
  digestS3Bucket: string;
  digestS3Object: string;
  digestPublicKeyFingerprint: string;
  digestSignatureAlgorithm?: string;
  previousDigestS3Bucket: string | null;
  previousDigestS3Object: string | null;
  previousDigestHashValue: string | null;
  previousDigestHashAlgorithm: string | null;
  previousDigestSignature: string | null;
  logFiles: DigestLogFileEntry[];
}

export interface ParsedDigest {
  bucket: string;
  key: string;
  backfill: boolean;
  findings: Finding[];
  /** Set when gunzip succeeded: hex SHA-256 of the uncompressed bytes as stored. */
  uncompressedSha256?: string;
  /** Set when the JSON has every required field with the right type. */
  document?: DigestDocument;
  startTime?: Date;
  endTime?: Date;
  /** The `signature` user metadata, when present. */
  signature?: string;
  signatureAlgorithm?: string;
  backfillGenerationTime?: Date;
}

const REQUIRED_STRING_FIELDS = ["digestStartTime", "digestEndTime", "digestS3Bucket", "digestS3Object", "digestPublicKeyFingerprint"] as const;

function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

function parseIsoTime(text: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(text)) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

function isNullableString(value: unknown): value is string | null | undefined {
  return value === undefined || value === null || typeof value === "string";
}

/** Problems with the digest JSON's shape; empty when it is a usable DigestDocument. */
function describeShapeProblems(json: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const field of REQUIRED_STRING_FIELDS) {
    if (typeof json[field] !== "string" || json[field] === "") problems.push(`${field} is missing or not a string`);
  }
  for (const field of ["digestStartTime", "digestEndTime"] as const) {
    if (typeof json[field] === "string" && !parseIsoTime(json[field] as string)) {
      problems.push(`${field} is not a UTC timestamp`);
    }
  }
  if (!("previousDigestSignature" in json)) problems.push("previousDigestSignature is missing");
  for (const field of [
    "previousDigestSignature",
    "previousDigestS3Bucket",
    "previousDigestS3Object",
    "previousDigestHashValue",
    "previousDigestHashAlgorithm",
  ]) {
    if (!isNullableString(json[field])) problems.push(`${field} is neither a string nor null`);
  }
  if (!Array.isArray(json.logFiles)) {
    problems.push("logFiles is missing or not an array");
  } else {
    json.logFiles.forEach((entry: unknown, i: number) => {
      const e = entry as Record<string, unknown> | null;
      if (!e || typeof e !== "object" || typeof e.s3Bucket !== "string" || typeof e.s3Object !== "string" || typeof e.hashValue !== "string") {
        problems.push(`logFiles[${i}] lacks s3Bucket, s3Object or hashValue`);
      }
    });
  }
  return problems;
}

/**
 * Step 2 of the walk: gunzip (exactly one member), parse, check required fields and the
 * signature metadata. Produces digest-invalid-format and signature-missing findings.
 */
export function parseStoredDigest(bucket: string, key: string, stored: StoredDigest, backfill: boolean): ParsedDigest {
  const parsed: ParsedDigest = { bucket, key, backfill, findings: [] };
  const where = s3Uri(bucket, key);
  const metadata = stored.metadata ?? {};
  if (typeof metadata.signature === "string") parsed.signature = metadata.signature;
  if (typeof metadata["signature-algorithm"] === "string") parsed.signatureAlgorithm = metadata["signature-algorithm"];

  let uncompressed: Buffer;
  try {
    // Bounded: a digest expanding beyond this is a bomb, not an hour's list of log files (E13).
    uncompressed = gunzipSingleMember(stored.bytes, MAX_DIGEST_UNCOMPRESSED_BYTES);
  } catch (err) {
    if (err instanceof GzipTooLargeError) {
      parsed.findings.push(
        finding("digest-invalid-format", key, `Digest file ${where} is not a CloudTrail digest: ${err.message} (real digests are kilobytes)`),
      );
      return parsed;
    }
    const why = err instanceof GzipFormatError ? err.message : String(err);
    parsed.findings.push(finding("digest-invalid-format", key, `Digest file ${where} is not valid gzip: ${why}`));
    return parsed;
  }
  parsed.uncompressedSha256 = sha256Hex(uncompressed);

  if (parsed.signature === undefined || parsed.signatureAlgorithm === undefined) {
    parsed.findings.push(
      finding(
        "signature-missing",
        key,
        `Digest file ${where} has no signature metadata (x-amz-meta-signature and x-amz-meta-signature-algorithm are required)`,
      ),
    );
  }

  let json: unknown;
  try {
    json = JSON.parse(uncompressed.toString("utf8"));
  } catch (err) {
    parsed.findings.push(finding("digest-invalid-format", key, `Digest file ${where} is not JSON: ${(err as Error).message}`));
    return parsed;
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    parsed.findings.push(finding("digest-invalid-format", key, `Digest file ${where} is not a JSON object`));
    return parsed;
  }
  const problems = describeShapeProblems(json as Record<string, unknown>);
  if (backfill) {
    const generated = metadata["backfill-generation-timestamp"];
    const when = typeof generated === "string" ? new Date(generated) : null;
    if (!when || Number.isNaN(when.getTime())) {
      problems.push("a backfill digest needs x-amz-meta-backfill-generation-timestamp metadata");
    } else {
      parsed.backfillGenerationTime = when;
    }
  }
  if (problems.length > 0) {
    parsed.findings.push(finding("digest-invalid-format", key, `Digest file ${where} is missing required content: ${problems.join("; ")}`));
    return parsed;
  }
  const raw = json as Record<string, unknown>;
  const doc: DigestDocument = {
    ...(raw as unknown as DigestDocument),
    previousDigestS3Bucket: (raw.previousDigestS3Bucket as string | null | undefined) ?? null,
    previousDigestS3Object: (raw.previousDigestS3Object as string | null | undefined) ?? null,
    previousDigestHashValue: (raw.previousDigestHashValue as string | null | undefined) ?? null,
    previousDigestHashAlgorithm: (raw.previousDigestHashAlgorithm as string | null | undefined) ?? null,
    previousDigestSignature: (raw.previousDigestSignature as string | null | undefined) ?? null,
  };
  parsed.document = doc;
  parsed.startTime = parseIsoTime(doc.digestStartTime) ?? undefined;
  parsed.endTime = parseIsoTime(doc.digestEndTime) ?? undefined;
  return parsed;
}

export interface Authentication {
  findings: Finding[];
  /** True when location and signature verified: its log entries and previous pointer are trustworthy. */
  authenticated: boolean;
}

/**
 * Steps 3-4 of the walk: the digest must claim the location it was read from, and its signature
 * must verify with the public key it names. `keys` empty means no-public-keys was already
 * reported for the region; no per-digest finding is added then.
 */
export function authenticateDigest(parsed: ParsedDigest, keys: PublicKeyIndex): Authentication {
  const findings: Finding[] = [];
  const doc = parsed.document;
  const { bucket, key } = parsed;
  const where = s3Uri(bucket, key);
  if (!doc || parsed.uncompressedSha256 === undefined) return { findings, authenticated: false };

  if (doc.digestS3Bucket !== bucket || doc.digestS3Object !== key) {
    findings.push(
      finding("digest-moved", key, `Digest file ${where} has been moved from its original location ${s3Uri(doc.digestS3Bucket, doc.digestS3Object)}`),
    );
    return { findings, authenticated: false };
  }
  if (parsed.signature === undefined || parsed.signatureAlgorithm === undefined) {
    return { findings, authenticated: false }; // signature-missing already reported
  }
  if (parsed.signatureAlgorithm !== SUPPORTED_SIGNATURE_ALGORITHM) {
    findings.push(
      finding(
        "signature-invalid",
        key,
        `Digest file ${where} declares signature algorithm "${parsed.signatureAlgorithm}"; only ${SUPPORTED_SIGNATURE_ALGORITHM} is valid`,
      ),
    );
    return { findings, authenticated: false };
  }
  if (!isHexSignature(parsed.signature)) {
    findings.push(finding("signature-invalid", key, `Digest file ${where} has a signature that is not hex-encoded`));
    return { findings, authenticated: false };
  }
  if (keys.size === 0) return { findings, authenticated: false };

  const fingerprint = doc.digestPublicKeyFingerprint;
  const publicKey = keys.lookup(fingerprint);
  if (!publicKey) {
    findings.push(
      finding(
        "unknown-key",
        key,
        `Digest file ${where} names public key fingerprint ${fingerprint}, which is not among the ${keys.size} public key(s) for the period`,
      ),
    );
    return { findings, authenticated: false };
  }
  if (!publicKey.ok) {
    findings.push(finding("public-key-invalid", key, `Digest file ${where} cannot be checked: public key ${fingerprint} is unusable (${publicKey.reason})`));
    return { findings, authenticated: false };
  }
  const toSign = buildStringToSign(doc.digestEndTime, doc.digestS3Bucket, doc.digestS3Object, parsed.uncompressedSha256, doc.previousDigestSignature);
  if (!verifyDigestSignature(toSign, parsed.signature, publicKey.key)) {
    findings.push(finding("signature-invalid", key, `Digest file ${where} signature verification failed`));
    return { findings, authenticated: false };
  }
  return { findings, authenticated: true };
}

/** What an authenticated digest recorded about its predecessor. */
export interface PreviousDigestClaim {
  /** Key of the newer digest that made the claim. */
  claimedBy: string;
  hashValue: string | null;
  hashAlgorithm: string | null;
  signature: string | null;
}

export function previousClaimOf(parsed: ParsedDigest): PreviousDigestClaim | null {
  const doc = parsed.document;
  if (!doc) return null;
  return {
    claimedBy: parsed.key,
    hashValue: doc.previousDigestHashValue,
    hashAlgorithm: doc.previousDigestHashAlgorithm,
    signature: doc.previousDigestSignature,
  };
}

/** What was actually read for the previous digest. */
export interface PreviousDigestObserved {
  bucket: string;
  key: string;
  uncompressedSha256?: string;
  signature?: string;
}

/**
 * The checks the reference tool omits: the newer digest's previousDigestHashValue must be the
 * SHA-256 of the previous digest's uncompressed bytes, and its previousDigestSignature must be
 * the previous digest's signature metadata. Findings name the previous digest (the object whose
 * stored state disagrees with what the chain recorded).
 */
export function checkPreviousLink(claim: PreviousDigestClaim, observed: PreviousDigestObserved): Finding[] {
  const findings: Finding[] = [];
  const where = s3Uri(observed.bucket, observed.key);
  if (observed.uncompressedSha256 !== undefined) {
    if (claim.hashAlgorithm !== null && claim.hashAlgorithm !== "SHA-256") {
      findings.push(
        finding(
          "previous-hash-mismatch",
          observed.key,
          `Digest ${claim.claimedBy} records previousDigestHashAlgorithm "${claim.hashAlgorithm}" for ${where}; only SHA-256 is valid`,
        ),
      );
    } else if (claim.hashValue === null) {
      findings.push(finding("previous-hash-mismatch", observed.key, `Digest ${claim.claimedBy} points to ${where} but records no previousDigestHashValue`));
    } else if (claim.hashValue.toLowerCase() !== observed.uncompressedSha256) {
      findings.push(
        finding(
          "previous-hash-mismatch",
          observed.key,
          `Digest file ${where} hashes to ${observed.uncompressedSha256}, but the next digest ${claim.claimedBy} recorded ${claim.hashValue}`,
        ),
      );
    }
  }
  if (observed.signature !== undefined) {
    if (claim.signature === null || claim.signature.toLowerCase() !== observed.signature.toLowerCase()) {
      findings.push(
        finding(
          "previous-signature-mismatch",
          observed.key,
          `Digest file ${where} carries a signature that differs from the previousDigestSignature recorded by the next digest ${claim.claimedBy}` +
            (claim.signature === null ? " (which recorded null)" : ""),
        ),
      );
    }
  }
  return findings;
}
