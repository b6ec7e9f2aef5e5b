/**
 * Runs the who-accessed question on one engine through injected clients: picks the source,
 * checks the period against what that source keeps, runs the query (bounded polling, every result
 * page), maps rows, and optionally checks each row's log file against the digest chain.
 * Decisions that need no AWS call live in the pure modules next to this one.
 */
import type { AthenaClient } from "@aws-sdk/client-athena";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { UsageError } from "../../cli/args";
import { StderrProgress, silentProgress, type ProgressSink } from "../../cli/progress";
import { ArchivedObjectsError, findArchivedObjects } from "../../cloudtrail/archived-objects";
import type { AwsClients } from "../../cloudtrail/aws";
import { InsightsQueryError, runInsightsQuery } from "../../cloudtrail/insights-query";
import { formatDisplayDate } from "../../cloudtrail/verify/digest-key";
import type { VerifyProgress } from "../../cloudtrail/verify/verifier";
import {
  ATHENA_COLUMNS,
  buildAthenaStatement,
  DEFAULT_PROJECTION_START,
  estimateAthenaUsd,
  parsePartitionDay,
  partitionDays,
  partitionPrefixes,
  projectionFromTableParameters,
  type AthenaStatement,
  type TableProjection,
} from "./athena";
import { logFileStatuses, verifyLogFilesOnS3, type LogFileVerifier } from "./digests";
import { formatBytes, type WhoReport, type WhoReportQuery, type WhoSource } from "./format";
import { eventTimeText, type WhoQuery } from "./inputs";
import { buildInsightsQuery, INSIGHTS_MAX_ROWS } from "./insights";
import { athenaHeader, athenaRecord, rowFromAthena, rowFromInsights, type WhoRow } from "./rows";

export interface WhoServices {
  athena(region: string): AthenaClient;
  logs(region: string): CloudWatchLogsClient;
  sleep(ms: number): Promise<void>;
  /** Between GetQueryExecution / GetQueryResults polls. */
  pollIntervalMs: number;
  verifyLogFiles: LogFileVerifier;
  /** Region of the Athena workgroup and log group when nothing else names it (AWS_REGION). */
  defaultRegion(): string | undefined;
}

/* eslint-disable @typescript-eslint/no-require-imports -- each SDK loads only when its engine is used */
const athenaSdk = () => require("@aws-sdk/client-athena") as typeof import("@aws-sdk/client-athena");
const logsSdk = () => require("@aws-sdk/client-cloudwatch-logs") as typeof import("@aws-sdk/client-cloudwatch-logs");
const s3Sdk = () => require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
/* eslint-enable @typescript-eslint/no-require-imports */

export function defaultWhoServices(): WhoServices {
  const cache = new Map<string, unknown>();
  const memo = <T>(id: string, make: () => T): T => {
    if (!cache.has(id)) cache.set(id, make());
    return cache.get(id) as T;
  };
  return {
    athena: (region) => memo(`athena:${region}`, () => new (athenaSdk().AthenaClient)({ region })),
    logs: (region) => memo(`logs:${region}`, () => new (logsSdk().CloudWatchLogsClient)({ region })),
    sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    pollIntervalMs: 1000,
    verifyLogFiles: verifyLogFilesOnS3,
    defaultRegion: () => process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || undefined,
  };
}

export interface AthenaTarget {
  workgroup: string;
  database: string;
  table: string;
}

export interface WhoPlan {
  query: WhoQuery;
  source: "auto" | WhoSource;
  /** Region of the Athena workgroup / Glue table and of the trail's log group. */
  homeRegion: string;
  athena?: AthenaTarget;
  logGroup?: string;
  /** The bucket's region (the `region` partition); looked up when undefined. */
  bucketRegion?: string;
  /** The `account` partition: --account, else the table's default (the trail's account). */
  account?: string;
  trailArn?: string;
  /** Organization trails: for --verify-digests (GetTrail does not return it). */
  organizationId?: string;
  verifyDigests: boolean;
  timeoutMs: number;
}

