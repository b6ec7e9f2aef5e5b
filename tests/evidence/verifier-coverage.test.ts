/**
 * E13 (issue 12): a truncated export must not verify. CloudTrail delivers a digest every hour in
 * every region a trail logs, with or without log files, so every hour of the period in every
 * region walked or named must be covered by a digest. aws-cli does not check this.
 */
import * as assert from "node:assert/strict";
import { findCoverageFindings, uncoveredSpans, type VerificationResult } from "../../cloudtrail/verify";
import { ChainFixture, makeSigningKey } from "./fixtures";
import { ADAPTERS, kindsAndKeys, verifyVia } from "./helpers";

const START = new Date("2024-03-01T00:00:00Z");
const HOUR = 3_600_000;
const at = (hours: number) => new Date(START.getTime() + hours * HOUR);

function only(result: VerificationResult, kind: string) {
  return result.findings.filter((f) => f.kind === kind);
}

describe("evidence verify: every hour of the period is covered by a digest (E13)", function () {
  const signingKey = makeSigningKey();
  const chain = (digests = 12) => ChainFixture.build({ signingKey, start: START, digests, logsPerDigest: 1 });

  /** The same trail in a second region, merged into one bucket (a multi-region trail). */
  function twoRegions(secondDigests: number, secondStart = START): ChainFixture {
    const a = chain(12);
    const b = ChainFixture.build({ signingKey, start: secondStart, digests: secondDigests, logsPerDigest: 1, region: "us-east-1" });
    for (const [id, object] of b.objects) a.objects.set(id, object);
    return a;
  }

  for (const adapter of ADAPTERS) {
    describe(`via ${adapter}`, function () {
      it("fails when the newest digests of the period were deleted (aws-cli says valid)", async function () {
        const fixture = chain(12);
        for (const d of fixture.digests.slice(-3)) fixture.delete(d.bucket, d.key);
        const result = await verifyVia(adapter, fixture, { start: START, end: at(12) });
        assert.equal(result.valid, false);
        const [tail] = only(result, "uncovered-period");
        assert.ok(tail, JSON.stringify(kindsAndKeys(result)));
        assert.equal(result.findings.length, 1, JSON.stringify(kindsAndKeys(result)));
        assert.match(tail.key, / 2024-03-01T09:00:00Z\.\.2024-03-01T12:00:00Z$/);
        assert.match(tail.message, /up to the end of the period/);
        assert.equal(result.digestsChecked, 9);
        assert.equal(result.logFilesChecked, 9);
      });

      it("a complete period verifies, and the period's last hour needs the digest ending after it only if it reaches there", async function () {
        const fixture = chain(12);
        const result = await verifyVia(adapter, fixture, { start: START, end: at(12) });
        assert.deepEqual(result.findings, []);
        const halfHour = await verifyVia(adapter, fixture, { start: START, end: new Date(at(11).getTime() + 30 * 60_000) });
        assert.deepEqual(halfHour.findings, []);
      });

      it("fails when the period reaches half an hour past the last digest", async function () {
        const fixture = chain(12);
        const result = await verifyVia(adapter, fixture, { start: START, end: new Date(at(12).getTime() + 30 * 60_000) });
        assert.equal(result.valid, false);
        assert.deepEqual(
          result.findings.map((f) => f.kind),
          ["uncovered-period"],
        );
      });

      it("does not require hours whose digest CloudTrail has not delivered yet (within 2 h of now)", async function () {
        const fixture = chain(12);
        const result = await verifyVia(adapter, fixture, { start: START, end: at(13), now: new Date(at(13).getTime() + 30 * 60_000) });
        assert.deepEqual(result.findings, []);
        assert.equal(result.valid, true);
      });

      it("fails for a named region without any digest in the period", async function () {
        const fixture = chain(12);
        const result = await verifyVia(adapter, fixture, { start: START, end: at(12), regions: ["eu-west-1", "us-east-1"] });
        assert.equal(result.valid, false);
        const [missing] = only(result, "uncovered-period");
        assert.ok(missing, JSON.stringify(kindsAndKeys(result)));
        assert.match(missing.key, /CloudTrail-Digest\/us-east-1\//);
        assert.match(missing.message, /region us-east-1/);
        assert.equal(result.digestsChecked, 12);
      });

      it("fails for a discovered region whose digests of the period were all deleted", async function () {
        // us-east-1 keeps digests from before the period only: its folder exists, the period is bare.
        const fixture = twoRegions(3, new Date(START.getTime() - 5 * HOUR));
        const result = await verifyVia(adapter, fixture, { start: START, end: at(12) });
        assert.deepEqual(result.regions, ["eu-west-1", "us-east-1"]);
        assert.equal(result.valid, false);
        assert.deepEqual(
          result.findings.map((f) => [f.kind, f.key.split(" ")[0]]),
          [["uncovered-period", "org-trail/AWSLogs/123456789012/CloudTrail-Digest/us-east-1/"]],
        );
      });

      it("verifies both regions of a multi-region trail when both are complete", async function () {
        const fixture = twoRegions(12);
        const result = await verifyVia(adapter, fixture, { start: START, end: at(12) });
        assert.deepEqual(result.findings, []);
        assert.equal(result.digestsChecked, 24);
        assert.equal(result.logFilesChecked, 24);
      });

      it("reports a trail that started inside the period as information (its first digest has no predecessor)", async function () {
        const fixture = ChainFixture.build({ signingKey, start: at(3), digests: 9, logsPerDigest: 1 });
        const result = await verifyVia(adapter, fixture, { start: START, end: at(12) });
        assert.equal(result.valid, true, JSON.stringify(kindsAndKeys(result)));
        assert.deepEqual(
          result.findings.map((f) => f.kind),
          ["gap"],
        );
        assert.match(result.findings[0].message, /2024-03-01T00:00:00Z\.\.2024-03-01T03:00:00Z/);
      });

      it("fails when the oldest digests of the period were deleted (the survivor still names a predecessor)", async function () {
        const fixture = chain(12);
        for (const d of fixture.digests.slice(0, 4)) fixture.delete(d.bucket, d.key);
        const result = await verifyVia(adapter, fixture, { start: START, end: at(12) });
        assert.equal(result.valid, false);
        assert.deepEqual(result.findings.map((f) => f.kind).sort(), ["digest-missing", "uncovered-period"]);
        assert.match(only(result, "uncovered-period")[0].key, / 2024-03-01T00:00:00Z\.\.2024-03-01T03:00:00Z$/);
      });
    });
  }

  describe("online: compared with the trail's status (GetTrailStatus)", function () {
    it("explains an uncovered tail when the trail stopped logging", async function () {
      const fixture = chain(9);
      const result = await verifyVia("S3", fixture, {
        start: START,
        end: at(12),
        trailStatus: { IsLogging: false, StopLoggingTime: new Date(at(9).getTime() - 10 * 60_000), LatestDigestDeliveryTime: at(9) },
      });
      assert.equal(result.valid, true, JSON.stringify(kindsAndKeys(result)));
      assert.deepEqual(
        result.findings.map((f) => f.kind),
        ["gap"],
      );
      assert.match(result.findings[0].message, /stopped logging at 2024-03-01T08:50:00Z/);
    });

    it("says the newest digests were removed when CloudTrail reports a later delivery", async function () {
      const fixture = chain(12);
      for (const d of fixture.digests.slice(-3)) fixture.delete(d.bucket, d.key);
      const result = await verifyVia("S3", fixture, {
        start: START,
        end: at(12),
        trailStatus: { IsLogging: true, LatestDigestDeliveryTime: new Date(at(12).getTime() + 5 * 60_000) },
      });
      assert.equal(result.valid, false);
      const [tail] = only(result, "uncovered-period");
      assert.match(tail.message, /CloudTrail reports delivering a digest after the newest one found: it was removed/);
      assert.match(tail.message, /LatestDigestDeliveryTime 2024-03-01T12:05:00Z/);
    });

    it("still fails an uncovered tail while the trail is logging", async function () {
      const fixture = chain(9);
      const result = await verifyVia("S3", fixture, { start: START, end: at(12), trailStatus: { IsLogging: true, LatestDigestDeliveryError: "AccessDenied" } });
      assert.equal(result.valid, false);
      assert.match(only(result, "uncovered-period")[0].message, /LatestDigestDeliveryError "AccessDenied"/);
    });
  });

  describe("the pure rule", function () {
    it("merges touching spans and ignores seams under a minute", function () {
      const spans = [
        { start: 0, end: HOUR },
        { start: HOUR + 30_000, end: 2 * HOUR },
        { start: 3 * HOUR, end: 4 * HOUR },
      ];
      assert.deepEqual(uncoveredSpans(spans, 0, 4 * HOUR), [{ start: 2 * HOUR, end: 3 * HOUR }]);
      assert.deepEqual(uncoveredSpans(spans, 0, 5 * HOUR), [
        { start: 2 * HOUR, end: 3 * HOUR },
        { start: 4 * HOUR, end: 5 * HOUR },
      ]);
    });

    it("treats a failing digest's hour as already reported", function () {
      const findings = findCoverageFindings(
        [{ region: "eu-west-1", where: "p/", listed: 2, covered: [{ start: 0, end: HOUR }], accounted: [{ start: HOUR, end: 2 * HOUR }], chainStarts: [] }],
        { start: new Date(0), end: new Date(2 * HOUR), now: new Date(10 * HOUR), trailName: "t" },
      );
      assert.deepEqual(findings, []);
    });
  });
});
