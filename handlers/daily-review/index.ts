/**
 * Lambda entry point of the daily review (E14), run once a day by a schedule. Thin adapter:
 * read and validate the environment, build the AWS ports, run the pure review, log the outcome.
 * Schedule it after ~01:30 UTC so the digest covering the last hour of the day has arrived.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { defaultAwsClients, type AwsClients } from "../../cloudtrail/aws";
import { createAwsPorts, type PublishAlert } from "./aws-ports";
import { parseDailyReviewEnv } from "./config";
import { runDailyReview } from "./review";
import { createSnsPublisher } from "./sns-publisher";

export { ConfigError, ENV_VARS, parseDailyReviewEnv, type DailyReviewConfig } from "./config";
export { nonRoutineOperationsQuery, savedQueryDefinitions } from "../../cloudtrail/queries";
export { reviewRecordKey, reviewedDay, runDailyReview, type DailyReviewPorts, type ReviewRecord } from "./review";

export interface DailyReviewSummary {
  recordKey: string;
  outcome: "clean" | "attention";
  findings: number;
  notified: boolean;
}

/** What the handler logs through (Powertools Logger in production; structured attributes). */
export interface ReviewLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface HandlerDeps {
  env: Record<string, string | undefined>;
  clients: AwsClients;
  logs: CloudWatchLogsClient;
  publish: PublishAlert;
  logger: ReviewLogger;
  now: () => Date;
  pollIntervalMs?: number;
  maxPolls?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** EventBridge scheduled events carry their time; a manual invoke may not. */
function eventTime(event: unknown): Date | undefined {
  const time = (event as { time?: unknown } | null)?.time;
  if (typeof time !== "string") return undefined;
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function createHandler(overrides: Partial<HandlerDeps> = {}): (event: unknown) => Promise<DailyReviewSummary> {
  const logger: ReviewLogger = overrides.logger ?? new Logger({ serviceName: "audit-daily-review" });
  return async (event: unknown) => {
    // Validated on every invocation: a ConfigError names the variable in the Lambda's error.
    const config = parseDailyReviewEnv(overrides.env ?? process.env);
    const ports = createAwsPorts(config, {
      clients: overrides.clients ?? defaultAwsClients(),
      logs: overrides.logs ?? new CloudWatchLogsClient({}),
      publish: overrides.publish ?? createSnsPublisher(),
      pollIntervalMs: overrides.pollIntervalMs,
      maxPolls: overrides.maxPolls,
      sleep: overrides.sleep,
    });
    const now = eventTime(event) ?? (overrides.now ?? (() => new Date()))();
    const { key, record } = await runDailyReview(ports, config, now);
    const summary: DailyReviewSummary = { recordKey: key, outcome: record.outcome, findings: record.findings.length, notified: record.notification.sent };
    const log = record.outcome === "clean" ? logger.info.bind(logger) : logger.warn.bind(logger);
    log("daily audit review stored", {
      ...summary,
      reviewedPeriod: record.reviewedPeriod,
      findingKinds: [...new Set(record.findings.map((f) => f.kind))],
    });
    return summary;
  };
}

export const handler = createHandler();