// The one stderr progress display (cli/progress.ts).
export { StderrProgress, silentProgress, type ProgressSink };

export interface WhoContext {
  clients: AwsClients;
  services: WhoServices;
  now: () => Date;
  /** Informational lines (which source and why, what was assumed). */
  note: (text: string) => void;
  progress: ProgressSink;
}

/** The engine reported failure, cancellation or did not finish in time: exit 3. */
export class WhoQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WhoQueryError";
  }
}

/** The period lies (partly) outside what the chosen source keeps: exit 2. */
export class PeriodNotKeptError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = "PeriodNotKeptError";
  }
}

const DAY_MS = 86_400_000;

function errorText(err: unknown): string {
  const e = err as { name?: string; message?: string } | null;
  if (!e) return String(err);
  return e.name && e.message && !e.message.startsWith(e.name) ? `${e.name}: ${e.message}` : (e.message ?? String(err));
}

function maxPolls(plan: WhoPlan, services: WhoServices): number {
  return Math.max(1, Math.ceil(plan.timeoutMs / Math.max(1, services.pollIntervalMs)));
}

// ---------------------------------------------------------------------------------------------
// Choosing the source

export interface LogGroupInfo {
  name: string;
  /** undefined: kept forever. */
  retentionInDays?: number;
  creationTime?: Date;
}

/** DescribeLogGroups by prefix, exact name match; null when the group does not exist. */
export async function describeLogGroup(logs: CloudWatchLogsClient, name: string): Promise<LogGroupInfo | null> {
  let token: string | undefined;
  for (let page = 0; page < 50; page++) {
    const out = await logs.send(new (logsSdk().DescribeLogGroupsCommand)({ logGroupNamePrefix: name, nextToken: token }));
    const group = (out?.logGroups ?? []).find((g) => g.logGroupName === name);
    if (group) {
      return {
        name,
        retentionInDays: group.retentionInDays ?? undefined,
        creationTime: group.creationTime !== undefined ? new Date(group.creationTime) : undefined,
      };
    }
    token = out?.nextToken;
    if (!token) break;
  }
  return null;
}

/** The oldest instant the log group still holds: retention from now, never before its creation. */
export function oldestKept(group: LogGroupInfo, now: Date): Date {
  const byRetention = group.retentionInDays !== undefined ? now.getTime() - group.retentionInDays * DAY_MS : -Infinity;
  const created = group.creationTime?.getTime() ?? -Infinity;
  return new Date(Math.max(byRetention, created));
}

function describeKept(group: LogGroupInfo, now: Date): string {
  const retention = group.retentionInDays !== undefined ? `${group.retentionInDays}-day retention` : "no expiry";
  const oldest = oldestKept(group, now);
  return `log group ${group.name} (${retention}${group.creationTime ? `, created ${formatDisplayDate(group.creationTime)}` : ""}) keeps events from ${Number.isFinite(oldest.getTime()) ? formatDisplayDate(oldest) : "its creation"}`;
}

