/**
 * The daily review's ports, backed by AWS SDK v3. Thin: each function makes the calls and maps
 * the responses; decisions live in review.ts.
 */
import { GetTrailCommand, GetTrailStatusCommand } from "@aws-sdk/client-cloudtrail";
import {
  GetQueryResultsCommand,
  StartQueryCommand,
  StopQueryCommand,
  type CloudWatchLogsClient,
} from "@aws-sdk/client-cloudwatch-logs";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { resolveTrail, type AwsClients } from "../../cloudtrail/aws";
import { parseTrailArn } from "../../cloudtrail/verify/digest-key";
import { S3DigestStore } from "../../cloudtrail/verify/s3-store";
import { verifyTrailLogs } from "../../cloudtrail/verify/verifier";
import type { DailyReviewConfig } from "./config";
import type { DailyReviewPorts, TrailStatusSnapshot } from "./review";

/** Publishes one alert (SNS Publish to ALERT_TOPIC_ARN in production). */
export type PublishAlert = (topicArn: string, subject: string, message: string) => Promise<void>;

export interface AwsPortDeps {
  clients: AwsClients;
  logs: CloudWatchLogsClient;
  publish: PublishAlert;
  /** Logs Insights polling: interval and bound (the Lambda timeout must exceed their product). */
  pollIntervalMs?: number;
  maxPolls?: number;
  sleep?: (ms: number) => Promise<void>;
  concurrency?: number;
}

export class InsightsQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InsightsQueryError";
  }
}

export interface InsightsQueryOptions {
  logGroupName: string;
  queryString: string;
  start: Date;
  end: Date;
  pollIntervalMs: number;
  maxPolls: number;
  sleep: (ms: number) => Promise<void>;
}

/** StartQuery, then GetQueryResults until Complete, at most `maxPolls` times (then StopQuery). */
export async function runInsightsQuery(logs: CloudWatchLogsClient, options: InsightsQueryOptions): Promise<Array<Record<string, string>>> {
  const started = await logs.send(
    new StartQueryCommand({
      logGroupName: options.logGroupName,
      queryString: options.queryString,
      startTime: Math.floor(options.start.getTime() / 1000),
      // endTime is inclusive in seconds; stop one second before the next day.
      endTime: Math.floor(options.end.getTime() / 1000) - 1,
    }),
  );
  const queryId = started.queryId;
  if (!queryId) throw new InsightsQueryError("StartQuery returned no queryId");
  for (let poll = 0; poll < options.maxPolls; poll++) {
    const response = await logs.send(new GetQueryResultsCommand({ queryId }));
    switch (response.status) {
      case "Complete":
        return (response.results ?? []).map((fields) => {
          const row: Record<string, string> = {};
          for (const f of fields) if (f.field && f.field !== "@ptr" && f.value !== undefined) row[f.field] = f.value;
          return row;
        });
      case "Failed":
      case "Cancelled":
      case "Timeout":
      case "Unknown":
        throw new InsightsQueryError(`Logs Insights query ${queryId} ended with status ${response.status}`);
      default:
        await options.sleep(options.pollIntervalMs);
    }
  }
  try {
    await logs.send(new StopQueryCommand({ queryId }));
  } catch {
    // It may have finished meanwhile; the timeout is reported either way.
  }
  throw new InsightsQueryError(`Logs Insights query ${queryId} did not complete after ${options.maxPolls} polls`);
}

export function createAwsPorts(config: DailyReviewConfig, deps: AwsPortDeps): DailyReviewPorts {
  const homeRegion = parseTrailArn(config.trailArn)?.homeRegion ?? "us-east-1";
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let resolved: ReturnType<typeof resolveTrail> | undefined;
  const trail = () => (resolved ??= resolveTrail(deps.clients, config.trailArn));

  return {
    async getTrailStatus(): Promise<TrailStatusSnapshot> {
      const cloudTrail = deps.clients.cloudTrail(homeRegion);
      // Independent of the verification's trail resolution, so one failing does not hide the other.
      const [description, status] = await Promise.all([
        cloudTrail.send(new GetTrailCommand({ Name: config.trailArn })),
        cloudTrail.send(new GetTrailStatusCommand({ Name: config.trailArn })),
      ]);
      return {
        isLogging: status.IsLogging === true,
        logFileValidationEnabled: description.Trail?.LogFileValidationEnabled,
        latestDeliveryError: status.LatestDeliveryError || undefined,
        latestDigestDeliveryError: status.LatestDigestDeliveryError || undefined,
        latestDeliveryTime: status.LatestDeliveryTime?.toISOString(),
        latestDigestDeliveryTime: status.LatestDigestDeliveryTime?.toISOString(),
        startLoggingTime: status.StartLoggingTime?.toISOString(),
        stopLoggingTime: status.StopLoggingTime?.toISOString(),
      };
    },

    async verify(start, end) {
      const { location, regions } = await trail();
      const store = new S3DigestStore({ s3: deps.clients.s3(location.homeRegion), cloudTrailFor: (r) => deps.clients.cloudTrail(r) });
      return verifyTrailLogs({ store, trail: location, start, end, regions: regions ?? undefined, concurrency: deps.concurrency });
    },

    runInsightsQuery(queryString, start, end) {
      return runInsightsQuery(deps.logs, {
        logGroupName: config.logGroupName,
        queryString,
        start,
        end,
        pollIntervalMs: deps.pollIntervalMs ?? 2000,
        maxPolls: deps.maxPolls ?? 120,
        sleep,
      });
    },

    async putRecord(key, body) {
      await deps.clients.s3(homeRegion).send(
        new PutObjectCommand({
          Bucket: config.logBucket,
          Key: key,
          Body: body,
          ContentType: "application/json",
          // The bucket has Object Lock default retention: S3 requires an integrity checksum.
          ChecksumAlgorithm: "SHA256",
          // M4: SSE-KMS with the estate's customer managed key.
          ServerSideEncryption: "aws:kms",
          SSEKMSKeyId: config.kmsKeyArn,
          BucketKeyEnabled: true,
        }),
      );
    },

    notify(subject, message) {
      return deps.publish(config.alertTopicArn, subject, message);
    },
  };
}
