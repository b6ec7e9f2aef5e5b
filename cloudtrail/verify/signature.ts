/**
 * Digest signatures (CloudTrail user guide, "Custom implementations of CloudTrail log file
 * integrity validation"; aws-cli validation.py Sha256RSADigestValidator).
 */
import * as crypto from "node:crypto";

export const SUPPORTED_SIGNATURE_ALGORITHM = "SHA256withRSA";

export function sha256Hex(data: Buffer | string): string {
  return crypto.createHash("sha256").update(data).digest("hex");
}

/**
 * The four lines CloudTrail signs: end time exactly as written in the digest, `bucket/key`, the
 * hex SHA-256 of the uncompressed digest bytes as stored (never re-serialised JSON), and the
 * previous signature or the literal `null` (the Java signer writes `null`).
 */
export function buildStringToSign(
  digestEndTime: string,
  digestS3Bucket: string,
  digestS3Object: string,
  uncompressedDigestSha256Hex: string,
  previousDigestSignature: string | null,
): string {
  return [digestEndTime, `${digestS3Bucket}/${digestS3Object}`, uncompressedDigestSha256Hex, previousDigestSignature ?? "null"].join("\n");
}

/** One entry of CloudTrail ListPublicKeys, dates as ISO strings (the export file stores them so). */
export interface PublicKeyRecord {
  /** base64 DER RSA public key, PKCS#1 (RSAPublicKey) as CloudTrail publishes it. */
  Value: string;
  ValidityStartTime?: string;
  ValidityEndTime?: string;
  /** hex MD5 of the DER bytes; the digest names its key by this. */
  Fingerprint: string;
}

export type ParsedPublicKey = { ok: true; key: crypto.KeyObject; fingerprint: string } | { ok: false; reason: string };

export function publicKeyFingerprint(der: Buffer): string {
  return crypto.createHash("md5").update(der).digest("hex");
}

/**
 * Parses a ListPublicKeys `Value`. CloudTrail publishes PKCS#1; SPKI is accepted as a fallback
 * because some tools re-export keys in that form. The listed fingerprint must be the MD5 of the
 * DER bytes, otherwise the record was edited (a concern for a key file shipped with an export).
 */
export function parsePublicKey(record: PublicKeyRecord): ParsedPublicKey {
  const value = typeof record.Value === "string" ? record.Value.trim() : "";
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) {
    return { ok: false, reason: "the key value is not base64" };
  }
  const der = Buffer.from(value, "base64");
  let key: crypto.KeyObject | undefined;
  for (const type of ["pkcs1", "spki"] as const) {
    try {
      key = crypto.createPublicKey({ key: der, format: "der", type });
      break;
    } catch {
      // try the next encoding
    }
  }
  if (!key || key.asymmetricKeyType !== "rsa") {
    return { ok: false, reason: "the key is not a DER RSA public key (PKCS#1 or SPKI)" };
  }
  const fingerprint = publicKeyFingerprint(der);
  if (typeof record.Fingerprint !== "string" || fingerprint !== record.Fingerprint.toLowerCase()) {
    return {
      ok: false,
      reason: `the key bytes hash to fingerprint ${fingerprint}, not to the listed ${String(record.Fingerprint)}`,
    };
  }
  return { ok: true, key, fingerprint };
}

/** Public keys by fingerprint, parsed lazily (a bad key only matters to digests that name it). */
export class PublicKeyIndex {
  private readonly records = new Map<string, PublicKeyRecord>();
  private readonly parsed = new Map<string, ParsedPublicKey>();

  constructor(records: Iterable<PublicKeyRecord> = []) {
    this.add(records);
  }

  add(records: Iterable<PublicKeyRecord>): void {
    for (const record of records) {
      if (record && typeof record.Fingerprint === "string") {
        this.records.set(record.Fingerprint.toLowerCase(), record);
      }
    }
  }

  get size(): number {
    return this.records.size;
  }

  has(fingerprint: string): boolean {
    return this.records.has(fingerprint.toLowerCase());
  }

  /** The record listed under `fingerprint` (its validity goes into the report). */
  record(fingerprint: string): PublicKeyRecord | undefined {
    return this.records.get(fingerprint.toLowerCase());
  }

  fingerprints(): string[] {
    return [...this.records.keys()].sort();
  }

  lookup(fingerprint: string): ParsedPublicKey | undefined {
    const id = fingerprint.toLowerCase();
    const record = this.records.get(id);
    if (!record) return undefined;
    let parsed = this.parsed.get(id);
    if (!parsed) {
      parsed = parsePublicKey(record);
      this.parsed.set(id, parsed);
    }
    return parsed;
  }
}

/** RSASSA-PKCS1-v1_5 with SHA-256 over the UTF-8 string to sign. */
export function verifyDigestSignature(stringToSign: string, signatureHex: string, key: crypto.KeyObject): boolean {
  const signature = Buffer.from(signatureHex, "hex");
  try {
    return crypto.verify("sha256", Buffer.from(stringToSign, "utf8"), key, signature);
  } catch {
    return false;
  }
}

export function isHexSignature(text: string): boolean {
  return text.length > 0 && text.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(text);
}
