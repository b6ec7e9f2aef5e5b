/**
 * The daily review's ports, backed by AWS SDK v3. Thin: each function makes the calls and maps
 * the responses; decisions live in review.ts.
 */
import { GetTrailCommand, GetTrailStatusCommand } from "@aws-sdk/client-cloudtrail";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { TrailResolutionError, type AwsClients } from "../../cloudtrail/aws";
import { insightsRecord, runInsightsQuery } from "../../cloudtrail/insights-query";
import { verifyTrailOnS3 } from "../../cloudtrail/trail-verification";
import { parseTrailArn } from "../../cloudtrail/verify/digest-key";
import type { DailyReviewConfig } from "./config";
import type { DailyReviewPorts, TrailStatusSnapshot } from "./review";

export { InsightsQueryError } from "../../cloudtrail/insights-query";

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

/** The Lambda's own configuration names for the trail inputs (no CLI flags in its errors). */
const ENV_OF_INPUT = { trailArn: "TRAIL_ARN", organizationId: "ORGANIZATION_ID", accountId: "TRAIL_ARN" } as const;

export function createAwsPorts(config: DailyReviewConfig, deps: AwsPortDeps): DailyReviewPorts {
  const homeRegion = parseTrailArn(config.trailArn)?.homeRegion ?? "us-east-1";
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

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
      try {
        const { result } = await verifyTrailOnS3({
          clients: deps.clients,
          trailArn: config.trailArn,
          organizationId: config.organizationId,
          start,
          end,
          concurrency: deps.concurrency,
        });
        return result;
      } catch (err) {
        if (err instanceof TrailResolutionError && err.input) {
          throw new TrailResolutionError(`${err.message} (Lambda environment variable ${ENV_OF_INPUT[err.input]})`, err.isUsageError, err.input);
        }
        throw err;
      }
    },

    async runInsightsQuery(queryString, start, end) {
      const { results } = await runInsightsQuery(deps.logs, {
        logGroupName: config.logGroupName,
        queryString,
        start,
        end,
        pollIntervalMs: deps.pollIntervalMs ?? 2000,
        maxPolls: deps.maxPolls ?? 120,
        sleep,
      });
      return results.map(insightsRecord);
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
