/**
 * The one Logs Insights runner (StartQuery, bounded GetQueryResults polling, StopQuery on
 * timeout) behind `who --source logs` and the daily review's non-routine operations summary.
 * Messages name what happened in CloudWatch terms only; each front end adds its own advice.
 */
import type { CloudWatchLogsClient, ResultField } from "@aws-sdk/client-cloudwatch-logs";

export class InsightsQueryError extends Error {
  constructor(
    message: string,
    /** "failed": the engine ended the query; "timeout": our bound ran out and we stopped it. */
    readonly reason: "failed" | "timeout" | "no-query-id",
  ) {
    super(message);
    this.name = "InsightsQueryError";
  }
}

export interface InsightsQueryRequest {
  logGroupName: string;
  queryString: string;
  /** Inclusive. */
  start: Date;
  /** Exclusive. */
  end: Date;
  /** Logs Insights returns at most 10,000 rows; default: the query's own `limit`. */
  limit?: number;
  pollIntervalMs: number;
  maxPolls: number;
  sleep: (ms: number) => Promise<void>;
  /** After StartQuery and after each poll that is not final. */
  onStatus?: (status: { queryId: string; status: string; bytesScanned: number; polls: number; submitted: boolean }) => void;
}

export interface InsightsQueryResult {
  queryId: string;
  results: ResultField[][];
  bytesScanned: number;
  recordsMatched?: number;
}

/** StartQuery's range in epoch seconds; endTime is inclusive, so it stops one second early. */
export function insightsTimeRange(start: Date, end: Date): { startTime: number; endTime: number } {
  return { startTime: Math.floor(start.getTime() / 1000), endTime: Math.ceil(end.getTime() / 1000) - 1 };
}

/** Field/value pairs as a record, `@ptr` dropped. */
export function insightsRecord(fields: readonly ResultField[]): Record<string, string> {
  const row: Record<string, string> = {};
  for (const f of fields) if (f.field && f.field !== "@ptr" && f.value !== undefined) row[f.field] = f.value;
  return row;
}

const FINAL_FAILURES = new Set(["Failed", "Cancelled", "Timeout", "Unknown"]);

export async function runInsightsQuery(logs: CloudWatchLogsClient, request: InsightsQueryRequest): Promise<InsightsQueryResult> {
  const sdk = require("@aws-sdk/client-cloudwatch-logs") as typeof import("@aws-sdk/client-cloudwatch-logs"); // eslint-disable-line @typescript-eslint/no-require-imports -- lazy: loads only when used
  const started = await logs.send(
    new sdk.StartQueryCommand({
      logGroupName: request.logGroupName,
      queryString: request.queryString,
      ...insightsTimeRange(request.start, request.end),
      ...(request.limit !== undefined ? { limit: request.limit } : {}),
    }),
  );
  const queryId = started?.queryId;
  if (!queryId) throw new InsightsQueryError("Logs Insights StartQuery returned no queryId", "no-query-id");
  request.onStatus?.({ queryId, status: "Submitted", bytesScanned: 0, polls: 0, submitted: true });
  let status: string | undefined;
  for (let poll = 1; poll <= request.maxPolls; poll++) {
    const out = await logs.send(new sdk.GetQueryResultsCommand({ queryId }));
    status = out?.status;
    const bytesScanned = out?.statistics?.bytesScanned ?? 0;
    if (status === "Complete") {
      return { queryId, results: out?.results ?? [], bytesScanned, recordsMatched: out?.statistics?.recordsMatched };
    }
    if (status !== undefined && FINAL_FAILURES.has(status)) {
      throw new InsightsQueryError(`Logs Insights query ${queryId} ended with status ${status} (Logs Insights gives no further reason)`, "failed");
    }
    if (poll === request.maxPolls) break;
    request.onStatus?.({ queryId, status: status ?? "unknown", bytesScanned, polls: poll, submitted: false });
    await request.sleep(request.pollIntervalMs);
  }
  try {
    await logs.send(new sdk.StopQueryCommand({ queryId }));
  } catch {
    // It may have finished meanwhile; the timeout is reported either way.
  }
  const waited = Math.round((request.maxPolls * request.pollIntervalMs) / 1000);
  throw new InsightsQueryError(
    `Logs Insights query ${queryId} did not complete within ${waited} s (${request.maxPolls} polls, last status ${status ?? "unknown"}); it was stopped`,
    "timeout",
  );
}
