/**
 * The who-accessed question as one Athena statement over the estate's `cloudtrail_logs` table
 * (infra/components/audit-queries.ts: partition projection on `account` (injected), `region` (enum)
 * and `timestamp` (yyyy/MM/dd), the key layout AWSLogs/[<o-id>/]<account>/CloudTrail/<region>/<day>/).
 *
 * Values are inlined as SQL string literals, never bound as ExecutionParameters: StartQueryExecution
 * limits each parameter to 1,024 characters
 * (https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html), less than
 * a 1,024-byte key or a 2,048-character principal ARN needs, while the query string may hold
 * 262,144 bytes (checked below). A Trino string literal has one escape, the doubled single quote;
 * a backslash or any Unicode character is itself, and inputs.ts refuses control characters, so a
 * value cannot leave its literal. Identifiers (database, table) are allow-listed and quoted.
 * The partition columns get static equality/IN predicates only, so Athena reads just the
 * partitions of the period, account and region asked for (and an injected column requires it).
 */
import { eventTimeText, type WhoQuery } from "./inputs";

/** StartQueryExecution's QueryString limit (bytes). */
export const ATHENA_MAX_QUERY_BYTES = 262_144;

/** The S3 calls that read another object: CloudTrail names the source in x-amz-copy-source. */
export const COPY_EVENT_NAMES = ["CopyObject", "UploadPartCopy"] as const;

/** Records no key at all (the keys are in the request body, which CloudTrail does not log). */
export const KEYS_NOT_RECORDED_EVENT = "DeleteObjects";

export interface AthenaTableRef {
  database: string;
  table: string;
}

export interface AthenaStatement {
  sql: string;
  /** The `timestamp` partitions the statement reads (yyyy/MM/dd). */
  partitionDays: string[];
  /** The `account` partition read. */
  account: string;
  /** The `region` partition, when the bucket's region is known. */
  region?: string;
}

/** The first day the estate's partition projection serves (infra/index.ts projectionStart). */
export const DEFAULT_PROJECTION_START = "2025/01/01";

/**
 * CloudTrail files a log file under the day it is delivered, usually minutes after the events it
 * holds: an event at 23:58 can sit in the next day's folder. The last partition read is the day of
 * (period end + this margin), so a period ending at midnight also reads the following day.
 */
export const DELIVERY_MARGIN_MS = 3_600_000;

const DAY_MS = 86_400_000;

/** Result columns, in order. */
export const ATHENA_COLUMNS = [
  "eventtime",
  "eventid",
  "eventname",
  "awsregion",
  "useridentity",
  "sourceipaddress",
  "useragent",
  "errorcode",
  "errormessage",
  "bucket",
  "object_key",
  "copy_source",
  "log_file",
] as const;