export async function chooseSource(plan: WhoPlan, ctx: WhoContext): Promise<{ source: WhoSource; group?: LogGroupInfo }> {
  const start = plan.query.start;
  const now = ctx.now();
  if (plan.source === "athena") return { source: "athena" };
  if (plan.source === "logs") {
    const logGroup = plan.logGroup as string;
    const group = await describeLogGroup(ctx.services.logs(plan.homeRegion), logGroup);
    if (!group) throw new UsageError(`who: log group ${logGroup} does not exist in ${plan.homeRegion} (CloudWatch Logs DescribeLogGroups)`);
    if (start.getTime() < oldestKept(group, now).getTime()) {
      throw new PeriodNotKeptError(
        `who: the period starts ${eventTimeText(start)}, before what ${describeKept(group, now)}; ` +
          "older events are only in the trail's S3 logs: use --source athena (or auto)",
      );
    }
    return { source: "logs", group };
  }
  // auto
  if (plan.verifyDigests) {
    ctx.note("Source: Athena, because --verify-digests needs the log file each event was read from (Logs Insights does not record it).");
    return { source: "athena" };
  }
  if (plan.logGroup === undefined) return { source: "athena" };
  let group: LogGroupInfo | null;
  try {
    group = await describeLogGroup(ctx.services.logs(plan.homeRegion), plan.logGroup);
  } catch (err) {
    if (!plan.athena) throw err;
    ctx.note(`Source: Athena, because log group ${plan.logGroup} could not be described (${errorText(err)}).`);
    return { source: "athena" };
  }
  if (group && start.getTime() >= oldestKept(group, now).getTime()) {
    ctx.note(`Source: CloudWatch Logs Insights, because the whole period is within what ${describeKept(group, now)}.`);
    return { source: "logs", group };
  }
  const why = group ? `the period starts before what ${describeKept(group, now)}` : `log group ${plan.logGroup} does not exist in ${plan.homeRegion}`;
  if (!plan.athena) {
    throw new PeriodNotKeptError(`who: ${why}, and no Athena table is configured (give --stack, or --workgroup/--database/--table)`);
  }
  ctx.note(`Source: Athena over the trail's S3 logs, because ${why}.`);
  return { source: "athena" };
}

// ---------------------------------------------------------------------------------------------
// Athena

/** The table's own partition projection (GetTableMetadata); the estate default when unreadable. */
export async function readProjection(athena: AthenaClient, target: AthenaTarget, ctx: WhoContext): Promise<TableProjection> {
  const fallback = parsePartitionDay(DEFAULT_PROJECTION_START) as Date;
  try {
    const out = await athena.send(
      new (athenaSdk().GetTableMetadataCommand)({
        CatalogName: "AwsDataCatalog",
        DatabaseName: target.database,
        TableName: target.table,
        WorkGroup: target.workgroup,
      }),
    );
    const projection = projectionFromTableParameters(out?.TableMetadata?.Parameters);
    return { ...projection, start: projection.start ?? fallback };
  } catch (err) {
    ctx.note(
      `Could not read the partition projection of ${target.database}.${target.table} (${errorText(err)}); assuming it starts ${DEFAULT_PROJECTION_START}.`,
    );
    return { start: fallback };
  }
}

/** Concurrent ListObjectsV2 calls when looking for archived log files. */
const ARCHIVE_CHECK_CONCURRENCY = 8;

/**
 * Athena skips log files in S3 Glacier Flexible Retrieval / Deep Archive that are not restored,
 * so an answer over them would be silently incomplete: list the partitions the statement reads
 * and refuse (exit 3, with the restore command) while any object there is archived.
 */
export async function checkNotArchived(
  plan: WhoPlan,
  projection: TableProjection,
  account: string,
  regions: readonly string[],
  days: readonly string[],
  ctx: WhoContext,
): Promise<void> {
  const target = projection.locationTemplate ? partitionPrefixes(projection.locationTemplate, account, regions, days) : null;
  if (!target) {
    ctx.note(
      "The table's storage.location.template could not be read, so archived (Glacier) log files could not be looked for; the answer may miss events in them.",
    );
    return;
  }
  const s3 = ctx.clients.s3(plan.homeRegion);
  const chunks: string[][] = Array.from({ length: ARCHIVE_CHECK_CONCURRENCY }, () => []);
  target.prefixes.forEach((p, i) => chunks[i % ARCHIVE_CHECK_CONCURRENCY].push(p));
  ctx.progress.update(`checking ${target.prefixes.length} log folder(s) of s3://${target.bucket} for archived objects`, true);
  let found;
  try {
    found = await Promise.all(chunks.filter((c) => c.length > 0).map((c) => findArchivedObjects(s3, target.bucket, c)));
  } catch (err) {
    ctx.progress.done();
    throw new WhoQueryError(
      `could not check whether the log files of the period are archived (ListObjectsV2 on s3://${target.bucket}: ${errorText(err)}); ` +
        "the evidence principal needs s3:ListBucket on the log bucket",
    );
  }
  ctx.progress.done();
  const objects = found.flatMap((f) => f.objects);
  const total = found.reduce((n, f) => n + f.total, 0);
  if (total > 0) throw new ArchivedObjectsError(objects, total);
}

