// Issue 11: the pure core around the engine (planner, reducer, ResultWriter reading, local fan-out)
// and the handlers' answers to bad input, on the 4-account synthetic organisation in s3rver (the
// 120-shard runs are in org-scale.test.ts).
import { strict as assert } from "node:assert";
import { verifyOrganization } from "../../cloudtrail/org/fanout";
import { S3OrganizationListing, collectResultWriterOutput, type JsonObjects } from "../../cloudtrail/org/s3-ports";
import { reduceShardResults } from "../../cloudtrail/org/reducer";
import { PLAN_SCHEMA, type ShardPlan } from "../../cloudtrail/org/planner";
import { shardErrorResult, verifyShard, type ShardResult } from "../../cloudtrail/org/shard-verifier";
import { daysBetween, previousDay } from "../../cloudtrail/org/shards";
import { INPUT_ERROR, THROTTLED_ERROR, TRANSIENT_ERROR } from "../../cloudtrail/org/state-machine";
import { classifyError, parseExpectedRegions } from "../../handlers/org-verification/config";
import { createPlannerHandler } from "../../handlers/org-verification/planner";
import { createShardHandler } from "../../handlers/org-verification/shard";
import { s3JsonObjects } from "../../cloudtrail/org/s3-ports";
import type { DigestStore } from "../../cloudtrail/verify/store";
import { FIRST_DAY, REGIONS, smallOrgWorld } from "./org-setup";

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection");
}

