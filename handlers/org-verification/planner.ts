/**
 * Planner Lambda of the organisation verification (issue 11). Thin adapter: read the environment,
 * decide the period (input `days` or `first`/`last`, default yesterday UTC), plan the shards with
 * the pure core, write the plan and the ItemReader array to the results bucket, and hand the
 * Distributed Map its run context.
 */
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { S3Client } from "@aws-sdk/client-s3";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { planShards } from "../../cloudtrail/org/planner";
import {
  itemsKey,
  OrganizationsAccountSource,
  planKey,
  resultWriterPrefix,
  s3JsonObjects,
  S3OrganizationListing,
  type RunLocation,
} from "../../cloudtrail/org/s3-ports";
import { daysBetween, OrgVerificationInputError, previousDay, type OrganizationTrail } from "../../cloudtrail/org/shards";
import { S3DigestStore } from "../../cloudtrail/verify/s3-store";
import { classifyError, parseAccountsSource, parseExpectedRegions, parseResultsEnv, parseTrailEnv, type Env } from "./config";

/** Days one run may cover (a year of re-verification fits one execution; more is split by the caller). */
export const MAX_DAYS_PER_RUN = 366;

export interface RunContext {
  runId: string;
  trail: OrganizationTrail;
  plannedAt: string;
  results: { bucket: string; prefix: string };
}

export interface PlannerOutput {
  run: RunContext;
  items: { bucket: string; key: string };
  plan: { bucket: string; key: string };
  /** ResultWriter destination. */
  results: { bucket: string; prefix: string };
  shardCount: number;
}

export interface PlannerEvent {
  executionName?: string;
  input?: { first?: string; last?: string; expectedAccounts?: string[]; expectedRegions?: string[] };
}

export interface PlannerDeps {
  env: Env;
  s3: S3Client;
  organizations: OrganizationsClient;
  now: () => Date;
}

const RUN_ID = /^[A-Za-z0-9_-]{1,80}$/;

export function parsePlannerEvent(event: unknown, now: Date): { runId: string; days: string[]; expectedAccounts?: string[]; expectedRegions?: string[] } {
  const e = (event ?? {}) as PlannerEvent;
  if (typeof e !== "object") throw new OrgVerificationInputError("event: expected an object {executionName, input: {first?, last?}}");
  const runId = e.executionName ?? `run-${now.toISOString().replace(/[:.]/g, "-")}`;
  if (typeof runId !== "string" || !RUN_ID.test(runId)) {
    throw new OrgVerificationInputError(`executionName: ${JSON.stringify(runId)} is not allowed (1-80 letters, digits, "-" or "_")`);
  }
  const input = e.input ?? {};
  if (typeof input !== "object" || Array.isArray(input))
    throw new OrgVerificationInputError("input: expected an object {first?: YYYY-MM-DD, last?: YYYY-MM-DD}");
  for (const field of Object.keys(input)) {
    if (!["first", "last", "expectedAccounts", "expectedRegions"].includes(field)) {
      throw new OrgVerificationInputError(`input.${field}: unknown field (allowed: first, last, expectedAccounts, expectedRegions)`);
    }
  }
  const first = input.first ?? input.last ?? previousDay(now);
  const last = input.last ?? first;
  if (input.expectedAccounts !== undefined && !Array.isArray(input.expectedAccounts))
    throw new OrgVerificationInputError("input.expectedAccounts: expected an array of 12-digit account ids");
  if (input.expectedRegions !== undefined && !Array.isArray(input.expectedRegions))
    throw new OrgVerificationInputError("input.expectedRegions: expected an array of region names");
  return { runId, days: daysBetween(first, last, MAX_DAYS_PER_RUN), expectedAccounts: input.expectedAccounts, expectedRegions: input.expectedRegions };
}

export function createPlannerHandler(overrides: Partial<PlannerDeps> = {}): (event: unknown) => Promise<PlannerOutput> {
  return async (event) => {
    try {
      const env = overrides.env ?? process.env;
      const trailEnv = parseTrailEnv(env);
      const results = parseResultsEnv(env);
      const accountsSource = parseAccountsSource(env);
      const now = (overrides.now ?? (() => new Date()))();
      const request = parsePlannerEvent(event, now);
      const s3 = overrides.s3 ?? new S3Client({ followRegionRedirects: true });
      const trail: OrganizationTrail = {
        bucket: trailEnv.logBucket,
        prefix: trailEnv.trailPrefix,
        organizationId: trailEnv.organizationId,
        trailName: trailEnv.trailName,
        homeRegion: trailEnv.homeRegion,
      };
      let expectedAccounts = request.expectedAccounts;
      if (!expectedAccounts && accountsSource === "organizations") {
        const organizations = overrides.organizations ?? new OrganizationsClient({ region: "us-east-1" });
        const lastDay = new Date(`${request.days[request.days.length - 1]}T23:59:59Z`);
        expectedAccounts = await new OrganizationsAccountSource(organizations).listExpectedAccounts(lastDay);
      }
      const store = new S3DigestStore({ s3, cloudTrailFor: (region) => new CloudTrailClient({ region }) });
      const plan = await planShards({
        trail,
        days: request.days,
        listing: new S3OrganizationListing(s3),
        store,
        expectedAccounts,
        expectedRegions: request.expectedRegions ?? parseExpectedRegions(env),
        now: () => now,
      });
      const location: RunLocation = { bucket: results.resultsBucket, prefix: results.resultsPrefix, runId: request.runId };
      const objects = s3JsonObjects(s3, results.resultsKmsKeyArn);
      await objects.put(location.bucket, planKey(location), plan);
      await objects.put(location.bucket, itemsKey(location), plan.shards);
      return {
        run: { runId: request.runId, trail, plannedAt: plan.plannedAt, results: { bucket: location.bucket, prefix: results.resultsPrefix } },
        items: { bucket: location.bucket, key: itemsKey(location) },
        plan: { bucket: location.bucket, key: planKey(location) },
        results: { bucket: location.bucket, prefix: resultWriterPrefix(location) },
        shardCount: plan.shards.length,
      };
    } catch (err) {
      throw classifyError(err);
    }
  };
}

export const handler = createPlannerHandler();
