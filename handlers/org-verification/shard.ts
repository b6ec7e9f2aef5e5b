/**
 * Shard Lambda of the organisation verification (issue 11): one Distributed Map child verifies one
 * (account, region, day) with the project's verifier (verifyTrailLogs over S3DigestStore).
 *
 * Throttling and transient faults are thrown under the names the state machine retries with
 * backoff (OrgVerify.Throttled / OrgVerify.Transient), also when the verifier met them as
 * read-error findings: a throttled GET proves nothing about the object, so the shard is run
 * again rather than reported as unreadable. After the retries the state machine's Catch reports
 * the shard as not verified.
 */
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { S3Client } from "@aws-sdk/client-s3";
import { fullFindingsKey, s3JsonObjects, type JsonObjects } from "../../cloudtrail/org/s3-ports";
import { verifyShard, withPublicKeyCache, type ShardResult } from "../../cloudtrail/org/shard-verifier";
import { OrgVerificationInputError, validateOrganizationTrail, validateShard } from "../../cloudtrail/org/shards";
import { THROTTLED_ERROR, TRANSIENT_ERROR } from "../../cloudtrail/org/state-machine";
import { S3DigestStore } from "../../cloudtrail/verify/s3-store";
import type { DigestStore } from "../../cloudtrail/verify/store";
import { classifyError, isRetryableReadError, parseResultsEnv, StateMachineError, type Env } from "./config";
import type { RunContext } from "./planner";

export interface ShardEvent {
  shard: unknown;
  run: RunContext;
}

export interface ShardDeps {
  env: Env;
  /** The digest store over the log bucket (default: S3DigestStore with ListPublicKeys per region). */
  store: DigestStore;
  objects: JsonObjects;
  /** Log files hashed at once inside the shard. */
  fileConcurrency: number;
}

// Per container: warm invocations reuse clients and the public key cache (one lookup per region).
let defaultStore: DigestStore | undefined;
function storeFromEnvironment(): DigestStore {
  const clients = new Map<string, CloudTrailClient>();
  defaultStore ??= withPublicKeyCache(
    new S3DigestStore({
      s3: new S3Client({ followRegionRedirects: true }),
      cloudTrailFor: (region) => {
        let client = clients.get(region);
        if (!client) clients.set(region, (client = new CloudTrailClient({ region })));
        return client;
      },
    }),
  );
  return defaultStore;
}

export function createShardHandler(overrides: Partial<ShardDeps> = {}): (event: unknown) => Promise<ShardResult> {
  return async (event) => {
    try {
      const env = overrides.env ?? process.env;
      const results = parseResultsEnv(env);
      const e = event as ShardEvent | null;
      if (!e || typeof e !== "object" || !e.run || typeof e.run !== "object") {
        throw new OrgVerificationInputError(
          "event: expected {shard: {accountId, region, day}, run: {runId, trail, plannedAt, results}} from the Distributed Map",
        );
      }
      const shard = validateShard(e.shard);
      const trail = validateOrganizationTrail(e.run.trail, "run.trail");
      const plannedAt = new Date(e.run.plannedAt);
      if (Number.isNaN(plannedAt.getTime())) throw new OrgVerificationInputError(`run.plannedAt: ${JSON.stringify(e.run.plannedAt)} is not an ISO time`);
      const store = overrides.store ?? storeFromEnvironment();
      const objects = overrides.objects ?? s3JsonObjects(new S3Client({ followRegionRedirects: true }), results.resultsKmsKeyArn);

      // The run's planning time is every shard's clock: all shards of a region share one key lookup.
      const { result, allFindings } = await verifyShard({ store, trail, shard, concurrency: overrides.fileConcurrency ?? 8, now: () => plannedAt });
      const retryable = result.findings.map((f) => (f.kind === "read-error" ? isRetryableReadError(f.message) : null)).find((r) => r !== null);
      if (retryable) {
        const first = result.findings.find((f) => f.kind === "read-error")!;
        throw new StateMachineError(
          retryable === "throttled" ? THROTTLED_ERROR : TRANSIENT_ERROR,
          `shard ${shard.accountId}/${shard.region}/${shard.day}: ${first.message}`,
        );
      }
      if (result.findingsTotal > result.findings.length) {
        const location = { bucket: results.resultsBucket, prefix: results.resultsPrefix, runId: e.run.runId };
        const key = fullFindingsKey(location, shard);
        await objects.put(location.bucket, key, { shard, findings: allFindings });
        result.fullFindings = { bucket: location.bucket, key };
      }
      return result;
    } catch (err) {
      throw classifyError(err);
    }
  };
}

export const handler = createShardHandler();
