/**
 * The answer in three forms: an aligned table to read, CSV (RFC 4180) and one JSON object for the
 * auditor's package (source doc 002 section 6). CSV and JSON carry every value in full; the table
 * shortens the user agent and the log file path to keep lines readable.
 */
import type { Finding } from "../../cloudtrail/verify/findings";
import type { KeyMatch } from "./inputs";
import type { WhoRow } from "./rows";

export type WhoSource = "athena" | "logs";
export type WhoFormat = "table" | "csv" | "json";

export interface WhoReportQuery {
  source: WhoSource;
  bucket: string;
  key: string | null;
  keyMatch: KeyMatch | null;
  principal: string | null;
  /** ISO 8601 UTC, inclusive. */
  start: string;
  /** ISO 8601 UTC, exclusive. */
  end: string;
  /** The statement that was run (SQL or Logs Insights query), for reproducibility. */
  statement: string;
  workgroup?: string;
  database?: string;
  table?: string;
  /** Athena: the account partition read (the trail's account or an organization member). */
  account?: string;
  /** Athena: the region partition read, null when every region was read. */
  region?: string | null;
  partitionDays?: string[];
  logGroup?: string;
}

export interface WhoReportStats {
  rows: number;
  bytesScanned: number;
  /** Athena only: at 5 USD per TB, 10 MB minimum. */
  estimatedUsd?: number;
  queryExecutionId?: string;
  queryId?: string;
  /** Logs Insights only: the result hit its row limit. */
  truncated?: boolean;
}

export interface WhoReportVerification {
  valid: boolean;
  digestsChecked: number;
  logFilesChecked: number;
  findings: Finding[];
}

export interface WhoReport {
  query: WhoReportQuery;
  rows: WhoRow[];
  stats: WhoReportStats;
  verification?: WhoReportVerification;
}

export const CSV_COLUMNS: ReadonlyArray<keyof WhoRow> = [
  "time",
  "principal",
  "role",
  "identityType",
  "accessKeyId",
  "mfa",
  "action",
  "bucket",
  "key",
  "copySource",
  "sourceIp",
  "userAgent",
  "result",
  "errorCode",
  "errorMessage",
  "eventId",
  "region",
  "logFile",
  "digest",
];

/** RFC 4180: quote a field holding a comma, quote, CR or LF; double the quotes inside. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Header row and one record per row, CRLF line ends (RFC 4180). */
export function formatCsv(rows: readonly WhoRow[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const row of rows) lines.push(CSV_COLUMNS.map((c) => csvField(String(row[c]))).join(","));
  return lines.map((l) => `${l}\r\n`).join("");
}

export function formatJson(report: WhoReport): string {
  return `${JSON.stringify(report)}\n`;
}

/** Control characters shown escaped, so one event stays one line. */
function oneLine(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is escaped here
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) =>
    c === "\n" ? "\\n" : c === "\r" ? "\\r" : c === "\t" ? "\\t" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function shorten(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max - 3)}...` : value;
}

function fileName(logFile: string): string {
  return logFile.startsWith("s3://") ? logFile.slice(logFile.lastIndexOf("/") + 1) : logFile;
}

export function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]} (${bytes} bytes)`;
}

export function formatUsd(usd: number): string {
  return `${usd.toFixed(usd < 0.01 ? 6 : 2)} USD`;
}

const TABLE_COLUMNS: Array<[string, (r: WhoRow) => string]> = [
  ["TIME (UTC)", (r) => r.time],
  ["PRINCIPAL", (r) => r.principal],
  ["ROLE", (r) => r.role || "-"],
  ["MFA", (r) => r.mfa],
  ["ACTION", (r) => r.action],
  ["KEY", (r) => (r.copySource ? `${r.key || "-"} (copy of ${r.copySource})` : r.key || "-")],
  ["SOURCE IP", (r) => r.sourceIp],
  ["USER AGENT", (r) => shorten(r.userAgent, 40)],
  ["RESULT", (r) => shorten(r.result, 60)],
  ["EVENT ID", (r) => r.eventId],
  ["LOG FILE", (r) => fileName(r.logFile)],
  ["DIGEST", (r) => r.digest],
];

/** Aligned columns, two spaces apart; the last column is not padded. */
export function formatRowsTable(rows: readonly WhoRow[]): string {
  const cells = rows.map((row) => TABLE_COLUMNS.map(([, get]) => oneLine(get(row))));
  const widths = TABLE_COLUMNS.map(([title], i) => Math.max(title.length, ...cells.map((c) => c[i].length)));
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]))).join("  ");
  return [line(TABLE_COLUMNS.map(([title]) => title)), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].map((l) => `${l.trimEnd()}\n`).join("");
}

function describeKey(q: WhoReportQuery): string {
  if (q.key === null) return `s3://${q.bucket} (any object)`;
  return q.keyMatch === "prefix" ? `s3://${q.bucket}/${q.key}* (key prefix)` : `s3://${q.bucket}/${q.key}`;
}

export function describeSource(q: WhoReportQuery): string {
  if (q.source === "athena") {
    const days = q.partitionDays ?? [];
    const range = days.length > 1 ? `${days[0]}..${days[days.length - 1]}` : (days[0] ?? "none");
    return `Athena ${q.database}.${q.table} (workgroup ${q.workgroup}), partitions ${range}, account ${q.account ?? "unknown"}, region ${q.region ?? "all projected regions"}`;
  }
  return `CloudWatch Logs Insights, log group ${q.logGroup}`;
}

export function formatStats(report: WhoReport): string {
  const s = report.stats;
  if (report.query.source === "athena") {
    return (
      `Athena scanned ${formatBytes(s.bytesScanned)}, estimated ${formatUsd(s.estimatedUsd ?? 0)} at 5 USD/TB (10 MB minimum). ` +
      `Query execution id: ${s.queryExecutionId ?? "unknown"}.`
    );
  }
  return `Logs Insights scanned ${formatBytes(s.bytesScanned)}. Query id: ${s.queryId ?? "unknown"}.`;
}

export function noEventsMessage(q: WhoReportQuery): string {
  return `No events: no S3 data event on ${describeKey(q)}${q.principal ? ` by ${q.principal}` : ""} between ${q.start} and ${q.end} (${describeSource(q)}).`;
}

export function formatTable(report: WhoReport): string {
  const q = report.query;
  const head =
    `Who accessed ${describeKey(q)} from ${q.start} to ${q.end} (end exclusive)\n` +
    `Principal: ${q.principal ?? "anyone"}\n` +
    `Source: ${describeSource(q)}\n\n`;
  const body = report.rows.length === 0 ? `${noEventsMessage(q)}\n` : formatRowsTable(report.rows);
  let tail = `\n${report.rows.length} event(s). ${formatStats(report)}\n`;
  if (report.stats.truncated)
    tail += `Warning: Logs Insights returns at most ${report.rows.length} rows; the list is cut off. Run with --source athena for every event.\n`;
  if (report.verification) {
    const v = report.verification;
    tail +=
      `Digest verification of the log files: ${v.valid ? "VALID" : "INVALID"} (${v.digestsChecked} digest(s), ${v.logFilesChecked} log file(s), ` +
      `${v.findings.length} finding(s)).\n` +
      v.findings.map((f) => `  [${f.kind}] ${f.message}\n`).join("");
  }
  return head + body + tail;
}

export function formatReport(report: WhoReport, format: WhoFormat): string {
  if (format === "json") return formatJson(report);
  if (format === "csv") return formatCsv(report.rows);
  return formatTable(report);
}
