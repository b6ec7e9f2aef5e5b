// Synthetic CloudTrail log files for the tests and benchmarks that build signed digest chains
// (tests/evidence/fixtures.ts ChainFixture, testkit/org-fixture.ts): one generator, so both
// fixtures deliver the same shape of {"Records":[...]} that CloudTrail writes.
import * as crypto from "node:crypto";

/** CloudTrail's timestamp form: ISO 8601 in UTC without milliseconds. */
export function cloudTrailTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A fake CloudTrail log file: {"Records":[...]} with `events` plausible S3 data events from `at` on. */
export function logFileContent(region: string, accountId: string, at: Date, events: number, salt: string): string {
  const records = [];
  for (let i = 0; i < events; i++) {
    records.push({
      eventVersion: "1.09",
      userIdentity: { type: "AssumedRole", arn: `arn:aws:sts::${accountId}:assumed-role/ops/${salt}-${i}`, accountId },
      eventTime: cloudTrailTime(new Date(at.getTime() + i * 1000)),
      eventSource: "s3.amazonaws.com",
      eventName: i % 2 ? "GetObject" : "PutObject",
      awsRegion: region,
      sourceIPAddress: `10.0.${i % 250}.${(i * 7) % 250}`,
      requestID: crypto.createHash("md5").update(`${salt}/${i}`).digest("hex"),
      eventID: crypto.randomUUID(),
      readOnly: i % 2 === 1,
      recipientAccountId: accountId,
    });
  }
  return JSON.stringify({ Records: records });
}

/** The digest a new digest links to (its previous* fields). */
export interface PreviousDigest {
  bucket: string;
  key: string;
  /** The previous digest file's uncompressed bytes (hashed into previousDigestHashValue). */
  uncompressed: Buffer;
  signature: string;
}

/**
 * A digest file's document in CloudTrail's field order
 * (cloudtrail-log-file-validation-digest-file-structure.html), shared by both chain fixtures.
 * `eventTimes` is absent from a digest with no events in its window (a backfill digest here).
 */
export function digestDocument(o: {
  accountId: string;
  bucket: string;
  key: string;
  start: Date;
  end: Date;
  fingerprint: string;
  eventTimes?: { newest: Date; oldest: Date };
  previous?: PreviousDigest;
  logFiles: unknown[];
}): Record<string, unknown> {
  const { previous } = o;
  return {
    awsAccountId: o.accountId,
    digestStartTime: cloudTrailTime(o.start),
    digestEndTime: cloudTrailTime(o.end),
    digestS3Bucket: o.bucket,
    digestS3Object: o.key,
    digestPublicKeyFingerprint: o.fingerprint,
    digestSignatureAlgorithm: "SHA256withRSA",
    ...(o.eventTimes ? { newestEventTime: cloudTrailTime(o.eventTimes.newest), oldestEventTime: cloudTrailTime(o.eventTimes.oldest) } : {}),
    previousDigestS3Bucket: previous ? previous.bucket : null,
    previousDigestS3Object: previous ? previous.key : null,
    previousDigestHashValue: previous ? crypto.createHash("sha256").update(previous.uncompressed).digest("hex") : null,
    previousDigestHashAlgorithm: previous ? "SHA-256" : null,
    previousDigestSignature: previous ? previous.signature : null,
    logFiles: o.logFiles,
  };
}
