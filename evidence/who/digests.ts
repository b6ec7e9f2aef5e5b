/**
 * `who --verify-digests`: did the log file each event was read from verify against the trail's
 * signed digest chain? Reuses the one trail verification (cloudtrail/trail-verification.ts): the S3 adapter, wrapped to record which
 * log files the verifier hashed (it opens only files listed in an authenticated digest), and the
 * verifier's findings, which name the log file's key. Per file:
 *   verified     hashed against an authenticated digest, no finding
 *   FAILED: kind a finding names the file (hash mismatch, missing, invalid, unreadable)
 *   not verified no authenticated digest of the period lists it (digest missing or invalid,
 *                or not delivered yet: digests follow their log files by up to an hour)
 */
import type { Readable } from "node:stream";
import type { AwsClients } from "../../cloudtrail/aws";
import { verifyTrailOnS3 } from "../../cloudtrail/trail-verification";
import type { TrailLocation } from "../../cloudtrail/verify/digest-key";
import type { PublicKeyRecord } from "../../cloudtrail/verify/signature";
import type { DigestStore, StoredDigest } from "../../cloudtrail/verify/store";
import type { VerificationResult, VerifyProgress } from "../../cloudtrail/verify/verifier";

export const DIGEST_VERIFIED = "verified";
export const DIGEST_NOT_LISTED = "not verified: no authenticated digest lists it";

export interface LogFileCheckRequest {
  clients: AwsClients;
  trailArn: string;
  /** Organization trails: the o-... id in their keys (else looked up, see cloudtrail/aws.ts). */
  organizationId?: string;
  /** s3:// URIs of the log files the rows came from. */
  logFiles: string[];
  /** The query period, used when the log file names carry no delivery time. */
  start: Date;
  end: Date;
  now: () => Date;
  onProgress?: (progress: VerifyProgress) => void;
}

export interface LogFileCheck {
  result: VerificationResult;
  /** The trail's log bucket (files in another bucket are not covered). */
  bucket: string;
  /** Keys of the log files the verifier hashed against an authenticated digest. */
  checkedKeys: ReadonlySet<string>;
}

export type LogFileVerifier = (request: LogFileCheckRequest) => Promise<LogFileCheck>;

/** A DigestStore that remembers which log files the verifier opened. */
export class RecordingDigestStore implements DigestStore {
  readonly openedLogKeys = new Set<string>();

  constructor(private readonly inner: DigestStore) {}

  listDigestRegions(trail: TrailLocation): Promise<string[]> {
    return this.inner.listDigestRegions(trail);
  }

  listDigestKeys(trail: TrailLocation, region: string, start: Date, end: Date): Promise<string[]> {
    return this.inner.listDigestKeys(trail, region, start, end);
  }

  getDigest(bucket: string, key: string): Promise<StoredDigest> {
    return this.inner.getDigest(bucket, key);
  }

  openLogStream(bucket: string, key: string): Promise<Readable> {
    this.openedLogKeys.add(key);
    return this.inner.openLogStream(bucket, key);
  }

  listPublicKeys(region: string, start: Date, end: Date): Promise<PublicKeyRecord[]> {
    return this.inner.listPublicKeys(region, start, end);
  }
}

export function parseS3Uri(uri: string): { bucket: string; key: string } | null {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  return m ? { bucket: m[1], key: m[2] } : null;
}

// <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz under .../CloudTrail/<region>/YYYY/MM/DD/
const LOG_FILE_NAME = /\/CloudTrail\/([a-z]{2}(?:-[a-z]+)+-\d+)\/\d{4}\/\d{2}\/\d{2}\/\d{12}_CloudTrail_[a-z0-9-]+_(\d{8}T\d{4}Z)_[^/]+\.json\.gz$/;

/**
 * The period and regions whose digests cover the given log files: from the earliest to the latest
 * delivery time in their names (plus a minute: names are to the minute). The verifier reads the
 * digests ending up to an hour after that, which is where those files are listed.
 */
export function verificationWindow(logFiles: readonly string[], fallback: { start: Date; end: Date }): { start: Date; end: Date; regions?: string[] } {
  let first = Infinity;
  let last = -Infinity;
  const regions = new Set<string>();
  for (const file of logFiles) {
    const m = LOG_FILE_NAME.exec(file);
    if (!m) return { start: fallback.start, end: new Date(fallback.end.getTime() + 3_600_000) };
    const t = m[2];
    const time = Date.UTC(+t.slice(0, 4), +t.slice(4, 6) - 1, +t.slice(6, 8), +t.slice(9, 11), +t.slice(11, 13));
    first = Math.min(first, time);
    last = Math.max(last, time);
    regions.add(m[1]);
  }
  if (!Number.isFinite(first)) return { start: fallback.start, end: new Date(fallback.end.getTime() + 3_600_000) };
  return { start: new Date(first), end: new Date(last + 60_000), regions: [...regions].sort() };
}

/** Per log file URI, what the check says about it. */
export function logFileStatuses(logFiles: readonly string[], check: LogFileCheck): Map<string, string> {
  const findingsByKey = new Map<string, string[]>();
  for (const f of check.result.findings) {
    const kinds = findingsByKey.get(f.key) ?? [];
    if (!kinds.includes(f.kind)) kinds.push(f.kind);
    findingsByKey.set(f.key, kinds);
  }
  const statuses = new Map<string, string>();
  for (const file of logFiles) {
    const where = parseS3Uri(file);
    if (!where) statuses.set(file, "not verified: not an S3 log file");
    else if (where.bucket !== check.bucket) statuses.set(file, `not verified: not in the trail's bucket ${check.bucket}`);
    else if (findingsByKey.has(where.key)) statuses.set(file, `FAILED: ${findingsByKey.get(where.key)!.join(", ")}`);
    else if (check.checkedKeys.has(where.key)) statuses.set(file, DIGEST_VERIFIED);
    else statuses.set(file, DIGEST_NOT_LISTED);
  }
  return statuses;
}

/** The real check: GetTrail, then the digest-chain walk over the files' delivery window on S3. */
export const verifyLogFilesOnS3: LogFileVerifier = async (request) => {
  let recording: RecordingDigestStore | undefined;
  const window = verificationWindow(request.logFiles, request);
  const { resolved, result } = await verifyTrailOnS3({
    clients: request.clients,
    trailArn: request.trailArn,
    organizationId: request.organizationId,
    start: window.start,
    end: window.end,
    regions: window.regions,
    now: request.now,
    onProgress: request.onProgress,
    wrapStore: (store) => (recording = new RecordingDigestStore(store)),
  });
  return { result, bucket: resolved.location.bucket, checkedKeys: recording?.openedLogKeys ?? new Set<string>() };
};
