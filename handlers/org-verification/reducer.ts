/**
 * Reducer Lambda of the organisation verification (issue 11, E14): reads the plan and the
 * Distributed Map's ResultWriter output, merges them with the pure reducer (every planned shard
 * is accounted for), notifies the alert topic when anything needs attention, and writes one
 * review record under review/ in the locked log bucket.
 *
 * It also runs when planning or the Map Run failed (the state machine's Catch passes the error in
 * $.failure): the record then says what failed, so a failed run never leaves nothing behind.
 */
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { PLAN_SCHEMA, type ShardPlan } from "../../cloudtrail/org/planner";
import { orgAlertMessage, orgAlertSubject, orgReviewRecordKey, reduceShardResults, type OrgReviewRecord } from "../../cloudtrail/org/reducer";
import { collectResultWriterOutput, s3JsonObjects, validatePlan, type JsonObjects, type ResultWriterOutput } from "../../cloudtrail/org/s3-ports";
import { daysBetween, OrgVerificationInputError, previousDay } from "../../cloudtrail/org/shards";
import { classifyError, parseReducerEnv, parseResultsEnv, parseTrailEnv, type Env } from "./config";
import { MAX_DAYS_PER_RUN, type PlannerOutput } from "./planner";

export interface ReducerEvent {
  executionName?: string;
  state?: Partial<PlannerOutput> & { map?: ResultWriterOutput; failure?: { Error?: string; Cause?: string }; first?: string; last?: string };
}

export interface ReducerDeps {
  env: Env;
  /** Reads the plan and the ResultWriter files from the results bucket. */
  objects: JsonObjects;
  /** Writes the review record into the locked log bucket. */
  putRecord: (bucket: string, key: string, body: string, kmsKeyArn: string) => Promise<void>;
  publish: (topicArn: string, subject: string, message: string) => Promise<void>;
  now: () => Date;
}

export interface ReducerOutput {
  recordKey: string;
  outcome: OrgReviewRecord["outcome"];
  shards: OrgReviewRecord["shards"];
  findings: number;
  notified: boolean;
}

export function s3PutRecord(s3: S3Client): ReducerDeps["putRecord"] {
  return async (bucket, key, body, kmsKeyArn) => {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: "application/json",
        // Object Lock default retention on the bucket: S3 requires an integrity checksum.
        ChecksumAlgorithm: "SHA256",
        // M4: SSE-KMS with the estate's audit key.
        ServerSideEncryption: "aws:kms",
        SSEKMSKeyId: kmsKeyArn,
        BucketKeyEnabled: true,
      }),
    );
  };
}

function defaultPublish(): ReducerDeps["publish"] {
  const clients = new Map<string, SNSClient>();
  return async (topicArn, subject, message) => {
    const region = topicArn.split(":")[3];
    let client = clients.get(region);
    if (!client) clients.set(region, (client = new SNSClient({ region })));
    await client.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }));
  };
}

export function createReducerHandler(overrides: Partial<ReducerDeps> = {}): (event: unknown) => Promise<ReducerOutput> {
  return async (event) => {
    try {
      const env = overrides.env ?? process.env;
      const trailEnv = parseTrailEnv(env);
      const reducerEnv = parseReducerEnv(env);
      const resultsEnv = parseResultsEnv(env);
      const now = overrides.now ?? (() => new Date());
      const s3 = overrides.objects && overrides.putRecord ? undefined : new S3Client({ followRegionRedirects: true });
      const objects = overrides.objects ?? s3JsonObjects(s3!, resultsEnv.resultsKmsKeyArn);
      const e = (event ?? {}) as ReducerEvent;
      if (typeof e !== "object" || (e.state !== undefined && typeof e.state !== "object")) {
        throw new OrgVerificationInputError("event: expected {executionName, state: {plan?, map?, failure?}} from the state machine");
      }
      const state = e.state ?? {};
      const failure = state.failure ? { error: state.failure.Error ?? "States.Error", cause: state.failure.Cause ?? "no cause recorded" } : undefined;

      let plan: ShardPlan;
      if (state.plan?.bucket && state.plan.key) {
        plan = validatePlan(await objects.get(state.plan.bucket, state.plan.key), `s3://${state.plan.bucket}/${state.plan.key}`);
      } else {
        // Planning itself failed: an empty plan of the asked period, so the record names the failure.
        let days: string[];
        try {
          const first = state.first ?? previousDay(now());
          days = daysBetween(first, state.last ?? first, MAX_DAYS_PER_RUN);
        } catch {
          days = [previousDay(now())];
        }
        plan = {
          schema: PLAN_SCHEMA,
          plannedAt: now().toISOString(),
          trail: {
            bucket: trailEnv.logBucket,
            prefix: trailEnv.trailPrefix,
            organizationId: trailEnv.organizationId,
            trailName: trailEnv.trailName,
            homeRegion: trailEnv.homeRegion,
          },
          days,
          accounts: { listed: [], expected: null, missing: [], unexpected: [] },
          regions: [],
          regionsByAccount: {},
          shards: [],
        };
      }
      const collected = state.map?.ResultWriterDetails
        ? await collectResultWriterOutput(objects, state.map)
        : { results: [], unreadable: [], mapRunArn: undefined };
      const record = reduceShardResults({
        plan,
        results: collected.results,
        unreadable: collected.unreadable,
        failure: failure ?? (state.plan && !state.map ? { error: "OrgVerify.NoResults", cause: "the Map state produced no ResultWriter output" } : undefined),
        run: {
          id: e.executionName ?? state.run?.runId ?? "unknown-execution",
          engine: "step-functions",
          ...(collected.mapRunArn ? { mapRunArn: collected.mapRunArn } : {}),
          ...(state.map?.ResultWriterDetails ? { resultsManifest: `s3://${state.map.ResultWriterDetails.Bucket}/${state.map.ResultWriterDetails.Key}` } : {}),
        },
        now,
      });
      const recordKey = orgReviewRecordKey(record);
      if (record.outcome === "attention") {
        const publish = overrides.publish ?? defaultPublish();
        try {
          await publish(reducerEnv.alertTopicArn, orgAlertSubject(record), orgAlertMessage(record, recordKey, trailEnv.logBucket, trailEnv.trailArn));
          record.notification = { sent: true, topicArn: reducerEnv.alertTopicArn };
        } catch (err) {
          // The record still gets written, and says the alert failed (E8: a lost alert is visible).
          record.notification = { sent: false, topicArn: reducerEnv.alertTopicArn, error: (err as Error).message ?? String(err) };
        }
      }
      const putRecord = overrides.putRecord ?? s3PutRecord(s3!);
      await putRecord(trailEnv.logBucket, recordKey, JSON.stringify(record, null, 2), reducerEnv.kmsKeyArn);
      return { recordKey, outcome: record.outcome, shards: record.shards, findings: record.findings.length, notified: record.notification.sent };
    } catch (err) {
      throw classifyError(err);
    }
  };
}

export const handler = createReducerHandler();
