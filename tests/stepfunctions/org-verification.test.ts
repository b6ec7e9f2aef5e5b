// Issue 11: the organisation verification state machine executed by aws-local-stepfunctions, each
// Task bound to the project's handlers, against a real S3 API (s3rver on 127.0.0.1) holding a
// synthetic organisation of 4 accounts x 3 regions x 2 days with tampering in two shards: retries,
// a failing planner, the named states (the 120-shard execution is in org-scale.test.ts).
import { strict as assert } from "node:assert";
import { STATE_NAMES, THROTTLED_ERROR } from "../../cloudtrail/org/state-machine";
import type { OrgReviewRecord } from "../../cloudtrail/org/reducer";
import { StateMachineError } from "../../handlers/org-verification/config";
import { runLocally } from "../../testkit/local-sfn";
import { DIGESTS_PER_DAY, handlersFor, LOCAL_DEFINITION, readJson, REGIONS, SECOND_DAY, shardOf, smallOrgWorld, type ReducerOutput } from "./org-setup";

describe("organisation verification on the local Step Functions engine (issue 11)", function () {
  this.timeout(120_000);

  it("retries a shard whose Lambda throws, then reports it as not verified (never dropped); a throttled shard is retried and kept", async () => {
    // Retries do not depend on the scale: the small organisation (4 accounts x 3 regions).
    const w = await smallOrgWorld();
    const perDay = w.org.accounts.length * REGIONS.length;
    const broken = `${w.org.accounts[3]}/ap-southeast-2/${SECOND_DAY}`;
    const throttled = `${w.org.accounts[0]}/eu-west-1/${SECOND_DAY}`;
    const attempts = new Map<string, number>();
    const h = handlersFor(w, (inner) => async (event) => {
      const s = (event as { shard: { accountId: string; region: string; day: string } }).shard;
      const id = `${s.accountId}/${s.region}/${s.day}`;
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      if (id === broken) throw new TypeError("Cannot read properties of undefined (reading 'Body')");
      if (id === throttled && attempt <= 2) throw new StateMachineError(THROTTLED_ERROR, "SlowDown: Please reduce your request rate.");
      return inner(event);
    });
    const out = (await runLocally({
      definition: LOCAL_DEFINITION,
      s3: w.s3.client,
      ...h,
      input: { first: SECOND_DAY },
      executionName: "broken-shard",
    })) as ReducerOutput;
    // 1 attempt + MaxAttempts 2 of the States.TaskFailed retrier; the throttled one succeeded on its third.
    assert.equal(attempts.get(broken), 3);
    assert.equal(attempts.get(throttled), 3);
    assert.equal(attempts.size, perDay, "every shard of the day ran");
    assert.deepEqual(out.shards, { planned: perDay, verified: perDay - 1, invalid: 1, notVerified: 1, unreported: 0, unplanned: 0 });
    const record = (await readJson(w.s3.client, w.org.trail.bucket, out.recordKey)) as OrgReviewRecord;
    const notVerified = record.findings.filter((f) => f.kind === "shard-not-verified");
    assert.deepEqual(
      notVerified.map((f) => f.key),
      [broken],
    );
    assert.match(notVerified[0].message, /TypeError: Cannot read properties of undefined/);
    assert.equal(record.perShard.find((s) => shardOf(s) === broken)?.status, "error");
    const kept = record.perShard.find((s) => shardOf(s) === throttled);
    assert.deepEqual([kept?.status, kept?.valid, kept?.logFilesChecked], ["verified", true, DIGESTS_PER_DAY + 1]);
    // The tampered shard of that day is still reported beside it.
    assert.deepEqual(record.findings.filter((f) => f.kind === "integrity").map(shardOf), [w.tampering.deletedDigest.shard]);
  });

  it("a planner that fails still leaves a record that says so, and an alert", async () => {
    const w = await smallOrgWorld();
    const h = handlersFor(w);
    const out = (await runLocally({
      definition: LOCAL_DEFINITION,
      s3: w.s3.client,
      ...h,
      input: { first: "2026-02-30" },
      executionName: "bad-input",
    })) as ReducerOutput;
    assert.equal(out.outcome, "attention");
    const record = (await readJson(w.s3.client, w.org.trail.bucket, out.recordKey)) as OrgReviewRecord;
    assert.deepEqual(
      record.findings.map((f) => f.kind),
      ["verification-failed"],
    );
    assert.match(record.findings[0].message, /OrgVerify\.InputError: first day: "2026-02-30" is not a calendar day \(allowed: YYYY-MM-DD\)/);
    assert.equal(h.published.length, 1);
  });

  it("is the state machine the definition says: the local run passed through each named state", () => {
    // Guards the emulation: the states the tests bind are the deployed definition's own.
    assert.deepEqual(Object.keys(LOCAL_DEFINITION.States).sort(), [STATE_NAMES.map, STATE_NAMES.plan, STATE_NAMES.reduce, STATE_NAMES.reviewFailed].sort());
  });
});
