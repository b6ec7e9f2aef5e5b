// Issue 11 at its scale: a synthetic organisation of 20 accounts x 3 regions x 2 days (120 shards)
// in s3rver on 127.0.0.1, with tampering planted in exactly two shards, verified end to end by
// the local fan-out (`evidence verify --all-accounts`) and by the state machine executed on the
// local Step Functions engine with each Task bound to the project's handlers. Both runs share one
// seeded organisation (one file: in parallel mode each worker would seed its own); the behaviour
// at smaller scale (retries, missing accounts, bad input) is in org-core and org-verification.
import { strict as assert } from "node:assert";
import { verifyOrganization, type ShardProgress } from "../../cloudtrail/org/fanout";
import type { OrgReviewRecord } from "../../cloudtrail/org/reducer";
import { S3OrganizationListing } from "../../cloudtrail/org/s3-ports";
import { runLocally } from "../../testkit/local-sfn";
import {
  DIGESTS_PER_DAY,
  FIRST_DAY,
  handlersFor,
  keysUnder,
  LOCAL_DEFINITION,
  orgWorld,
  readJson,
  REGIONS,
  RESULTS_BUCKET,
  SECOND_DAY,
  shardOf,
  type ReducerOutput,
} from "./org-setup";

describe("organisation verification at scale: 120 shards, two tampered (issue 11)", function () {
  this.timeout(120_000);

  it("local fan-out: bounded concurrency, progress per shard, exactly the two tampered shards, one key lookup per region and day", async () => {
    const w = await orgWorld();
    const events: ShardProgress[] = [];
    let inFlight = 0;
    let peak = 0;
    const before = w.publicKeyCalls.count;
    const run = await verifyOrganization({
      store: w.store(),
      listing: new S3OrganizationListing(w.s3.client),
      trail: w.org.trail,
      days: [FIRST_DAY, SECOND_DAY],
      concurrency: 6,
      now: () => new Date("2026-03-03T02:00:00Z"),
      onShard: (p) => {
        events.push(p);
        if (p.phase === "start") peak = Math.max(peak, ++inFlight);
        if (p.phase === "done") inFlight--;
      },
    });
    assert.equal(run.plan.shards.length, 120);
    assert.ok(peak <= 6 && peak > 1, `at most 6 shards at once (saw ${peak})`);
    const done = events.filter((e) => e.phase === "done");
    assert.equal(done.length, 120);
    assert.deepEqual(
      done.map((e) => e.done),
      Array.from({ length: 120 }, (_, i) => i + 1),
    );
    assert.deepEqual(run.record.shards, { planned: 120, verified: 120, invalid: 2, notVerified: 0, unreported: 0, unplanned: 0 });
    assert.deepEqual(
      run.record.findings.map((f) => `${f.verifierKind} ${f.accountId}/${f.region}/${f.day}`).sort(),
      [`digest-missing ${w.tampering.deletedDigest.shard}`, `log-hash-mismatch ${w.tampering.alteredLog.shard}`].sort(),
    );
    assert.equal(run.record.run.engine, "local");
    assert.equal(w.publicKeyCalls.count - before, REGIONS.length * 2, "ListPublicKeys once per region and day, not once per shard");
  });

  it("reports exactly the two tampered shards of 120, in one record under review/ and one alert", async () => {
    const w = await orgWorld();
    const h = handlersFor(w);
    const out = (await runLocally({
      definition: LOCAL_DEFINITION,
      s3: w.s3.client,
      ...h,
      input: { first: FIRST_DAY, last: "2026-03-02" },
      executionName: "clean-run",
    })) as ReducerOutput;

    assert.equal(out.outcome, "attention");
    assert.deepEqual(out.shards, { planned: 120, verified: 120, invalid: 2, notVerified: 0, unreported: 0, unplanned: 0 });
    assert.match(out.recordKey, /^review\/2026\/03\/01\/organization-review-2026-03-03T01:45:00Z-clean-run\.json$/);

    const record = (await readJson(w.s3.client, w.org.trail.bucket, out.recordKey)) as OrgReviewRecord;
    assert.equal(record.schema, "audit-organization-review/v1");
    assert.equal(record.organizationId, "o-abcdef1234");
    assert.deepEqual(record.reviewedPeriod.days, ["2026-03-01", "2026-03-02"]);
    assert.deepEqual(record.regions, ["ap-southeast-2", "eu-west-1", "us-east-1"]);
    assert.equal(record.accounts.listed.length, 20);
    const invalid = record.perShard
      .filter((s) => !s.valid)
      .map(shardOf)
      .sort();
    assert.deepEqual(invalid, [w.tampering.alteredLog.shard, w.tampering.deletedDigest.shard].sort());
    const byKind = record.findings.map((f) => `${f.kind}:${f.verifierKind}:${shardOf(f)}:${f.key}`).sort();
    assert.deepEqual(
      byKind,
      [
        `integrity:digest-missing:${w.tampering.deletedDigest.shard}:${w.tampering.deletedDigest.key}`,
        `integrity:log-hash-mismatch:${w.tampering.alteredLog.shard}:${w.tampering.alteredLog.key}`,
      ].sort(),
    );
    // Every other shard walked its whole day: DIGESTS_PER_DAY digests and their log files, and on the second day
    // also the first day's last digest, whose link across midnight it checks.
    const clean = record.perShard.filter((s) => s.valid);
    assert.equal(clean.length, 118);
    assert.deepEqual(
      [...new Set(clean.filter((s) => s.day === FIRST_DAY).map((s) => `${s.digestsChecked}/${s.logFilesChecked}`))],
      [`${DIGESTS_PER_DAY}/${DIGESTS_PER_DAY}`],
    );
    assert.deepEqual(
      [...new Set(clean.filter((s) => s.day !== FIRST_DAY).map((s) => `${s.digestsChecked}/${s.logFilesChecked}`))],
      [`${DIGESTS_PER_DAY + 1}/${DIGESTS_PER_DAY + 1}`],
    );
    assert.ok(record.run.mapRunArn?.includes(":mapRun:"), "the record names the Map Run");

    assert.equal(h.published.length, 1);
    const alert = JSON.parse(h.published[0].message);
    assert.equal(alert.kind, "daily-review");
    assert.equal(alert.scope, "organization");
    assert.equal(alert.recordKey, out.recordKey);
    assert.deepEqual(alert.findings.map((f: { kind: string }) => f.kind).sort(), ["integrity:digest-missing", "integrity:log-hash-mismatch"]);
    assert.equal(h.published[0].topicArn, w.env.ALERT_TOPIC_ARN);

    // The planner's ItemReader array and the (emulated) ResultWriter output are in the results bucket.
    const working = await keysUnder(w.s3.client, RESULTS_BUCKET, "runs/clean-run/");
    assert.ok(working.includes("runs/clean-run/shards.json") && working.includes("runs/clean-run/plan.json"));
    assert.ok(working.some((k) => /^runs\/clean-run\/results\/[0-9a-f-]+\/manifest\.json$/.test(k)));
  });
});
