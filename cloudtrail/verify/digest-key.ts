/**
 * Where CloudTrail puts digest files, and how to read dates out of their keys.
 *
 * Layout (CloudTrail user guide, "CloudTrail digest file structure"):
 *   [prefix/]AWSLogs/[o-orgid/]<account>/CloudTrail-Digest/<region>/<YYYY>/<MM>/<DD>/
 *     <account>_CloudTrail-Digest_<region>_<trailName>_<homeRegion>_<YYYYMMDDTHHMMSSZ>[_backfill].json.gz
 * The timestamp is the digest's end time; keys of one trail sort by it, which is what lets a
 * listing start after a computed key and stop at the first key past the range.
 */

/** The trail whose digest chain is walked and where its files live. */
export interface TrailLocation {
  bucket: string;
  /** S3 key prefix of the trail, without leading or trailing slash; undefined when none. */
  prefix?: string;
  accountId: string;
  /** Set for organization trails (E15): the o-xxxx segment of the key. */
  organizationId?: string;
  trailName: string;
  homeRegion: string;
}

export interface TrailArnParts {
  partition: string;
  homeRegion: string;
  accountId: string;
  trailName: string;
}

const TRAIL_ARN = /^arn:(aws[a-z-]*):cloudtrail:([a-z0-9-]+):(\d{12}):trail\/([A-Za-z0-9._-]{1,128})$/;

/** Parses `arn:aws:cloudtrail:<region>:<account>:trail/<name>`; null when it is not one. */
export function parseTrailArn(arn: string): TrailArnParts | null {
  const m = TRAIL_ARN.exec(arn);
  if (!m) return null;
  return { partition: m[1], homeRegion: m[2], accountId: m[3], trailName: m[4] };
}

export function trailArnOf(trail: TrailLocation, partition = "aws"): string {
  return `arn:${partition}:cloudtrail:${trail.homeRegion}:${trail.accountId}:trail/${trail.trailName}`;
}

/** `YYYYMMDDTHHMMSSZ`, the form used in digest keys. */
export function formatKeyTimestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}Z$/, "Z");
}

/** `YYYY-MM-DDTHH:MM:SSZ`, the form used in messages (and by the reference tool's output). */
export function formatDisplayDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function parseKeyTimestamp(ts: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(ts);
  if (!m) return null;
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return Number.isNaN(date.getTime()) ? null : date;
}

function ymd(date: Date): string {
  return date.toISOString().slice(0, 10).replace(/-/g, "/");
}

/** `[prefix/]AWSLogs/[org/]<account>/CloudTrail-Digest/` */
export function digestRootPrefix(trail: TrailLocation): string {
  const org = trail.organizationId ? `${trail.organizationId}/` : "";
  const head = trail.prefix ? `${trail.prefix}/` : "";
  return `${head}AWSLogs/${org}${trail.accountId}/CloudTrail-Digest/`;
}

/** `[prefix/]AWSLogs/[org/]<account>/CloudTrail-Digest/<region>/` */
export function digestRegionPrefix(trail: TrailLocation, region: string): string {
  return `${digestRootPrefix(trail)}${region}/`;
}

/** The key CloudTrail would have written for a digest ending at `end`. */
export function digestKeyFor(trail: TrailLocation, region: string, end: Date, backfill = false): string {
  const file =
    `${trail.accountId}_CloudTrail-Digest_${region}_${trail.trailName}_${trail.homeRegion}_` +
    `${formatKeyTimestamp(end)}${backfill ? "_backfill" : ""}.json.gz`;
  return `${digestRegionPrefix(trail, region)}${ymd(end)}/${file}`;
}

/**
 * The StartAfter key for a listing that must include digests ending at `start`: the key a digest
 * ending one minute earlier would have (the reference tool subtracts one minute the same way).
 */
