/**
 * The planner: which (account, region, day) shards must be verified.
 *
 * It lists what exists under the trail's digest prefix (one S3 common prefix per member account,
 * one per region below its CloudTrail-Digest/), and, when the organisation's expected accounts
 * (Organizations ListAccounts) and regions are known, plans their product as well: an expected
 * account or region with no digests is then a shard too, the verifier reports it as `no-digests`,
 * and the review says which account or region stopped delivering (issue 11: "a missing account is
 * itself a finding"). Nothing found is dropped: an account found but not expected is verified and
 * reported as unexpected.
 */
import { TaskLimiter } from "../verify/concurrency";
import type { DigestStore } from "../verify/store";
import { ACCOUNT_ID, memberTrail, OrgVerificationInputError, REGION_NAME, shardId, type OrganizationTrail, type Shard } from "./shards";

export const PLAN_SCHEMA = "audit-org-verification-plan/v1";

/** Member account folders under `[prefix/]AWSLogs/<o-id>/` (S3 adapter: s3-ports.ts). */
export interface OrganizationListing {
  listAccountFolders(trail: OrganizationTrail): Promise<string[]>;
}

/** The organisation's accounts that should deliver logs (Organizations adapter: s3-ports.ts). */
export interface ExpectedAccountSource {
  listExpectedAccounts(asOf: Date): Promise<string[]>;
}

export interface PlanOptions {
  trail: OrganizationTrail;
  days: string[];
  listing: OrganizationListing;
  /** Used for its listDigestRegions (one LIST per account, Delimiter "/"). */
  store: Pick<DigestStore, "listDigestRegions">;
  /** Accounts that must deliver; default: only the accounts found. */
  expectedAccounts?: string[];
  /** Regions every account must deliver (the trail's regions); default: every region found in any account. */
  expectedRegions?: string[];
  /** LIST requests at once (default 16). */
  concurrency?: number;
  now?: () => Date;
}

export interface ShardPlan {
  schema: typeof PLAN_SCHEMA;
  plannedAt: string;
  trail: OrganizationTrail;
  days: string[];
  accounts: {
    /** Accounts with a folder under AWSLogs/<o-id>/. */
    listed: string[];
    /** The expected set, or null when none was given. */
    expected: string[] | null;
    /** Expected but no folder at all: the account delivers nothing. */
    missing: string[];
    /** Found but not expected (a closed or moved account, or a wrong expected list). */
    unexpected: string[];
  };
  /** The regions each account is expected to deliver. */
  regions: string[];
  /** Regions found per listed account. */
  regionsByAccount: Record<string, string[]>;
  shards: Shard[];
}

function checkIds(values: string[], pattern: RegExp, what: string, allowed: string): string[] {
  const bad = values.filter((v) => typeof v !== "string" || !pattern.test(v));
  if (bad.length > 0)
    throw new OrgVerificationInputError(
      `${what}: ${bad
        .slice(0, 5)
        .map((v) => JSON.stringify(v))
        .join(", ")} ${bad.length === 1 ? "is" : "are"} not ${allowed}`,
    );
  return [...new Set(values)].sort();
}

export async function planShards(options: PlanOptions): Promise<ShardPlan> {
  if (options.days.length === 0) throw new OrgVerificationInputError("days: at least one day is needed");
  const expectedAccounts = options.expectedAccounts ? checkIds(options.expectedAccounts, ACCOUNT_ID, "expectedAccounts", "12-digit account ids") : null;
  const expectedRegions = options.expectedRegions ? checkIds(options.expectedRegions, REGION_NAME, "expectedRegions", "region names") : null;

  const folders = await options.listing.listAccountFolders(options.trail);
  const listed = [...new Set(folders.filter((f) => ACCOUNT_ID.test(f)))].sort();
  const limiter = new TaskLimiter(options.concurrency ?? 16);
  const regionsByAccount: Record<string, string[]> = {};
  await Promise.all(
    listed.map((accountId) =>
      limiter.run(async () => {
        const regions = await options.store.listDigestRegions(memberTrail(options.trail, accountId));
        regionsByAccount[accountId] = regions.filter((r) => REGION_NAME.test(r)).sort();
      }),
    ),
  );

  const regions = expectedRegions ?? [...new Set(Object.values(regionsByAccount).flat())].sort();
  const accounts = [...new Set([...listed, ...(expectedAccounts ?? [])])].sort();
  const expectedSet = new Set(expectedAccounts ?? listed);
  const shards: Shard[] = [];
  const seen = new Set<string>();
  for (const accountId of accounts) {
    const own = regionsByAccount[accountId] ?? [];
    // An account's own extra regions are verified too (a region enabled outside the trail's list).
    for (const region of [...new Set([...regions, ...own])].sort()) {
      for (const day of options.days) {
        const shard: Shard = { accountId, region, day, listed: own.includes(region), expected: expectedSet.has(accountId) };
        const id = shardId(shard);
        if (seen.has(id)) continue;
        seen.add(id);
        shards.push(shard);
      }
    }
  }
  return {
    schema: PLAN_SCHEMA,
    plannedAt: (options.now?.() ?? new Date()).toISOString(),
    trail: options.trail,
    days: [...options.days],
    accounts: {
      listed,
      expected: expectedAccounts,
      missing: (expectedAccounts ?? []).filter((a) => !listed.includes(a)),
      unexpected: expectedAccounts ? listed.filter((a) => !expectedAccounts.includes(a)) : [],
    },
    regions,
    regionsByAccount,
    shards,
  };
}
