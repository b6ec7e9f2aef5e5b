/**
 * Organisation-scale verification (issue 11, E13/E14/E15): the unit of work is a shard, one
 * (member account, region, UTC day) of an organisation trail. Each shard is one digest chain
 * segment (CloudTrail keeps one chain per account and region), so shards verify independently
 * and a fan-out (Step Functions Distributed Map, or local bounded concurrency) can run them in
 * any order and in parallel.
 *
 * Digest layout of an organisation trail (CloudTrail user guide, "CloudTrail digest file
 * structure"):
 *   [prefix/]AWSLogs/<o-id>/<account>/CloudTrail-Digest/<region>/<YYYY>/<MM>/<DD>/
 *     <account>_CloudTrail-Digest_<region>_<trailName>_<homeRegion>_<YYYYMMDDTHHMMSSZ>.json.gz
 */
import type { TrailLocation } from "../verify/digest-key";

/** The organisation trail whose member chains are verified. */
export interface OrganizationTrail {
  bucket: string;
  /** Trail S3 key prefix without slashes; undefined when none. */
  prefix?: string;
  /** o-[a-z0-9]{10,32} (stack config `organizationId`, env ORGANIZATION_ID). */
  organizationId: string;
  trailName: string;
  homeRegion: string;
}

export interface Shard {
  accountId: string;
  region: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  /** Digests of this account and region were found under the trail's prefix. */
  listed: boolean;
  /** The account is in the organisation's expected set (Organizations ListAccounts or input). */
  expected: boolean;
}

export const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
export const ACCOUNT_ID = /^\d{12}$/;
export const REGION_NAME = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
export const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** Bad input (state machine input, CLI flags, Lambda events): names what was wrong and what is allowed. */
export class OrgVerificationInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OrgVerificationInputError";
  }
}

export function shardId(shard: Pick<Shard, "accountId" | "region" | "day">): string {
  return `${shard.accountId}/${shard.region}/${shard.day}`;
}

/** The TrailLocation the single-chain verifier walks for one member account. */
export function memberTrail(trail: OrganizationTrail, accountId: string): TrailLocation {
  return {
    bucket: trail.bucket,
    prefix: trail.prefix,
    accountId,
    organizationId: trail.organizationId,
    trailName: trail.trailName,
    homeRegion: trail.homeRegion,
  };
}

/** `[prefix/]AWSLogs/<o-id>/`: one common prefix per member account below it. */
export function organizationRootPrefix(trail: OrganizationTrail): string {
  return `${trail.prefix ? `${trail.prefix}/` : ""}AWSLogs/${trail.organizationId}/`;
}

export function parseDay(day: string, what: string): Date {
  if (!DAY.test(day)) throw new OrgVerificationInputError(`${what}: "${day}" is not a UTC day (allowed: YYYY-MM-DD)`);
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== day) {
    throw new OrgVerificationInputError(`${what}: "${day}" is not a calendar day (allowed: YYYY-MM-DD)`);
  }
  return date;
}

export function formatDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The verifier's period for a shard's day: [00:00, next 00:00] UTC, as the daily review walks a day. */
export function dayRange(day: string): { start: Date; end: Date } {
  const start = parseDay(day, "day");
  return { start, end: new Date(start.getTime() + DAY_MS) };
}

/** The previous full UTC day before `now` (the scheduled run reviews yesterday, E14). */
export function previousDay(now: Date): string {
  return formatDay(new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS - DAY_MS));
}

/** Days from `first` to `last` inclusive; at most `maxDays`. */
export function daysBetween(first: string, last: string, maxDays: number): string[] {
  const a = parseDay(first, "first day").getTime();
  const b = parseDay(last, "last day").getTime();
  if (b < a) throw new OrgVerificationInputError(`period: last day ${last} is before first day ${first}`);
  const count = (b - a) / DAY_MS + 1;
  if (count > maxDays) throw new OrgVerificationInputError(`period: ${count} days from ${first} to ${last}; at most ${maxDays} days per run`);
  const days: string[] = [];
  for (let t = a; t <= b; t += DAY_MS) days.push(formatDay(new Date(t)));
  return days;
}

export function validateOrganizationTrail(value: unknown, what = "trail"): OrganizationTrail {
  const t = value as Partial<OrganizationTrail> | null;
  if (!t || typeof t !== "object") throw new OrgVerificationInputError(`${what}: expected an object {bucket, organizationId, trailName, homeRegion, prefix?}`);
  const problems: string[] = [];
  if (typeof t.bucket !== "string" || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(t.bucket))
    problems.push(`bucket: ${JSON.stringify(t.bucket)} is not an S3 bucket name`);
  if (typeof t.organizationId !== "string" || !ORGANIZATION_ID.test(t.organizationId)) {
    problems.push(`organizationId: ${JSON.stringify(t.organizationId)} is not an organization id (o- followed by 10-32 lowercase letters or digits)`);
  }
  if (typeof t.trailName !== "string" || !/^[A-Za-z0-9._-]{3,128}$/.test(t.trailName))
    problems.push(`trailName: ${JSON.stringify(t.trailName)} is not a trail name`);
  if (typeof t.homeRegion !== "string" || !REGION_NAME.test(t.homeRegion)) problems.push(`homeRegion: ${JSON.stringify(t.homeRegion)} is not a region name`);
  if (t.prefix !== undefined && (typeof t.prefix !== "string" || t.prefix.startsWith("/") || t.prefix.endsWith("/") || t.prefix === "")) {
    problems.push(`prefix: ${JSON.stringify(t.prefix)} must be a key prefix without leading or trailing slash, or absent`);
  }
  if (problems.length > 0) throw new OrgVerificationInputError(`${what}: ${problems.join("; ")}`);
  return { bucket: t.bucket!, prefix: t.prefix, organizationId: t.organizationId!, trailName: t.trailName!, homeRegion: t.homeRegion! };
}

export function validateShard(value: unknown, what = "shard"): Shard {
  const s = value as Partial<Shard> | null;
  if (!s || typeof s !== "object") throw new OrgVerificationInputError(`${what}: expected an object {accountId, region, day, listed, expected}`);
  const problems: string[] = [];
  if (typeof s.accountId !== "string" || !ACCOUNT_ID.test(s.accountId)) problems.push(`accountId: ${JSON.stringify(s.accountId)} is not a 12-digit account id`);
  if (typeof s.region !== "string" || !REGION_NAME.test(s.region)) problems.push(`region: ${JSON.stringify(s.region)} is not a region name`);
  if (typeof s.day !== "string" || !DAY.test(s.day)) problems.push(`day: ${JSON.stringify(s.day)} is not a UTC day (YYYY-MM-DD)`);
  if (problems.length > 0) throw new OrgVerificationInputError(`${what}: ${problems.join("; ")}`);
  parseDay(s.day as string, `${what}.day`);
  return { accountId: s.accountId!, region: s.region!, day: s.day!, listed: s.listed !== false, expected: s.expected !== false };
}