export function listingStartAfter(trail: TrailLocation, region: string, start: Date): string {
  return digestKeyFor(trail, region, new Date(start.getTime() - 60_000));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

/** Matches the digest keys of exactly this trail in this region (other trails share buckets). */
export function digestKeyPattern(trail: TrailLocation, region: string): RegExp {
  const file =
    `${escapeRegExp(trail.accountId)}_CloudTrail-Digest_${escapeRegExp(region)}_` +
    `${escapeRegExp(trail.trailName)}_${escapeRegExp(trail.homeRegion)}_(\\d{8}T\\d{6}Z)(_backfill)?\\.json\\.gz`;
  return new RegExp(`^${escapeRegExp(digestRegionPrefix(trail, region))}\\d{4}/\\d{2}/\\d{2}/${file}$`);
}

export interface DigestKeyInfo {
  end: Date;
  backfill: boolean;
}

/** Reads end time and backfill flag from a key of this trail; null for any other key. */
export function parseDigestKey(key: string, trail: TrailLocation, region: string): DigestKeyInfo | null {
  const m = digestKeyPattern(trail, region).exec(key);
  if (!m) return null;
  const end = parseKeyTimestamp(m[1]);
  return end ? { end, backfill: m[2] !== undefined } : null;
}

/** End time in any digest key (trail-agnostic); null when the key has no digest timestamp. */
export function digestKeyEndTime(key: string): Date | null {
  const m = /_(\d{8}T\d{6}Z)(?:_backfill)?\.json\.gz$/.exec(key);
  return m ? parseKeyTimestamp(m[1]) : null;
}

export function isBackfillDigestKey(key: string): boolean {
  return key.endsWith("_backfill.json.gz");
}

export type KeyPosition = "other" | "before" | "in-range" | "after";

/**
 * Where a listed key falls for a walk over [start, end]. Digests ending up to one hour after
 * `end` are included because log files of the last hour are recorded by the next digest (the
 * reference tool does the same).
 */
export function classifyDigestKey(key: string, trail: TrailLocation, region: string, start: Date, end: Date): KeyPosition {
  const info = parseDigestKey(key, trail, region);
  if (!info) return "other";
  const t = info.end.getTime();
  if (t < Math.floor(start.getTime() / 1000) * 1000) return "before";
  if (t > end.getTime() + 3_600_000) return "after";
  return "in-range";
}

/**
 * Filters and orders keys as the walk expects them (ascending key order, which is end-time
 * order within one trail). Adapters that cannot stop early use this on their full listing.
 */
export function selectDigestKeys(keys: Iterable<string>, trail: TrailLocation, region: string, start: Date, end: Date): string[] {
  const selected: string[] = [];
  for (const key of keys) {
    if (classifyDigestKey(key, trail, region, start, end) === "in-range") selected.push(key);
  }
  return selected.sort(compareDigestKeys);
}

/** Orders by end time, then standard before backfill, then key (stable for equal times). */
export function compareDigestKeys(a: string, b: string): number {
  const ta = digestKeyEndTime(a)?.getTime() ?? 0;
  const tb = digestKeyEndTime(b)?.getTime() ?? 0;
  if (ta !== tb) return ta - tb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Generic digest file name (no trail known yet), used to discover trails in an export.
 * Trail names may contain `_`, so the home region is matched by its shape.
 */
const GENERIC_DIGEST_FILE = /^(\d{12})_CloudTrail-Digest_([a-z]{2}(?:-[a-z]+)+-\d+)_(.+)_([a-z]{2}(?:-[a-z]+)+-\d+)_(\d{8}T\d{6}Z)(_backfill)?\.json\.gz$/;

export interface DiscoveredDigestKey {
  trail: TrailLocation;
  region: string;
}

/** Recognises any CloudTrail digest key in `bucket` and tells which trail and region it is for. */
export function recogniseDigestKey(bucket: string, key: string): DiscoveredDigestKey | null {
  const segments = key.split("/");
  const file = segments[segments.length - 1];
  const m = GENERIC_DIGEST_FILE.exec(file);
  if (!m) return null;
  const [, accountId, region, trailName, homeRegion] = m;
  const awsLogs = segments.lastIndexOf("AWSLogs");
  if (awsLogs < 0) return null;
  const after = segments.slice(awsLogs + 1);
  // [org/]<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/<file>
  let organizationId: string | undefined;
  if (after.length === 8 && /^o-[a-z0-9]+$/.test(after[0])) organizationId = after.shift();
  if (after.length !== 7 || after[0] !== accountId || after[1] !== "CloudTrail-Digest" || after[2] !== region) {
    return null;
  }
  const prefix = segments.slice(0, awsLogs).join("/") || undefined;
  return { trail: { bucket, prefix, accountId, organizationId, trailName, homeRegion }, region };
}

export function sameTrail(a: TrailLocation, b: TrailLocation): boolean {
  return (
    a.bucket === b.bucket &&
    (a.prefix ?? "") === (b.prefix ?? "") &&
    a.accountId === b.accountId &&
    (a.organizationId ?? "") === (b.organizationId ?? "") &&
    a.trailName === b.trailName &&
    a.homeRegion === b.homeRegion
  );
}
