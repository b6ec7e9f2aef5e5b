/**
 * aws-cli's own test scenarios for `aws cloudtrail validate-logs`, replayed on real signed chains
 * through both adapters. Origin: github:aws/aws-cli (commit 07c4fe366b49c4dde816d674f4941134fc432673),
 * tests/unit/customizations/cloudtrail/test_validation.py (create_scenario actions "gap", "link",
 * "invalid", "missing", "bucket_change") and tests/functional/cloudtrail/test_validation.py.
 * Each test names the aws-cli test it mirrors, asserts the verdict and the counts of digests and
 * log files checked, and says where this project is stricter (E13) and why.
 */
import * as assert from "node:assert/strict";
import { digestKeyFor, type VerificationResult } from "../../cloudtrail/verify";
import { LocalExportStore, readPublicKeysFile, S3DigestStore, verifyTrailLogs } from "../../cloudtrail/verify";
import { main } from "../../evidence/cli";
import { exportTrailEvidence } from "../../evidence/export";
import { ChainFixture, gzip, makeSigningKey, makeTempDir, removeDir, type BuiltDigest, type SigningKey } from "./fixtures";
import { ADAPTERS, CapturedIO, kindsAndKeys, mockedAws, verifyVia } from "./helpers";
import { UNRELATED_1024_TEST_KEY_PEM } from "../../testkit/test-keys";

type Action = "gap" | "link" | "invalid" | "missing" | "bucket_change";

const START = new Date("2014-08-10T00:00:00Z");
const HOUR = 3_600_000;
/** Buckets are numbered like aws-cli's scenarios ("1" is where the walk starts, the newest). */
const bucketName = (n: number) => `trail-bucket-${n}`;

interface Scenario {
  fixture: ChainFixture;
  digests: BuiltDigest[];
  /** Period covering every digest exactly (so coverage is complete unless a test breaks it). */
  end: Date;
}

/**
 * Builds a chain oldest first, one hourly digest per action, like create_scenario (which lists
 * them oldest first and walks from the last). "bucket_change" at i: digest i is the first one in
 * a new bucket, its predecessor in the previous one (aws-cli: previousDigestS3Bucket differs).
 */
function scenario(signingKey: SigningKey, actions: Action[], logs: number[] = []): Scenario {
  const changes = actions.filter((a) => a === "bucket_change").length;
  const fixture = ChainFixture.build({ signingKey, start: START, digests: 0, trail: { bucket: bucketName(changes + 1), prefix: undefined } });
  let bucket = changes + 1;
  actions.forEach((action, i) => {
    if (action === "bucket_change") fixture.moveToBucket(bucketName(--bucket));
    fixture.appendDigests({
      signingKey,
      start: START,
      digests: 1,
      logsFor: () => logs[i] ?? 1,
      mutate: (_, doc) => {
        if (action === "gap") {
          for (const f of [
            "previousDigestS3Bucket",
            "previousDigestS3Object",
            "previousDigestHashValue",
            "previousDigestHashAlgorithm",
            "previousDigestSignature",
          ])
            doc[f] = null;
        }
      },
    });
  });
  const digests = fixture.digests;
  actions.forEach((action, i) => {
    const d = digests[i];
    // "invalid": the content no longer matches its signature (DigestError in aws-cli).
    if (action === "invalid") fixture.get(d.bucket, d.key).body = gzip(JSON.stringify({ ...d.doc, logFiles: [] }));
    if (action === "missing") fixture.delete(d.bucket, d.key);
  });
  return { fixture, digests, end: new Date(START.getTime() + actions.length * HOUR) };
}

function kinds(result: VerificationResult): string[] {
  return result.findings.map((f) => f.kind).sort();
}

function assertKinds(result: VerificationResult, expected: Array<[string, string]>): void {
  const sort = (l: Array<[string, string]>) => [...l].sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1));
  assert.deepEqual(sort(kindsAndKeys(result)), sort(expected), JSON.stringify(kindsAndKeys(result), null, 1));
}

