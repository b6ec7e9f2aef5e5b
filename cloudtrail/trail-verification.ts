/**
 * The one "verify a trail on S3" sequence: GetTrail (resolveTrail) -> the S3 digest store -> the
 * digest-chain walk. The CLI (`verify`, `who --verify-digests`) and the daily review call this,
 * so a fix to how a trail is located or walked reaches all of them.
 */
import { resolveTrail, type AwsClients, type ResolvedTrail, type TrailResolutionOptions } from "./aws";
import type { DigestStore } from "./verify/store";
import type { VerificationResult, VerifyOptions } from "./verify/verifier";

/** The period and walk options every trail command shares (verify, export, package, who). */
export type TrailPeriodOptions = Pick<VerifyOptions, "start" | "end" | "regions" | "concurrency" | "now">;

export interface TrailVerificationRequest extends TrailResolutionOptions, TrailPeriodOptions {
  clients: AwsClients;
  trailArn: string;
  onProgress?: VerifyOptions["onProgress"];
  /** Wraps the S3 store (e.g. to record which log files were opened). */
  wrapStore?: (store: DigestStore) => DigestStore;
  /** A trail already resolved (GetTrail once per run). */
  resolved?: ResolvedTrail;
}

export interface TrailVerification {
  resolved: ResolvedTrail;
  result: VerificationResult;
}

export async function verifyTrailOnS3(request: TrailVerificationRequest): Promise<TrailVerification> {
  /* eslint-disable @typescript-eslint/no-require-imports -- the S3 client loads only when S3 is read */
  const { S3DigestStore } = require("./verify/s3-store") as typeof import("./verify/s3-store");
  const { verifyTrailLogs } = require("./verify/verifier") as typeof import("./verify/verifier");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const resolved =
    request.resolved ?? (await resolveTrail(request.clients, request.trailArn, { organizationId: request.organizationId, accountId: request.accountId }));
  const s3Store = new S3DigestStore({ s3: request.clients.s3(resolved.location.homeRegion), cloudTrailFor: (r) => request.clients.cloudTrail(r) });
  const store = request.wrapStore ? request.wrapStore(s3Store) : s3Store;
  const result = await verifyTrailLogs({
    store,
    trail: resolved.location,
    start: request.start,
    end: request.end,
    regions: request.regions ?? resolved.regions ?? undefined,
    concurrency: request.concurrency,
    now: request.now,
    onProgress: request.onProgress,
  });
  return { resolved, result };
}