/** GetBucketLocation; undefined when it cannot be read (then every region is read). */
export async function lookUpBucketRegion(clients: AwsClients, homeRegion: string, bucket: string, ctx: WhoContext): Promise<string | undefined> {
  try {
    const out = await clients.s3(homeRegion).send(new (s3Sdk().GetBucketLocationCommand)({ Bucket: bucket }));
    if (!out) throw new Error("no response");
    const constraint = out.LocationConstraint as string | undefined;
    if (!constraint) return "us-east-1";
    return constraint === "EU" ? "eu-west-1" : constraint;
  } catch (err) {
    ctx.note(
      `The region of bucket ${bucket} is unknown (GetBucketLocation: ${errorText(err)}); reading every region's partitions of those days. Pass --region to read only one.`,
    );
    return undefined;
  }
}

export interface EngineResult {
  rows: WhoRow[];
  bytesScanned: number;
  id: string;
  truncated?: boolean;
}

export async function runAthenaStatement(
  athena: AthenaClient,
  statement: AthenaStatement,
  target: AthenaTarget,
  plan: WhoPlan,
  ctx: WhoContext,
): Promise<EngineResult> {
  const started = await athena.send(
    new (athenaSdk().StartQueryExecutionCommand)({
      QueryString: statement.sql,
      WorkGroup: target.workgroup,
      QueryExecutionContext: { Catalog: "AwsDataCatalog", Database: target.database },
    }),
  );
  const id = started?.QueryExecutionId;
  if (!id) throw new WhoQueryError("Athena StartQueryExecution returned no QueryExecutionId");
  ctx.progress.update(`Athena query ${id} submitted`, true);
  const polls = maxPolls(plan, ctx.services);
  let lastState: string | undefined;
  let bytes = 0;
  for (let poll = 0; ; poll++) {
    const execution = (await athena.send(new (athenaSdk().GetQueryExecutionCommand)({ QueryExecutionId: id })))?.QueryExecution;
    const state = execution?.Status?.State;
    bytes = execution?.Statistics?.DataScannedInBytes ?? bytes;
    if (state === "SUCCEEDED") break;
    if (state === "FAILED" || state === "CANCELLED") {
      ctx.progress.done();
      const reason = execution?.Status?.StateChangeReason ?? execution?.Status?.AthenaError?.ErrorMessage ?? "no reason given";
      throw new WhoQueryError(`Athena query ${id} ${state}: ${reason}`);
    }
    if (poll + 1 >= polls) {
      ctx.progress.done();
      try {
        await athena.send(new (athenaSdk().StopQueryExecutionCommand)({ QueryExecutionId: id }));
      } catch {
        // Reported below either way.
      }
      throw new WhoQueryError(
        `Athena query ${id} did not finish within ${Math.round(plan.timeoutMs / 1000)} s (last state ${state ?? "unknown"}); it was stopped. ` +
          "Narrow the period, key or principal, or raise --timeout.",
      );
    }
    const elapsed = Math.round(((poll + 1) * ctx.services.pollIntervalMs) / 1000);
    ctx.progress.update(`Athena query ${id}: ${state ?? "unknown"}, ${formatBytes(bytes)} scanned, ${elapsed} s`, state !== lastState);
    lastState = state;
    await ctx.services.sleep(ctx.services.pollIntervalMs);
  }

  const rows: WhoRow[] = [];
  let header: string[] | undefined;
  let token: string | undefined;
  let page = 0;
  do {
    const out = await athena.send(new (athenaSdk().GetQueryResultsCommand)({ QueryExecutionId: id, NextToken: token, MaxResults: 1000 }));
    const list = out?.ResultSet?.Rows ?? [];
    let first = 0;
    if (header === undefined && list.length > 0) {
      header = athenaHeader(list[0], ATHENA_COLUMNS);
      first = 1;
    }
    for (let i = first; i < list.length; i++) rows.push(rowFromAthena(athenaRecord(header as string[], list[i])));
    token = out?.NextToken;
    page++;
    ctx.progress.update(`Athena query ${id}: fetched page ${page}, ${rows.length} row(s)`, false);
  } while (token);
  ctx.progress.done();
  return { rows, bytesScanned: bytes, id };
}

