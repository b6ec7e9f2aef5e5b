/**
 * On-demand organisation verification in one process (`npm run evidence -- verify` over an
 * organisation trail): the same planner, shard verifier and reducer as the state machine, with the
 * shards run at bounded concurrency and a callback per shard for progress.
 *
 * A shard that throws (S3 throttling that outlasted the SDK's own retries, a network error) is
 * retried with exponential backoff, then reported as not verified: never dropped.
 */
import { TaskLimiter } from "../verify/concurrency";
import type { DigestStore } from "../verify/store";
import { planShards, type OrganizationListing, type ShardPlan } from "./planner";
import { reduceShardResults, type OrgReviewRecord } from "./reducer";
import { shardErrorResult, verifyShard, withPublicKeyCache, type ShardResult } from "./shard-verifier";
import { OrgVerificationInputError, type OrganizationTrail, type Shard } from "./shards";

export interface ShardProgress {
  /** "start" before a shard runs, "retry" before a retry, "done" with its result. */
  phase: "start" | "retry" | "done";
  shard: Shard;
  /** Shards finished so far and planned in all. */
  done: number;
  total: number;
  attempt: number;
  result?: ShardResult;
  error?: string;
}

export interface VerifyOrganizationOptions {
  store: DigestStore;
  listing: OrganizationListing;
  trail: OrganizationTrail;
  days: string[];
  expectedAccounts?: string[];
  expectedRegions?: string[];
  /** Shards verified at once (default 8). */
  concurrency?: number;
  /** Log files hashed at once inside each shard (default 4: shards x files = requests in flight). */
  fileConcurrency?: number;
  /** Attempts per shard (default 3), backoff doubling from `retryBaseMs` (default 200 ms). */
  maxAttempts?: number;
  retryBaseMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  onPlan?: (plan: ShardPlan) => void;
  onShard?: (progress: ShardProgress) => void;
  /** The verifier for one shard (default verifyShard); tests inject failures here. */
  verify?: typeof verifyShard;
}

export interface OrganizationVerification {
  plan: ShardPlan;
  results: ShardResult[];
  record: OrgReviewRecord;
}

function errorText(err: unknown): { error: string; cause: string } {
  const e = err as { name?: string; message?: string } | null;
  return { error: e?.name ?? "Error", cause: e?.message ?? String(err) };
}

export async function verifyOrganization(options: VerifyOrganizationOptions): Promise<OrganizationVerification> {
  const concurrency = options.concurrency ?? 8;
  const maxAttempts = options.maxAttempts ?? 3;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000) {
    throw new OrgVerificationInputError(`concurrency: ${concurrency} is not allowed (a whole number from 1 to 1000)`);
  }
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 10) {
    throw new OrgVerificationInputError(`maxAttempts: ${maxAttempts} is not allowed (a whole number from 1 to 10)`);
  }
  const started = options.now?.() ?? new Date();
  // One clock for every shard: the public key lookups then share one cache entry per region.
  const now = () => started;
  const store = withPublicKeyCache(options.store);
  const plan = await planShards({
    trail: options.trail,
    days: options.days,
    listing: options.listing,
    store,
    expectedAccounts: options.expectedAccounts,
    expectedRegions: options.expectedRegions,
    now,
  });
  options.onPlan?.(plan);
  const verify = options.verify ?? verifyShard;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const limiter = new TaskLimiter(concurrency);
  const total = plan.shards.length;
  let done = 0;
  const results = await Promise.all(
    plan.shards.map((shard) =>
      limiter.run(async (): Promise<ShardResult> => {
        let last: { error: string; cause: string } = { error: "Error", cause: "not run" };
        for (let attempt = 1; attempt <= maxAttempts; attempt++) {
          options.onShard?.({ phase: attempt === 1 ? "start" : "retry", shard, done, total, attempt, ...(attempt > 1 ? { error: last.cause } : {}) });
          try {
            const { result } = await verify({ store, trail: options.trail, shard, concurrency: options.fileConcurrency ?? 4, now });
            done++;
            options.onShard?.({ phase: "done", shard, done, total, attempt, result });
            return result;
          } catch (err) {
            last = errorText(err);
            if (attempt < maxAttempts) await sleep((options.retryBaseMs ?? 200) * 2 ** (attempt - 1));
          }
        }
        const result = shardErrorResult(shard, last.error, `${last.cause} (after ${maxAttempts} attempt(s))`);
        done++;
        options.onShard?.({ phase: "done", shard, done, total, attempt: maxAttempts, result, error: last.cause });
        return result;
      }),
    ),
  );
  const record = reduceShardResults({ plan, results, run: { id: `local-${started.toISOString()}`, engine: "local" }, now: options.now });
  return { plan, results, record };
}