/** `'text'` with single quotes doubled: a Trino string literal (backslash is not special). */
export function sqlStringLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new RangeError(`not a validated Athena identifier: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

export function partitionDay(date: Date): string {
  return date.toISOString().slice(0, 10).replace(/-/g, "/");
}

/** `yyyy/MM/dd` -> midnight UTC; null when it is not such a date. */
export function parsePartitionDay(text: string): Date | null {
  const m = /^(\d{4})\/(\d{2})\/(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return partitionDay(date) === text.trim() ? date : null;
}

/**
 * Every day folder that can hold events of [start, end): from the start's day to the day of
 * (end + delivery margin), but never past `today` (the projection serves nothing later).
 */
export function partitionDays(start: Date, end: Date, today?: Date): string[] {
  const first = Math.floor(start.getTime() / DAY_MS);
  let last = Math.floor((end.getTime() - 1 + DELIVERY_MARGIN_MS) / DAY_MS);
  if (today) last = Math.min(last, Math.floor(today.getTime() / DAY_MS));
  last = Math.max(last, first);
  const days: string[] = [];
  for (let day = first; day <= last; day++) days.push(partitionDay(new Date(day * DAY_MS)));
  return days;
}

export interface AthenaBuildOptions {
  /** The account partition (12 digits): the trail's account, or an organization member's. */
  account: string;
  /** The bucket's region (S3 data events are logged there); omitted: every projected region. */
  region?: string;
  /** Clock for the last partition day. */
  today?: Date;
}

const REQUEST_BUCKET = "json_extract_scalar(requestparameters, '$.bucketName')";
const REQUEST_KEY = "json_extract_scalar(requestparameters, '$.key')";
const COPY_SOURCE_RAW = `json_extract_scalar(requestparameters, '$["x-amz-copy-source"]')`;

/**
 * x-amz-copy-source as `bucket/key`: CloudTrail records the header as sent, `bucket/key` or
 * `/bucket/key`, URL-encoded by the SDKs, optionally with `?versionId=...`. Both the raw and the
 * decoded form are compared (`try`: a stray `%` makes url_decode fail, which must not fail the query).
 */
function copySourceForms(): string[] {
  const strip = (expr: string) => `regexp_replace(regexp_replace(${expr}, '^/', ''), '\\?versionId=.*$', '')`;
  return [strip(COPY_SOURCE_RAW), strip(`try(url_decode(${COPY_SOURCE_RAW}))`)];
}

function copySourceMatches(test: (expr: string) => string): string {
  return `(${copySourceForms().map(test).join(" OR ")})`;
}

/**
 * Which events concern the bucket/key asked for:
 * - calls on the bucket whose `key` matches (or any key, without --key);
 * - DeleteObjects on the bucket, which records no key: listed so the auditor sees a batch delete
 *   that may have removed the object ("object keys not recorded by S3");
 * - CopyObject/UploadPartCopy whose source is the object, whatever the destination bucket.
 */
export function targetPredicate(query: Pick<WhoQuery, "bucket" | "key">): string {
  const bucket = sqlStringLiteral(query.bucket);
  const copy = `eventname IN (${COPY_EVENT_NAMES.map(sqlStringLiteral).join(", ")})`;
  if (!query.key) {
    return `(${REQUEST_BUCKET} = ${bucket} OR (${copy} AND ${copySourceMatches((e) => `starts_with(${e}, ${sqlStringLiteral(`${query.bucket}/`)})`)}))`;
  }
  const source = sqlStringLiteral(`${query.bucket}/${query.key.value}`);
  const keyTest =
    query.key.match === "exact" ? `${REQUEST_KEY} = ${sqlStringLiteral(query.key.value)}` : `starts_with(${REQUEST_KEY}, ${sqlStringLiteral(query.key.value)})`;
  const sourceTest = query.key.match === "exact" ? (e: string) => `${e} = ${source}` : (e: string) => `starts_with(${e}, ${source})`;
  return (
    `((${REQUEST_BUCKET} = ${bucket} AND (${keyTest} OR eventname = ${sqlStringLiteral(KEYS_NOT_RECORDED_EVENT)}))` +
    ` OR (${copy} AND ${copySourceMatches(sourceTest)}))`
  );
}

export class AthenaQueryTooLongError extends RangeError {
  constructor(bytes: number) {
    super(`the Athena statement would be ${bytes} bytes, more than the ${ATHENA_MAX_QUERY_BYTES} StartQueryExecution accepts; narrow the period`);
    this.name = "AthenaQueryTooLongError";
  }
}

export function buildAthenaStatement(query: WhoQuery, table: AthenaTableRef, options: AthenaBuildOptions): AthenaStatement {
  const days = partitionDays(query.start, query.end, options.today);
  if (options.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(options.region)) {
    throw new RangeError(`not a validated region: ${JSON.stringify(options.region)}`);
  }
  if (!/^\d{12}$/.test(options.account)) throw new RangeError(`not a validated account id: ${JSON.stringify(options.account)}`);
  // Partition predicates first, literal and static (projection pruning; injected `account`).
  const where = [`"timestamp" IN (${days.map(sqlStringLiteral).join(", ")})`, `account = ${sqlStringLiteral(options.account)}`];
  if (options.region !== undefined) where.push(`region = ${sqlStringLiteral(options.region)}`);
  where.push("eventsource = 's3.amazonaws.com'", "eventcategory = 'Data'");
  where.push(`eventtime >= ${sqlStringLiteral(eventTimeText(query.start))}`, `eventtime < ${sqlStringLiteral(eventTimeText(query.end))}`);
  where.push(targetPredicate(query));
  if (query.principal !== undefined) {
    const principal = sqlStringLiteral(query.principal);
    where.push(`(useridentity.arn = ${principal} OR useridentity.sessioncontext.sessionissuer.arn = ${principal})`);
  }

  const sql = [
    "SELECT eventtime, eventid, eventname, awsregion,",
    "  json_format(CAST(useridentity AS JSON)) AS useridentity,",
    "  sourceipaddress, useragent, errorcode, errormessage,",
    `  ${REQUEST_BUCKET} AS bucket,`,
    `  ${REQUEST_KEY} AS object_key,`,
    `  ${COPY_SOURCE_RAW} AS copy_source,`,
    '  "$path" AS log_file',
    `FROM ${quoteIdentifier(table.database)}.${quoteIdentifier(table.table)}`,
    `WHERE ${where.join("\n  AND ")}`,
    "ORDER BY eventtime, eventid",
  ].join("\n");
  const bytes = Buffer.byteLength(sql, "utf8");
  if (bytes > ATHENA_MAX_QUERY_BYTES) throw new AthenaQueryTooLongError(bytes);
  return { sql, partitionDays: days, account: options.account, region: options.region };
}

export interface TableProjection {
  /** First day served (midnight UTC). */
  start: Date;
  /** Regions the projection enumerates; undefined when not readable. */
  regions?: string[];
  /** True when the table is partitioned by account (the estate's table since issue 11). */
  accountPartition?: boolean;
  /** The account the table reads when a query names none (the trail's own). */
  defaultAccount?: string;
  /** `storage.location.template`, e.g. s3://bucket/AWSLogs/${account}/CloudTrail/${region}/${timestamp}. */
  locationTemplate?: string;
}

/** Reads the projection (`projection.timestamp.range`, `projection.region.values`, the account) from table parameters. */
export function projectionFromTableParameters(parameters: Record<string, string> | undefined): Partial<TableProjection> {
  const out: Partial<TableProjection> = {};
  if (parameters?.["projection.account.type"] !== undefined) out.accountPartition = true;
  const account = parameters?.["audit_trail.default_account"];
  if (account && /^\d{12}$/.test(account)) out.defaultAccount = account;
  const template = parameters?.["storage.location.template"];
  if (template) out.locationTemplate = template;
  const range = parameters?.["projection.timestamp.range"];
  const first = range?.split(",")[0];
  const start = first ? parsePartitionDay(first) : null;
  if (start) out.start = start;
  const regions = parameters?.["projection.region.values"];
  if (regions)
    out.regions = regions
      .split(",")
      .map((r) => r.trim())
      .filter(Boolean);
  return out;
}

export const USD_PER_TB = 5;
const TB = 1024 ** 4;
const MB = 1024 ** 2;

/** Athena's price: 5 USD per TB scanned, rounded up to the MB, 10 MB minimum per query. */
export function estimateAthenaUsd(bytesScanned: number): number {
  const billed = Math.max(Math.ceil(bytesScanned / MB), 10) * MB;
  return (billed / TB) * USD_PER_TB;
}

/**
 * The S3 folders the statement reads, from the table's own location template: the bucket and one
 * `.../<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/` prefix per region and day. null when the
 * template is not an s3:// URI of that shape.
 */
export function partitionPrefixes(
  template: string,
  account: string,
  regions: readonly string[],
  days: readonly string[],
): { bucket: string; prefixes: string[] } | null {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(template);
  if (!m || !template.includes("${timestamp}")) return null;
  const [, bucket, path] = m;
  const prefixes: string[] = [];
  for (const region of regions) {
    for (const day of days) {
      const prefix = path.replace("${account}", account).replace("${region}", region).replace("${timestamp}", day);
      if (prefix.includes("${")) return null;
      prefixes.push(prefix.endsWith("/") ? prefix : `${prefix}/`);
    }
  }
  return { bucket, prefixes };
}
