/**
 * The who-accessed question as one Athena statement over the estate's `cloudtrail_logs` table
 * (infra/components/auditQueries.ts: partition projection on `region` and `timestamp`, format
 * yyyy/MM/dd, range from 2025/01/01).
 *
 * Injection safety: the values a user types (bucket, key, principal) and the period bounds are
 * positional execution parameters (`?`, StartQueryExecution ExecutionParameters), each passed as a
 * single-quoted SQL string literal with quotes doubled. Athena reads a parameter as an expression,
 * so the quoting is what keeps a value a value. Only values this module computes itself go into
 * the text: the partition days (formatted from dates), the region (allow-listed) and the database
 * and table (allow-listed, double-quoted); keeping partition values literal keeps projection
 * pruning independent of how parameters are bound.
 */
import { eventTimeText, type WhoQuery } from "./inputs";

export interface AthenaTableRef {
  database: string;
  table: string;
}

export interface AthenaStatement {
  sql: string;
  /** ExecutionParameters, in the order of the `?` in `sql`. */
  parameters: string[];
  /** The `timestamp` partitions the statement reads (yyyy/MM/dd). */
  partitionDays: string[];
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
  /** The bucket's region (S3 data events are logged there); omitted: every projected region. */
  region?: string;
  /** Clock for the last partition day. */
  today?: Date;
}

export function buildAthenaStatement(query: WhoQuery, table: AthenaTableRef, options: AthenaBuildOptions = {}): AthenaStatement {
  const days = partitionDays(query.start, query.end, options.today);
  const parameters: string[] = [];
  const bind = (value: string): string => {
    parameters.push(sqlStringLiteral(value));
    return "?";
  };
  if (options.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(options.region)) {
    throw new RangeError(`not a validated region: ${JSON.stringify(options.region)}`);
  }
  const where = [`"timestamp" IN (${days.map(sqlStringLiteral).join(", ")})`];
  if (options.region !== undefined) where.push(`region = ${sqlStringLiteral(options.region)}`);
  where.push("eventsource = 's3.amazonaws.com'", "eventcategory = 'Data'");
  where.push(`json_extract_scalar(requestparameters, '$.bucketName') = ${bind(query.bucket)}`);
  if (query.key?.match === "exact") where.push(`json_extract_scalar(requestparameters, '$.key') = ${bind(query.key.value)}`);
  if (query.key?.match === "prefix") where.push(`starts_with(json_extract_scalar(requestparameters, '$.key'), ${bind(query.key.value)})`);
  if (query.principal !== undefined) {
    where.push(`(useridentity.arn = ${bind(query.principal)} OR useridentity.sessioncontext.sessionissuer.arn = ${bind(query.principal)})`);
  }
  where.push(`eventtime >= ${bind(eventTimeText(query.start))}`, `eventtime < ${bind(eventTimeText(query.end))}`);

  const sql = [
    "SELECT eventtime, eventid, eventname, awsregion,",
    "  json_format(CAST(useridentity AS JSON)) AS useridentity,",
    "  sourceipaddress, useragent, errorcode, errormessage,",
    "  json_extract_scalar(requestparameters, '$.bucketName') AS bucket,",
    "  json_extract_scalar(requestparameters, '$.key') AS object_key,",
    '  "$path" AS log_file',
    `FROM ${quoteIdentifier(table.database)}.${quoteIdentifier(table.table)}`,
    `WHERE ${where.join("\n  AND ")}`,
    "ORDER BY eventtime, eventid",
  ].join("\n");
  return { sql, parameters, partitionDays: days, region: options.region };
}

export interface TableProjection {
  /** First day served (midnight UTC). */
  start: Date;
  /** Regions the projection enumerates; undefined when not readable. */
  regions?: string[];
}

/** Reads `projection.timestamp.range` and `projection.region.values` from table parameters. */
export function projectionFromTableParameters(parameters: Record<string, string> | undefined): Partial<TableProjection> {
  const out: Partial<TableProjection> = {};
  const range = parameters?.["projection.timestamp.range"];
  const first = range?.split(",")[0];
  const start = first ? parsePartitionDay(first) : null;
  if (start) out.start = start;
  const regions = parameters?.["projection.region.values"];
  if (regions) out.regions = regions.split(",").map((r) => r.trim()).filter(Boolean);
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