describe("organisation verification core (issue 11)", function () {
  this.timeout(120_000);

  it("a missing account and a missing region are findings of their own, and their shards say no-digests", async () => {
    const w = await smallOrgWorld();
    const ghost = "999999999999";
    const accounts = w.org.accounts.length;
    const run = await verifyOrganization({
      store: w.store(),
      listing: new S3OrganizationListing(w.s3.client),
      trail: w.org.trail,
      days: [FIRST_DAY],
      expectedAccounts: [...w.org.accounts, ghost],
      expectedRegions: [...REGIONS, "eu-central-1"],
      concurrency: 8,
    });
    assert.deepEqual(run.plan.accounts.missing, [ghost]);
    assert.equal(run.plan.shards.length, (accounts + 1) * 4);
    const kinds = (k: string) => run.record.findings.filter((f) => f.kind === k);
    assert.deepEqual(
      kinds("account-not-delivering").map((f) => f.key),
      [ghost],
    );
    assert.equal(kinds("region-not-delivering").length, accounts);
    assert.ok(kinds("region-not-delivering").every((f) => f.region === "eu-central-1"));
    const noDigests = kinds("integrity").filter((f) => f.verifierKind === "no-digests");
    // The ghost's 4 regions and every account's eu-central-1.
    assert.equal(noDigests.length, 4 + accounts);
    // The small organisation's altered log of the first day is still found beside them.
    assert.deepEqual(
      kinds("integrity")
        .filter((f) => f.verifierKind !== "no-digests")
        .map((f) => `${f.verifierKind} ${f.accountId}/${f.region}/${f.day}`),
      [`log-hash-mismatch ${w.tampering.alteredLog.shard}`],
    );
    assert.equal(run.record.outcome, "attention");
  });

  it("local fan-out: a shard that throws is retried with backoff, then reported, never dropped", async () => {
    const w = await smallOrgWorld();
    const broken = `${w.org.accounts[3]}/us-east-1/${FIRST_DAY}`;
    const sleeps: number[] = [];
    const run = await verifyOrganization({
      store: w.store(),
      listing: new S3OrganizationListing(w.s3.client),
      trail: w.org.trail,
      days: [FIRST_DAY],
      concurrency: 8,
      maxAttempts: 3,
      retryBaseMs: 100,
      sleep: async (ms) => void sleeps.push(ms),
      verify: async (o) => {
        if (`${o.shard.accountId}/${o.shard.region}/${o.shard.day}` === broken) throw Object.assign(new Error("socket hang up"), { name: "TimeoutError" });
        return verifyShard(o);
      },
    });
    assert.deepEqual(sleeps, [100, 200]);
    assert.deepEqual(
      run.record.findings.filter((f) => f.kind === "shard-not-verified").map((f) => f.key),
      [broken],
    );
    assert.match(run.record.findings.find((f) => f.kind === "shard-not-verified")!.message, /TimeoutError: socket hang up \(after 3 attempt\(s\)\)/);
    assert.equal(run.record.shards.notVerified, 1);
    assert.equal(run.record.shards.planned, w.org.accounts.length * REGIONS.length);
    assert.equal(run.record.shards.verified, w.org.accounts.length * REGIONS.length - 1);
  });

  it("reducer: a planned shard without a result is unreported; an unplanned result is flagged; a verified retry beats an error", () => {
    const shard = (accountId: string, region = "eu-west-1") => ({ accountId, region, day: FIRST_DAY, listed: true, expected: true });
    const plan: ShardPlan = {
      schema: PLAN_SCHEMA,
      plannedAt: "2026-03-02T01:30:00.000Z",
      trail: { bucket: "b-logs", organizationId: "o-abcdef1234", trailName: "org-trail", homeRegion: "eu-west-1" },
      days: [FIRST_DAY],
      accounts: { listed: ["111111111111", "222222222222", "333333333333"], expected: null, missing: [], unexpected: [] },
      regions: ["eu-west-1"],
      regionsByAccount: { "111111111111": ["eu-west-1"], "222222222222": ["eu-west-1"], "333333333333": ["eu-west-1"] },
      shards: [shard("111111111111"), shard("222222222222"), shard("333333333333")],
    };
    const ok = (s: ReturnType<typeof shard>): ShardResult => ({
      ...shardErrorResult(s, "", ""),
      status: "verified",
      valid: true,
      error: undefined,
      digestsChecked: 4,
      logFilesChecked: 4,
    });
    const record = reduceShardResults({
      plan,
      results: [
        shardErrorResult(shard("111111111111"), "States.Timeout", "took too long"),
        ok(shard("111111111111")),
        ok(shard("222222222222")),
        ok(shard("444444444444")),
      ],
      run: { id: "exec-1", engine: "step-functions" },
      now: () => new Date("2026-03-02T02:00:00Z"),
    });
    assert.deepEqual(record.shards, { planned: 3, verified: 2, invalid: 0, notVerified: 0, unreported: 1, unplanned: 1 });
    assert.deepEqual(record.findings.map((f) => `${f.kind} ${f.key}`).sort(), [
      `shard-unplanned 444444444444/eu-west-1/${FIRST_DAY}`,
      `shard-unreported 333333333333/eu-west-1/${FIRST_DAY}`,
    ]);
    assert.equal(record.outcome, "attention");
    assert.equal(record.reviewedPeriod.end, "2026-03-02T00:00:00Z");
  });

  it("reads ResultWriter output: SUCCEEDED outputs, FAILED children as errors of their shard, unreadable entries kept", async () => {
    const shard = { accountId: "111111111111", region: "eu-west-1", day: FIRST_DAY, listed: true, expected: true };
    const good: ShardResult = { ...shardErrorResult({ ...shard, accountId: "222222222222" }, "", ""), status: "verified", valid: true, error: undefined };
    const files: Record<string, unknown> = {
      "r/map-1/manifest.json": {
        DestinationBucket: "res",
        MapRunArn: "arn:aws:states:eu-west-1:111111111111:mapRun:sm/OrgShards:1",
        ResultFiles: { SUCCEEDED: [{ Key: "r/map-1/SUCCEEDED_0.json" }], FAILED: [{ Key: "r/map-1/FAILED_0.json" }], PENDING: [] },
      },
      "r/map-1/SUCCEEDED_0.json": [{ ExecutionArn: "e1", Status: "SUCCEEDED", Input: JSON.stringify({ shard: good.shard }), Output: JSON.stringify(good) }],
      "r/map-1/FAILED_0.json": [
        { ExecutionArn: "e2", Status: "FAILED", Input: JSON.stringify({ shard }), Error: "States.Timeout", Cause: "child execution timed out" },
        { ExecutionArn: "e3", Status: "FAILED", Input: "not json" },
      ],
    };
    const objects: JsonObjects = { put: async () => undefined, get: async (_b, key) => files[key] };
    const collected = await collectResultWriterOutput(objects, { ResultWriterDetails: { Bucket: "res", Key: "r/map-1/manifest.json" } });
    assert.equal(collected.mapRunArn, "arn:aws:states:eu-west-1:111111111111:mapRun:sm/OrgShards:1");
    assert.deepEqual(
      collected.results.map((r) => `${r.shard.accountId} ${r.status} ${r.error?.error ?? ""}`),
      ["222222222222 verified ", "111111111111 error States.Timeout"],
    );
    assert.equal(collected.unreadable.length, 1);
    assert.match(collected.unreadable[0], /^e3 in s3:\/\/res\/r\/map-1\/FAILED_0\.json: neither a shard result nor a shard input$/);
  });

  it("periods: yesterday by default; bad days and over-long periods are refused with what is allowed", () => {
    assert.equal(previousDay(new Date("2026-03-03T01:30:00Z")), "2026-03-02");
    assert.deepEqual(daysBetween("2026-02-27", "2026-03-01", 366), ["2026-02-27", "2026-02-28", "2026-03-01"]);
    assert.throws(() => daysBetween("2026-03-02", "2026-03-01", 366), /last day 2026-03-01 is before first day 2026-03-02/);
    assert.throws(() => daysBetween("2025-01-01", "2026-03-01", 366), /425 days from 2025-01-01 to 2026-03-01; at most 366 days per run/);
    assert.throws(() => daysBetween("2026-3-1", "2026-03-01", 366), /first day: "2026-3-1" is not a UTC day \(allowed: YYYY-MM-DD\)/);
  });

  it("handlers refuse bad events and configuration by name (OrgVerify.InputError, never retried)", async () => {
    const w = await smallOrgWorld();
    const shard = createShardHandler({ env: w.env, store: w.store(), objects: s3JsonObjects(w.s3.client) });
    const noShard = await rejection(shard({ run: { runId: "r", trail: w.org.trail, plannedAt: "2026-03-03T01:30:00Z", results: {} } }));
    assert.equal(noShard.name, INPUT_ERROR);
    assert.match(noShard.message, /^shard: expected an object \{accountId, region, day, listed, expected\}/);
    const badAccount = await rejection(
      shard({ shard: { accountId: "12", region: "eu-west-1", day: FIRST_DAY }, run: { runId: "r", trail: w.org.trail, plannedAt: "2026-03-03T01:30:00Z" } }),
    );
    assert.match(badAccount.message, /accountId: "12" is not a 12-digit account id/);
    const badTrail = await rejection(
      shard({
        shard: { accountId: "111111111111", region: "eu-west-1", day: FIRST_DAY },
        run: { runId: "r", trail: { ...w.org.trail, organizationId: "org-1" }, plannedAt: "x" },
      }),
    );
    assert.match(badTrail.message, /run\.trail: organizationId: "org-1" is not an organization id/);

    const { ORGANIZATION_ID: _omit, ...noOrg } = w.env;
    const planner = createPlannerHandler({ env: noOrg, s3: w.s3.client });
    const missing = await rejection(planner({}));
    assert.equal(missing.name, INPUT_ERROR);
    assert.equal(missing.message, "ORGANIZATION_ID is not set; expected the organization id, o- followed by 10-32 lowercase letters or digits");
    const unknown = await rejection(createPlannerHandler({ env: w.env, s3: w.s3.client })({ executionName: "x", input: { firstDay: FIRST_DAY } }));
    assert.match(unknown.message, /input\.firstDay: unknown field \(allowed: first, last, expectedAccounts, expectedRegions\)/);
    assert.throws(
      () => parseExpectedRegions({ EXPECTED_REGIONS: '["eu-west-1","mars-1"]' }),
      /EXPECTED_REGIONS is \["eu-west-1","mars-1"\]; expected a non-empty JSON array of region names/,
    );
  });

  it("throttling is retried, not reported: a SlowDown read-error makes the shard throw OrgVerify.Throttled", async () => {
    const w = await smallOrgWorld();
    const inner = w.store();
    const slow: DigestStore = {
      ...inner,
      listDigestRegions: (t) => inner.listDigestRegions(t),
      listDigestKeys: (t, r, s, e) => inner.listDigestKeys(t, r, s, e),
      listPublicKeys: (r, s, e) => inner.listPublicKeys(r, s, e),
      openLogStream: (b, k) => inner.openLogStream(b, k),
      getDigest: async () => {
        throw Object.assign(new Error("Please reduce your request rate."), { name: "SlowDown", $metadata: { httpStatusCode: 503 } });
      },
    };
    const shard = createShardHandler({ env: w.env, store: slow, objects: s3JsonObjects(w.s3.client) });
    const err = await rejection(
      shard({
        shard: { accountId: w.org.accounts[0], region: "eu-west-1", day: FIRST_DAY },
        run: { runId: "r", trail: w.org.trail, plannedAt: "2026-03-03T01:30:00Z" },
      }),
    );
    assert.equal(err.name, THROTTLED_ERROR);
    assert.match(err.message, /SlowDown: Please reduce your request rate/);
    assert.equal(classifyError(Object.assign(new Error("x"), { name: "KMSInternalException" })).name, TRANSIENT_ERROR);
    assert.equal(classifyError(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" })).name, THROTTLED_ERROR);
    assert.equal(classifyError(new TypeError("bug")).name, "TypeError");
  });
});