// ---------------------------------------------------------------------------------------------
// Logs Insights

export async function runInsights(logs: CloudWatchLogsClient, logGroup: string, queryString: string, plan: WhoPlan, ctx: WhoContext): Promise<EngineResult> {
  let lastStatus: string | undefined;
  try {
    const out = await runInsightsQuery(logs, {
      logGroupName: logGroup,
      queryString,
      start: plan.query.start,
      end: plan.query.end,
      limit: INSIGHTS_MAX_ROWS,
      pollIntervalMs: ctx.services.pollIntervalMs,
      maxPolls: maxPolls(plan, ctx.services),
      sleep: ctx.services.sleep,
      onStatus: (s) => {
        if (s.submitted) {
          ctx.progress.update(`Logs Insights query ${s.queryId} submitted`, true);
          return;
        }
        const elapsed = Math.round((s.polls * ctx.services.pollIntervalMs) / 1000);
        ctx.progress.update(`Logs Insights query ${s.queryId}: ${s.status}, ${formatBytes(s.bytesScanned)} scanned, ${elapsed} s`, s.status !== lastStatus);
        lastStatus = s.status;
      },
    });
    ctx.progress.done();
    const rows = out.results.map(rowFromInsights);
    return { rows, bytesScanned: out.bytesScanned, id: out.queryId, truncated: rows.length >= INSIGHTS_MAX_ROWS };
  } catch (err) {
    ctx.progress.done();
    if (err instanceof InsightsQueryError) {
      throw new WhoQueryError(err.reason === "timeout" ? `${err.message}. Narrow the period, or raise --timeout.` : err.message);
    }
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// The whole question

export interface WhoOutcome {
  report: WhoReport;
  /** True when --verify-digests could not run (the rows say so); the command exits 3. */
  verificationError?: string;
}

function baseQuery(plan: WhoPlan, source: WhoSource, statement: string): WhoReportQuery {
  const q = plan.query;
  return {
    source,
    bucket: q.bucket,
    key: q.key?.value ?? null,
    keyMatch: q.key?.match ?? null,
    principal: q.principal ?? null,
    start: eventTimeText(q.start),
    end: eventTimeText(q.end),
    statement,
  };
}

async function athenaReport(plan: WhoPlan, ctx: WhoContext): Promise<WhoReport> {
  const target = plan.athena as AthenaTarget;
  const athena = ctx.services.athena(plan.homeRegion);
  const projection = await readProjection(athena, target, ctx);
  if (plan.query.start.getTime() < projection.start.getTime()) {
    const first = projection.start.toISOString().slice(0, 10);
    throw new PeriodNotKeptError(
      `who: the period starts ${eventTimeText(plan.query.start)}, before the first day the Athena table ${target.database}.${target.table} serves ` +
        `(its partition projection starts ${first.replace(/-/g, "/")}); give --start ${first} or later, or query older logs some other way`,
    );
  }
  const account = plan.account ?? projection.defaultAccount;
  if (account === undefined) {
    throw new UsageError(
      `who: which account's logs to read is not known: the Athena table ${target.database}.${target.table} names no default account; give --account <12-digit id> (or --trail-arn / --stack)`,
    );
  }
  const region = plan.bucketRegion ?? (await lookUpBucketRegion(ctx.clients, plan.homeRegion, plan.query.bucket, ctx));
  if (region !== undefined && projection.regions && !projection.regions.includes(region)) {
    throw new PeriodNotKeptError(
      `who: the bucket's region ${region} is not among the regions the Athena table projects (${projection.regions.join(", ")}); its logs cannot be read through ${target.database}.${target.table}`,
    );
  }
  const days = partitionDays(plan.query.start, plan.query.end, ctx.now());
  const regions = region !== undefined ? [region] : (projection.regions ?? []);
  await checkNotArchived(plan, projection, account, regions, days, ctx);
  const statement = buildAthenaStatement(plan.query, target, { account, region, today: ctx.now() });
  const result = await runAthenaStatement(athena, statement, target, plan, ctx);
  return {
    query: {
      ...baseQuery(plan, "athena", statement.sql),
      workgroup: target.workgroup,
      database: target.database,
      table: target.table,
      account,
      region: region ?? null,
      partitionDays: statement.partitionDays,
    },
    rows: result.rows,
    stats: {
      rows: result.rows.length,
      bytesScanned: result.bytesScanned,
      estimatedUsd: Math.round(estimateAthenaUsd(result.bytesScanned) * 1e6) / 1e6,
      queryExecutionId: result.id,
    },
  };
}

async function insightsReport(plan: WhoPlan, ctx: WhoContext): Promise<WhoReport> {
  const logGroup = plan.logGroup as string;
  const queryString = buildInsightsQuery(plan.query);
  const result = await runInsights(ctx.services.logs(plan.homeRegion), logGroup, queryString, plan, ctx);
  return {
    query: { ...baseQuery(plan, "logs", queryString), logGroup },
    rows: result.rows,
    stats: { rows: result.rows.length, bytesScanned: result.bytesScanned, queryId: result.id, ...(result.truncated ? { truncated: true } : {}) },
  };
}

async function verifyRows(report: WhoReport, plan: WhoPlan, ctx: WhoContext): Promise<string | undefined> {
  const files = [...new Set(report.rows.map((r) => r.logFile))];
  let lastShown = 0;
  const onProgress = (p: VerifyProgress) => {
    if (p.digestsChecked === lastShown) return;
    lastShown = p.digestsChecked;
    ctx.progress.update(`digests ${p.region}: ${p.digestsChecked} digest(s), ${p.logFilesChecked} log file(s) verified`, false);
  };
  try {
    const check = await ctx.services.verifyLogFiles({
      clients: ctx.clients,
      trailArn: plan.trailArn as string,
      organizationId: plan.organizationId,
      logFiles: files,
      start: plan.query.start,
      end: plan.query.end,
      now: ctx.now,
      onProgress,
    });
    ctx.progress.done();
    const statuses = logFileStatuses(files, check);
    for (const row of report.rows) row.digest = statuses.get(row.logFile) ?? row.digest;
    report.verification = {
      valid: check.result.valid,
      digestsChecked: check.result.digestsChecked,
      logFilesChecked: check.result.logFilesChecked,
      findings: check.result.findings,
    };
    return undefined;
  } catch (err) {
    ctx.progress.done();
    if (err instanceof UsageError || (err as { isUsageError?: boolean }).isUsageError) throw err;
    const message = errorText(err);
    for (const row of report.rows) row.digest = `not verified: the check failed (${message})`;
    return message;
  }
}

export async function runWho(plan: WhoPlan, ctx: WhoContext): Promise<WhoOutcome> {
  const { source } = await chooseSource(plan, ctx);
  const report = source === "athena" ? await athenaReport(plan, ctx) : await insightsReport(plan, ctx);
  let verificationError: string | undefined;
  if (plan.verifyDigests && source === "athena") {
    if (report.rows.length > 0) verificationError = await verifyRows(report, plan, ctx);
    else ctx.note("No events, so no log file to verify.");
  }
  return { report, verificationError };
}