describe("aws-cli validate-logs scenarios (E13, issue 15)", function () {
  const signingKey = makeSigningKey(new Date("2014-01-01T00:00:00Z"), new Date("2016-01-01T00:00:00Z"));

  for (const adapter of ADAPTERS) {
    describe(`via ${adapter}`, function () {
      it("['gap','link','link','link'] verifies (test_loads_digests_in_range)", async function () {
        const { fixture, end } = scenario(signingKey, ["gap", "link", "link", "link"]);
        const result = await verifyVia(adapter, fixture, { start: START, end });
        assert.deepEqual(result.findings, []);
        assert.equal(result.valid, true);
        assert.equal(result.digestsChecked, 4);
        assert.equal(result.logFilesChecked, 4);
      });

      it("['gap','link','missing','link']: the deleted digest is reported and the walk continues (test_invokes_cb_and_continues_when_missing)", async function () {
        const { fixture, digests, end } = scenario(signingKey, ["gap", "link", "missing", "link"]);
        const result = await verifyVia(adapter, fixture, { start: START, end });
        assert.equal(result.valid, false);
        assertKinds(result, [["digest-missing", digests[2].key]]);
        // aws-cli: 3 digests collected, the missing one fetched and reported; same here.
        assert.equal(result.digestsChecked, 3);
        assert.equal(result.logFilesChecked, 3);
      });

      it("['gap','link','invalid','link','invalid']: both invalid digests reported, the walk goes on (test_invokes_cb_and_continues_when_invalid)", async function () {
        const { fixture, digests, end } = scenario(signingKey, ["gap", "link", "invalid", "link", "invalid"]);
        const result = await verifyVia(adapter, fixture, { start: START, end });
        assert.equal(result.valid, false);
        // Stricter than aws-cli: digest 3 (authentic) recorded digest 2's hash, which no longer matches.
        assertKinds(result, [
          ["signature-invalid", digests[4].key],
          ["signature-invalid", digests[2].key],
          ["previous-hash-mismatch", digests[2].key],
        ]);
        assert.equal(result.digestsChecked, 5);
        assert.equal(result.logFilesChecked, 3, "log files of the 3 authentic digests only");
      });

      it("['gap','link','gap','gap']: two gaps, reported as information (test_invokes_cb_and_continues_when_gap)", async function () {
        const { fixture, digests, end } = scenario(signingKey, ["gap", "link", "gap", "gap"]);
        const result = await verifyVia(adapter, fixture, { start: START, end });
        assert.equal(result.valid, true);
        assertKinds(result, [
          ["gap", digests[3].key],
          ["gap", digests[2].key],
        ]);
        assert.equal(result.digestsChecked, 4);
        assert.equal(result.logFilesChecked, 4);
      });

      it("['gap','link','bucket_change','link']: follows the chain into the older bucket (test_reloads_objects_on_bucket_change)", async function () {
        const { fixture, digests, end } = scenario(signingKey, ["gap", "link", "bucket_change", "link"]);
        const result = await verifyVia(adapter, fixture, { start: START, end });
        assert.equal(result.valid, true, JSON.stringify(kindsAndKeys(result)));
        assertKinds(result, [["bucket-changed", digests[2].key]]);
        assert.deepEqual(result.buckets, [bucketName(1), bucketName(2)]);
        assert.deepEqual(
          digests.map((d) => d.bucket),
          [bucketName(2), bucketName(2), bucketName(1), bucketName(1)],
          "aws-cli expects ['1','1','2','2'] newest first",
        );
        assert.equal(result.digestsChecked, 4);
        assert.equal(result.logFilesChecked, 4);
      });

      it("['gap','bucket_change','link','bucket_change','link']: follows two bucket changes (test_follows_trails_when_bucket_changes)", async function () {
        const { fixture, digests, end } = scenario(signingKey, ["gap", "bucket_change", "link", "bucket_change", "link"], [0, 1, 0, 0, 0]);
        const result = await verifyVia(adapter, fixture, { start: START, end });
        assert.equal(result.valid, true, JSON.stringify(kindsAndKeys(result)));
        assertKinds(result, [
          ["bucket-changed", digests[3].key],
          ["bucket-changed", digests[1].key],
        ]);
        assert.deepEqual(result.buckets, [bucketName(1), bucketName(2), bucketName(3)]);
        assert.equal(result.digestsChecked, 5);
        assert.equal(result.logFilesChecked, 1);
      });

      it("a single digest with a bad signature is reported, not fatal (test_does_not_hard_fail_on_invalid_signature)", async function () {
        const { fixture, digests, end } = scenario(signingKey, ["gap", "link", "link"]);
        const newest = fixture.get(digests[2].bucket, digests[2].key);
        newest.metadata.signature = "0123" + newest.metadata.signature.slice(4);
        const result = await verifyVia(adapter, fixture, { start: START, end });
        assert.equal(result.valid, false);
        assertKinds(result, [["signature-invalid", digests[2].key]]);
        assert.equal(result.digestsChecked, 3);
        assert.equal(result.logFilesChecked, 2);
      });

      it("a forged middle digest cannot move the stop time: older tampering is still found", async function () {
        const { fixture, digests, end } = scenario(signingKey, ["gap", "link", "link", "link", "link", "link"]);
        // The forger claims digest 3 starts a month before the period and has no predecessor.
        const forged = { ...digests[3].doc, digestStartTime: "2014-07-01T00:00:00Z", previousDigestS3Object: null, previousDigestS3Bucket: null };
        fixture.get(digests[3].bucket, digests[3].key).body = gzip(JSON.stringify(forged));
        const olderLog = digests[1].logKeys[0];
        fixture.get(digests[1].bucket, olderLog).body = gzip('{"Records":[]}');
        const result = await verifyVia(adapter, fixture, { start: START, end });
        assert.equal(result.valid, false);
        assertKinds(result, [
          ["signature-invalid", digests[3].key],
          ["previous-hash-mismatch", digests[3].key],
          ["log-hash-mismatch", olderLog],
        ]);
        assert.equal(result.digestsChecked, 6, "digests 2, 1 and 0 were still walked");
        assert.equal(result.logFilesChecked, 5);
      });

      it("deleted digests (test_warns_when_digest_deleted): the middle one by its pointer, the newest by coverage", async function () {
        const { fixture, digests, end } = scenario(signingKey, ["gap", "missing", "link", "missing"]);
        const result = await verifyVia(adapter, fixture, { start: START, end });
        assert.equal(result.valid, false);
        // aws-cli sees the newest deletion only because its mock still lists the key; from a real
        // listing the key is gone too, and only the hourly coverage rule catches it (E13).
        const tail = result.findings.find((f) => f.kind === "uncovered-period");
        assert.ok(tail, JSON.stringify(kindsAndKeys(result)));
        assert.match(tail.message, /2014-08-10T03:00:00Z\.\.2014-08-10T04:00:00Z, up to the end of the period/);
        assert.deepEqual(kinds(result), ["digest-missing", "uncovered-period"]);
        assert.equal(result.findings.find((f) => f.kind === "digest-missing")?.key, digests[1].key);
        assert.equal(result.digestsChecked, 2);
        assert.equal(result.logFilesChecked, 2);
      });

      it("digests without log files verify and check no log file (create_digest logs=[])", async function () {
        const { fixture, end } = scenario(signingKey, ["gap", "link", "link"], [0, 0, 0]);
        const result = await verifyVia(adapter, fixture, { start: START, end });
        assert.deepEqual(result.findings, []);
        assert.equal(result.digestsChecked, 3);
        assert.equal(result.logFilesChecked, 0);
      });

      it("no digest in the range is a failure here (aws-cli: 'No digests found', exit 0): stricter, E13", async function () {
        const { fixture } = scenario(signingKey, ["gap", "link"]);
        const result = await verifyVia(adapter, fixture, { start: new Date("2015-01-01T00:00:00Z"), end: new Date("2015-01-02T00:00:00Z") });
        assert.equal(result.valid, false);
        assert.deepEqual(kinds(result), ["no-digests"]);
        assert.equal(result.digestsChecked, 0);
        assert.equal(result.logFilesChecked, 0);
      });

      it("an unparseable public key fails each digest naming it (test_does_not_expose_underlying_key_decoding_error)", async function () {
        const { fixture, digests, end } = scenario(signingKey, ["gap", "link"]);
        const junk = { ...signingKey.record, Value: Buffer.from("ffaa00").toString("base64") };
        const result = await verifyVia(adapter, fixture, { start: START, end, publicKeys: [junk] });
        assert.equal(result.valid, false);
        assertKinds(
          result,
          digests.map((d): [string, string] => ["public-key-invalid", d.key]),
        );
        assert.equal(result.digestsChecked, 2);
        assert.equal(result.logFilesChecked, 0);
      });

      it("a fingerprint not among the keys fails standard and backfill digests alike (test_fails_when_digest_public_key_not_found)", async function () {
        const { fixture, digests, end } = scenario(signingKey, ["gap"]);
        const backfill = fixture.addBackfillDigest(new Date(START.getTime() + 50 * 60_000), new Date(START.getTime() + 2 * HOUR), signingKey, 1);
        const wrong = makeSigningKey(new Date("2014-01-01T00:00:00Z"), new Date("2016-01-01T00:00:00Z"), UNRELATED_1024_TEST_KEY_PEM);
        const result = await verifyVia(adapter, fixture, { start: START, end, publicKeys: [wrong.record] });
        assert.equal(result.valid, false);
        assertKinds(result, [
          ["unknown-key", digests[0].key],
          ["unknown-key", backfill.key],
        ]);
        assert.equal(result.digestsChecked, 2);
        assert.equal(result.logFilesChecked, 0);
      });

      it("no public keys for the period (test_ensures_public_keys_are_loaded)", async function () {
        const { fixture, end } = scenario(signingKey, ["gap", "link"]);
        const result = await verifyVia(adapter, fixture, { start: START, end, publicKeys: [] });
        assert.equal(result.valid, false);
        assert.deepEqual(kinds(result), ["no-public-keys"]);
        assert.equal(result.digestsChecked, 2);
        assert.equal(result.logFilesChecked, 0);
      });

      it("standard and backfill chains are both walked (test_traverse_mixed_standard_and_backfill_digests)", async function () {
        const { fixture, end } = scenario(signingKey, ["gap", "link", "link"]);
        const b0 = fixture.addBackfillDigest(new Date(START.getTime() + 40 * 60_000), new Date(START.getTime() + 5 * HOUR), signingKey, 1);
        const b1 = fixture.addBackfillDigest(new Date(START.getTime() + 100 * 60_000), new Date(START.getTime() + 5 * HOUR), signingKey, 1, b0);
        fixture.addBackfillDigest(new Date(START.getTime() + 160 * 60_000), new Date(START.getTime() + 5 * HOUR), signingKey, 1, b1);
        const result = await verifyVia(adapter, fixture, { start: START, end });
        assert.deepEqual(result.findings, []);
        assert.equal(result.digestsChecked, 6);
        assert.equal(result.logFilesChecked, 6);
      });

      it("a backfill digest whose previous pointer names a standard digest verifies (kind decided per key)", async function () {
        // Period starts after the standard digest the backfill points to: it is reached only
        // through the backfill chain, and must be read as the standard digest its key says it is.
        const { fixture, digests } = scenario(signingKey, ["gap", "link", "link", "link"]);
        const backfill = fixture.addBackfillDigest(new Date(START.getTime() + 210 * 60_000), new Date(START.getTime() + 5 * HOUR), signingKey, 1, digests[0]);
        const start = new Date(START.getTime() + 2 * HOUR);
        const result = await verifyVia(adapter, fixture, { start, end: new Date(START.getTime() + 4 * HOUR) });
        assert.equal(result.valid, true, JSON.stringify(kindsAndKeys(result)));
        assert.deepEqual(result.findings, []);
        // Standard digests ending 02:00..04:00 (3), the backfill one, and the standard digest 0 it points to.
        assert.equal(result.digestsChecked, 5);
        assert.equal(result.logFilesChecked, 5);
        assert.ok(backfill.doc.previousDigestS3Object === digests[0].key);
      });
    });
  }

  describe("export of a trail whose bucket changed twice", function () {
    it("copies every bucket's digests, and the copy verifies offline exactly as online", async function () {
      const { fixture, end } = scenario(signingKey, ["gap", "bucket_change", "link", "bucket_change", "link"], [1, 1, 1, 1, 1]);
      const aws = mockedAws();
      fixture.serve(aws.s3Mock, aws.cloudTrailMock);
      const store = new S3DigestStore({ s3: aws.s3, cloudTrailFor: () => aws.cloudTrail });
      const out = await makeTempDir("awscli-export");
      try {
        const exported = await exportTrailEvidence({
          store,
          trail: fixture.trail,
          start: START,
          end,
          out,
          regions: ["eu-west-1"],
          now: () => new Date("2030-01-01T00:00:00Z"),
        });
        assert.equal(exported.digests, 5);
        assert.equal(exported.logFiles, 5);
        assert.deepEqual(exported.missing, []);
        const local = new LocalExportStore(out, await readPublicKeysFile(`${out}/public-keys.json`));
        const offline = await verifyTrailLogs({ store: local, trail: fixture.trail, start: START, end, now: () => new Date("2030-01-01T00:00:00Z") });
        assert.equal(offline.valid, true, JSON.stringify(kindsAndKeys(offline)));
        assert.deepEqual(kinds(offline), ["bucket-changed", "bucket-changed"]);
        assert.equal(offline.digestsChecked, 5);
        assert.equal(offline.logFilesChecked, 5);
      } finally {
        await removeDir(out);
      }
    });
  });

  describe("verify --dir on an export whose trail changed buckets", function () {
    it("exits 0 (not 2), reports the changes as information and walks every bucket", async function () {
      const { fixture, digests, end } = scenario(signingKey, ["gap", "bucket_change", "link", "bucket_change", "link"]);
      const dir = await makeTempDir("awscli-bucket-change");
      try {
        await fixture.writeExport(dir);
        const io = new CapturedIO();
        const code = await main(
          ["verify", "--dir", dir, "--public-keys", `${dir}/public-keys.json`, "--start", START.toISOString(), "--end", end.toISOString(), "--json"],
          io,
          { now: () => new Date("2030-01-01T00:00:00Z") },
        );
        assert.equal(code, 0, io.err + io.out);
        const parsed = JSON.parse(io.out);
        assert.equal(parsed.valid, true);
        assert.equal(parsed.digestsChecked, 5);
        assert.deepEqual(
          parsed.findings.map((f: { kind: string; key: string }) => [f.kind, f.key]),
          [
            ["bucket-changed", digests[3].key],
            ["bucket-changed", digests[1].key],
          ],
        );
        assert.deepEqual(
          parsed.trustedPublicKeys.map((k: { fingerprint: string }) => k.fingerprint),
          [signingKey.fingerprint],
        );
      } finally {
        await removeDir(dir);
      }
    });
  });

  it("digestKeyFor names keys the way aws-cli's scenarios do (AWSLogs/<account>/CloudTrail-Digest/<region>/<ymd>/...)", function () {
    const key = digestKeyFor({ bucket: "1", accountId: "123456789012", trailName: "foo", homeRegion: "us-east-1" }, "us-east-1", START);
    // aws-cli MockDigestProvider.get_key_at_position(0)
    assert.equal(
      key,
      "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2014/08/10/123456789012_CloudTrail-Digest_us-east-1_foo_us-east-1_20140810T000000Z.json.gz",
    );
  });
});
