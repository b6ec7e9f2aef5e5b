/**
 * Verifies one shard with the project's own verifier (verifyTrailLogs, E13): the member account's
 * chain in one region over one UTC day, through any DigestStore (S3 in the Lambda and the CLI,
 * a local export in tests).
 *
 * The result is bounded: Step Functions limits a state's output to 256 KiB (Step Functions
 * quotas, "Maximum input or output size for a task, state, or execution"), so a shard reports the
 * count of every finding kind and the first MAX_SHARD_FINDINGS findings; the shard Lambda writes
 * the full list to the results prefix when it had to cut (fullFindings).
 */
import { FINDING_KINDS, isFailure, type Finding, type FindingKind } from "../verify/findings";
import type { DigestStore } from "../verify/store";
import type { PublicKeyRecord } from "../verify/signature";
import { verifyTrailLogs } from "../verify/verifier";
import { dayRange, memberTrail, type OrganizationTrail, type Shard } from "./shards";

export const MAX_SHARD_FINDINGS = 50;

export interface ShardResult {
  shard: Shard;
  status: "verified" | "error";
  /** No finding other than `gap` (informational). False when status is "error". */
  valid: boolean;
  findingsTotal: number;
  findingCounts: Partial<Record<FindingKind, number>>;
  /** The first MAX_SHARD_FINDINGS findings, failures first. */
  findings: Finding[];
  /** Where the full list is, when `findings` had to be cut. */
  fullFindings?: { bucket: string; key: string };
  digestsChecked: number;
  logFilesChecked: number;
  uncompressedLogBytes: number;
  durationMs: number;
  /** For status "error": why the shard could not be verified (after the retries). */
  error?: { error: string; cause: string };
}

export interface VerifyShardOptions {
  store: DigestStore;
  trail: OrganizationTrail;
  shard: Shard;
  /** Log files hashed at once inside the shard (default 8, the verifier's default). */
  concurrency?: number;
  now?: () => Date;
}

/** Full findings of a shard, for the caller to store when the result was cut. */
export interface VerifiedShard {
  result: ShardResult;
  allFindings: Finding[];
}

export async function verifyShard(options: VerifyShardOptions): Promise<VerifiedShard> {
  const { start, end } = dayRange(options.shard.day);
  const began = Date.now();
  const verification = await verifyTrailLogs({
    store: options.store,
    trail: memberTrail(options.trail, options.shard.accountId),
    start,
    end,
    regions: [options.shard.region],
    concurrency: options.concurrency,
    now: options.now,
  });
  const ordered = [...verification.findings.filter(isFailure), ...verification.findings.filter((f) => !isFailure(f))];
  const counts: Partial<Record<FindingKind, number>> = {};
  for (const f of ordered) counts[f.kind] = (counts[f.kind] ?? 0) + 1;
  return {
    allFindings: ordered,
    result: {
      shard: options.shard,
      status: "verified",
      valid: verification.valid,
      findingsTotal: ordered.length,
      findingCounts: counts,
      findings: ordered.slice(0, MAX_SHARD_FINDINGS),
      digestsChecked: verification.digestsChecked,
      logFilesChecked: verification.logFilesChecked,
      uncompressedLogBytes: verification.uncompressedLogBytes,
      durationMs: Date.now() - began,
    },
  };
}

/** The result of a shard that could not be verified (the Lambda failed after its retries). */
export function shardErrorResult(shard: Shard, error: string, cause: string): ShardResult {
  return {
    shard,
    status: "error",
    valid: false,
    findingsTotal: 0,
    findingCounts: {},
    findings: [],
    digestsChecked: 0,
    logFilesChecked: 0,
    uncompressedLogBytes: 0,
    durationMs: 0,
    error: { error, cause },
  };
}

/** Checks a value read back from S3 or a state's output is a ShardResult (reducer input is untrusted). */
export function isShardResult(value: unknown): value is ShardResult {
  const r = value as ShardResult | null;
  return (
    !!r &&
    typeof r === "object" &&
    !!r.shard &&
    typeof r.shard.accountId === "string" &&
    typeof r.shard.region === "string" &&
    typeof r.shard.day === "string" &&
    (r.status === "verified" || r.status === "error") &&
    typeof r.valid === "boolean" &&
    Array.isArray(r.findings) &&
    r.findings.every((f) => f && typeof f.key === "string" && typeof f.message === "string" && (FINDING_KINDS as readonly string[]).includes(f.kind))
  );
}

/**
 * Memoises ListPublicKeys per (region, range): CloudTrail signs every account's digests in a region
 * with the same regional key, so 1,000 accounts need one lookup per region, not 1,000 (and
 * CloudTrail's control-plane API is throttled). Everything else passes through.
 */
export function withPublicKeyCache(store: DigestStore): DigestStore {
  const cache = new Map<string, Promise<PublicKeyRecord[]>>();
  return {
    listDigestRegions: (trail) => store.listDigestRegions(trail),
    listDigestKeys: (trail, region, start, end) => store.listDigestKeys(trail, region, start, end),
    getDigest: (bucket, key) => store.getDigest(bucket, key),
    openLogStream: (bucket, key) => store.openLogStream(bucket, key),
    listPublicKeys(region, start, end) {
      const id = `${region}|${start.getTime()}|${end.getTime()}`;
      let pending = cache.get(id);
      if (!pending) {
        pending = store.listPublicKeys(region, start, end);
        // A failed lookup is not cached: the next shard asks again.
        pending.catch(() => cache.delete(id));
        cache.set(id, pending);
      }
      return pending;
    },
  };
}
