import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { digestKeyFor, sha256Hex, type VerificationResult } from "../../cloudtrail/verify";
import { ChainFixture, gzip, makeSigningKey, testPrivateKey, type SigningKey } from "./fixtures";
import { LATE_BACKFILL_TEST_KEY_PEM, UNRELATED_1024_TEST_KEY_PEM } from "../../testkit/test-keys";
import { ADAPTERS, corruptHex, kindsAndKeys, verifyVia } from "./helpers";

const START = new Date("2024-03-01T00:00:00Z");
const SIX_HOURS_LATER = new Date("2024-03-01T06:00:00Z");

function assertFinding(result: VerificationResult, kind: string, key: string): void {
  const match = result.findings.find((f) => f.kind === kind && f.key === key);
  assert.ok(match, `expected a ${kind} finding for ${key}; got ${JSON.stringify(kindsAndKeys(result), null, 1)}`);
  assert.ok(match.message.length > 20, "the message explains the finding");
}

function assertOnlyKinds(result: VerificationResult, kinds: string[]): void {
  assert.deepEqual([...new Set(result.findings.map((f) => f.kind))].sort(), [...new Set(kinds)].sort(), JSON.stringify(kindsAndKeys(result), null, 1));
}

describe("evidence verify: digest chain walk", function () {
  let signingKey: SigningKey;

  before(function () {
    signingKey = makeSigningKey();
  });

  function sixHourChain(extra: Partial<Parameters<typeof ChainFixture.build>[0]> = {}): ChainFixture {
    return ChainFixture.build({ signingKey, start: START, digests: 6, logsPerDigest: 2, ...extra });
  }

  for (const adapter of ADAPTERS) {
    describe(`via ${adapter}`, function () {
      it("verifies a clean multi-day chain of hourly digests", async function () {
        const fixture = ChainFixture.build({ signingKey, start: START, digests: 72, logsPerDigest: 1 });
        const result = await verifyVia(adapter, fixture, { start: START, end: new Date("2024-03-04T00:00:00Z") });
        assert.deepEqual(result.findings, []);
        assert.equal(result.valid, true);
        assert.equal(result.digestsChecked, 72);
        assert.equal(result.logFilesChecked, 72);
        assert.deepEqual(result.regions, [fixture.region]);
        assert.deepEqual(result.publicKeyFingerprints, [signingKey.fingerprint]);
      });

      it("detects a bad signature (metadata altered) and names the digest", async function () {
        const fixture = sixHourChain();
        const d3 = fixture.digests[3];
        const stored = fixture.get(d3.bucket, d3.key);
        const sig = stored.metadata.signature;
        stored.metadata.signature = (sig[0] === "a" ? "b" : "a") + sig.slice(1);
        const result = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER });
        assert.equal(result.valid, false);
        assertFinding(result, "signature-invalid", d3.key);
        // The newer digest recorded the real signature: the stricter link check sees the change too.
        assertFinding(result, "previous-signature-mismatch", d3.key);
        assertOnlyKinds(result, ["signature-invalid", "previous-signature-mismatch"]);
        // Log files of an unauthenticated digest are not vouched for; the others are all checked.
        assert.equal(result.logFilesChecked, 10);
        assert.equal(result.digestsChecked, 6);
      });

      it("detects altered digest content even when it is still valid gzip JSON", async function () {
        const fixture = sixHourChain();
        const d2 = fixture.digests[2];
        const doc = { ...d2.doc, logFiles: [] };
        fixture.get(d2.bucket, d2.key).body = gzip(JSON.stringify(doc));
        const result = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER });
        assertFinding(result, "signature-invalid", d2.key);
        assertFinding(result, "previous-hash-mismatch", d2.key);
        assertOnlyKinds(result, ["signature-invalid", "previous-hash-mismatch"]);
      });

      it("reports an unparseable public key for every digest that names it", async function () {
        const fixture = sixHourChain();
        const junk = { ...signingKey.record, Value: Buffer.from("not a key at all").toString("base64") };
        const result = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER, publicKeys: [junk] });
        assert.equal(result.valid, false);
        for (const d of fixture.digests) assertFinding(result, "public-key-invalid", d.key);
        assert.equal(result.logFilesChecked, 0);
      });

      it("reports a key whose bytes do not match its listed fingerprint", async function () {
        const fixture = sixHourChain();
        const other = crypto.createPublicKey(testPrivateKey(UNRELATED_1024_TEST_KEY_PEM)).export({ format: "der", type: "pkcs1" }).toString("base64");
        const forged = { ...signingKey.record, Value: other };
        const result = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER, publicKeys: [forged] });
        assertFinding(result, "public-key-invalid", fixture.digests[5].key);
        assert.match(result.findings[0].message, /hash to fingerprint/);
      });

      it("accepts a chain start whose previous signature is null, and flags a null previous signature inside the chain", async function () {
        const fixture = sixHourChain({
          mutate: (i, doc) => {
            if (i === 3) doc.previousDigestSignature = null;
          },
        });
        const result = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER });
        // Digest 3 is validly signed over "null", but its predecessor does carry a signature.
        assertFinding(result, "previous-signature-mismatch", fixture.digests[2].key);
        assertOnlyKinds(result, ["previous-signature-mismatch"]);
        assert.equal(result.digestsChecked, 6);
      });

      it("detects missing signature metadata and keeps walking", async function () {
        const fixture = sixHourChain();
        const d2 = fixture.digests[2];
        fixture.get(d2.bucket, d2.key).metadata = {};
        const result = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER });
        assertFinding(result, "signature-missing", d2.key);
        assert.equal(result.digestsChecked, 6, "the walk continued past the unsigned digest");
        assert.equal(result.logFilesChecked, 10);
      });

      it("detects a digest that is not gzip", async function () {
        const fixture = sixHourChain();
        const d2 = fixture.digests[2];
        fixture.get(d2.bucket, d2.key).body = d2.uncompressed;
        const result = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER });
        assertFinding(result, "digest-invalid-format", d2.key);
        assert.match(result.findings.find((f) => f.key === d2.key)!.message, /not valid gzip/);
        assert.equal(result.digestsChecked, 6);
      });

      it("detects a digest that is not JSON", async function () {
        const fixture = sixHourChain();
        const d2 = fixture.digests[2];
        fixture.get(d2.bucket, d2.key).body = gzip("{{{ not json");
        const result = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER });
        assertFinding(result, "digest-invalid-format", d2.key);
        // Its bytes also differ from what the newer digest hashed.
        assertFinding(result, "previous-hash-mismatch", d2.key);
      });

      it("detects a digest with required keys missing", async function () {
        const fixture = sixHourChain();
        const d2 = fixture.digests[2];
        const doc = { ...d2.doc };
        delete doc.digestPublicKeyFingerprint;
        delete doc.previousDigestSignature;
        fixture.get(d2.bucket, d2.key).body = gzip(JSON.stringify(doc));
        const result = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER });
        assertFinding(result, "digest-invalid-format", d2.key);
        const message = result.findings.find((f) => f.kind === "digest-invalid-format")!.message;
        assert.match(message, /digestPublicKeyFingerprint/);
        assert.match(message, /previousDigestSignature/);
      });

      it("detects a digest moved to another key (missing at its place, moved where found)", async function () {
        const fixture = sixHourChain();
        const d2 = fixture.digests[2];
        const movedKey = digestKeyFor(fixture.trail, fixture.region, new Date(new Date(d2.doc.digestEndTime as string).getTime() - 20 * 60_000));
        fixture.move(d2.bucket, d2.key, movedKey);
        const result = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER });
        assertFinding(result, "digest-missing", d2.key);
        assertFinding(result, "digest-moved", movedKey);
        assert.equal(result.valid, false);
      });

      it("detects a digest that claims another bucket (copied from elsewhere)", async function () {
        const fixture = sixHourChain({
          mutate: (i, doc) => {
            if (i === 2) doc.digestS3Bucket = "some-other-trail-bucket";
          },
        });
        const d2 = fixture.digests[2];
        const result = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER });
        assertFinding(result, "digest-moved", d2.key);
        assertOnlyKinds(result, ["digest-moved"]);
        assert.equal(result.digestsChecked, 6);
      });

      it("detects a fingerprint that is not among the public keys", async function () {
        const fixture = sixHourChain({
          mutate: (i, doc) => {
            if (i === 4) doc.digestPublicKeyFingerprint = "0123456789abcdef0123456789abcdef";
          },
        });
        const result = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER });
        assertFinding(result, "unknown-key", fixture.digests[4].key);
        assertOnlyKinds(result, ["unknown-key"]);
      });

      it("reports no public keys for the period once, and authenticates nothing", async function () {
        const fixture = sixHourChain();
        const expired = { ...signingKey.record, ValidityStartTime: "2019-01-01T00:00:00.000Z", ValidityEndTime: "2019-02-01T00:00:00.000Z" };
        const result = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER, publicKeys: [expired] });
        assert.equal(result.valid, false);
        assertOnlyKinds(result, ["no-public-keys"]);
        assert.equal(result.findings.length, 1);
        assert.match(result.findings[0].key, /^ListPublicKeys eu-west-1 /);
        assert.equal(result.logFilesChecked, 0);
        assert.equal(result.digestsChecked, 6);
      });

      it("reports a deleted digest and continues with the next older one", async function () {
        const fixture = sixHourChain();
        const d3 = fixture.digests[3];
        fixture.delete(d3.bucket, d3.key);
        const result = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER });
        assertFinding(result, "digest-missing", d3.key);
        assert.match(result.findings[0].message, new RegExp(`referenced as the previous digest by .*${fixture.digests[4].key.split("/").pop()}`));
        assertOnlyKinds(result, ["digest-missing"]);
        assert.equal(result.digestsChecked, 5);
        assert.equal(result.logFilesChecked, 10);
      });

      it("reports a deleted digest even when the digest pointing to it does not authenticate", async function () {
        const fixture = sixHourChain();
        const [, , d2, d3] = fixture.digests;
        fixture.get(d3.bucket, d3.key).metadata.signature = corruptHex(fixture.get(d3.bucket, d3.key).metadata.signature);
        fixture.delete(d2.bucket, d2.key);
        const result = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER });
        assertFinding(result, "signature-invalid", d3.key);
        assertFinding(result, "digest-missing", d2.key);
        assert.match(result.findings.find((f) => f.kind === "digest-missing")!.message, /itself not authenticated/);
        assert.equal(result.digestsChecked, 5);
      });

      it("does not let an unauthenticated digest's pointer skip listed digests", async function () {
        const fixture = sixHourChain();
        const [, d1, , , d4] = fixture.digests;
        // A forged digest 4 pointing straight to digest 1 would hide digests 3 and 2.
        fixture.get(d4.bucket, d4.key).body = gzip(JSON.stringify({ ...d4.doc, previousDigestS3Object: d1.key }));
        const result = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER });
        assertFinding(result, "signature-invalid", d4.key);
        assertOnlyKinds(result, ["signature-invalid", "previous-hash-mismatch"]);
        assert.equal(result.digestsChecked, 6, "digests 3 and 2 were still walked");
      });

      it("detects a log file whose content changed", async function () {
        const fixture = sixHourChain();
        const logKey = fixture.digests[2].logKeys[1];
        fixture.get(fixture.trail.bucket, logKey).body = gzip('{"Records":[]}');
        const result = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER });
        assertFinding(result, "log-hash-mismatch", logKey);
        assertOnlyKinds(result, ["log-hash-mismatch"]);
        assert.equal(result.logFilesChecked, 12);
      });

      it("detects a deleted log file", async function () {
        const fixture = sixHourChain();
        const logKey = fixture.digests[0].logKeys[0];
        fixture.delete(fixture.trail.bucket, logKey);
        const result = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER });
        assertFinding(result, "log-missing", logKey);
        assertOnlyKinds(result, ["log-missing"]);
      });

      it("detects an extra gzip member appended to a log file", async function () {
        const fixture = sixHourChain();
        const logKey = fixture.digests[1].logKeys[0];
        const stored = fixture.get(fixture.trail.bucket, logKey);
        stored.body = Buffer.concat([stored.body, gzip('{"Records":[{"eventName":"Injected"}]}')]);
        const result = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER });
        assertFinding(result, "log-invalid-format", logKey);
        assert.match(result.findings[0].message, /follow the first gzip member/);
      });

      it("detects a log file that is not gzip", async function () {
        const fixture = sixHourChain();
        const logKey = fixture.digests[1].logKeys[1];
        fixture.get(fixture.trail.bucket, logKey).body = Buffer.from('{"Records":[]}');
        const result = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER });
        assertFinding(result, "log-invalid-format", logKey);
      });

      it("reports a chain gap with its period, as information only", async function () {
        const fixture = sixHourChain({ gapHoursBefore: { 3: 5 } });
        const d2 = fixture.digests[2];
        const d3 = fixture.digests[3];
        // The last digest ends at 11:00; a period reaching past it would leave an uncovered tail.
        const result = await verifyVia(adapter, fixture, { start: START, end: new Date("2024-03-01T11:00:00Z") });
        assertFinding(result, "gap", d3.key);
        const gap = result.findings[0];
        assert.ok(gap.message.includes(`between ${d2.doc.digestEndTime} and ${d3.doc.digestStartTime}`), gap.message);
        assert.equal(result.valid, true, "a gap alone does not fail verification");
        assert.equal(result.digestsChecked, 6);
      });

      it("checks previousDigestHashValue against the previous digest's bytes", async function () {
        const fixture = sixHourChain({
          mutate: (i, doc) => {
            if (i === 4) doc.previousDigestHashValue = sha256Hex("something else");
          },
        });
        const result = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER });
        assertFinding(result, "previous-hash-mismatch", fixture.digests[3].key);
        assertOnlyKinds(result, ["previous-hash-mismatch"]);
      });

      it("keeps walking after findings so one run lists all of them", async function () {
        const fixture = sixHourChain();
        const [d0, d1, , d3, d4] = fixture.digests;
        fixture.delete(fixture.trail.bucket, d4.logKeys[0]);
        fixture.delete(d3.bucket, d3.key);
        fixture.get(d1.bucket, d1.key).metadata.signature = corruptHex(fixture.get(d1.bucket, d1.key).metadata.signature);
        fixture.get(fixture.trail.bucket, d0.logKeys[1]).body = gzip("tampered");
        const result = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER });
        assertFinding(result, "log-missing", d4.logKeys[0]);
        assertFinding(result, "digest-missing", d3.key);
        assertFinding(result, "signature-invalid", d1.key);
        assertFinding(result, "log-hash-mismatch", d0.logKeys[1]);
        assert.equal(result.digestsChecked, 5);
      });

      it("only walks digests of the requested period", async function () {
        const fixture = ChainFixture.build({ signingKey, start: START, digests: 24, logsPerDigest: 1 });
        const result = await verifyVia(adapter, fixture, { start: new Date("2024-03-01T10:00:00Z"), end: new Date("2024-03-01T14:00:00Z") });
        assert.deepEqual(result.findings, []);
        // Digests ending 10:00..15:00 (one hour spill after the end, as the reference tool does).
        assert.equal(result.digestsChecked, 6);
      });

      it("reports a period without any digest as a failure", async function () {
        const fixture = sixHourChain();
        const result = await verifyVia(adapter, fixture, { start: new Date("2024-05-01T00:00:00Z"), end: new Date("2024-05-02T00:00:00Z") });
        assert.equal(result.valid, false);
        assertOnlyKinds(result, ["no-digests"]);
        assert.equal(result.digestsChecked, 0);
      });
    });
  }

  describe("backfill digests mixed with standard ones", function () {
    let lateKey: SigningKey;

    before(function () {
      // A key only valid around the backfill generation time, far after the period: it is found
      // only by the extra lookup aws-cli makes for backfill digests (generation time +- 1 h).
      lateKey = makeSigningKey(new Date("2024-03-10T00:00:00Z"), new Date("2024-03-10T12:00:00Z"), LATE_BACKFILL_TEST_KEY_PEM);
    });

    for (const adapter of ADAPTERS) {
      it(`verifies both chains via ${adapter}, and checks backfill log files`, async function () {
        const fixture = ChainFixture.build({ signingKey, start: START, digests: 6, logsPerDigest: 1 });
        const b1 = fixture.addBackfillDigest(new Date("2024-03-01T02:10:00Z"), new Date("2024-03-10T06:00:00Z"), lateKey, 2);
        const b2 = fixture.addBackfillDigest(new Date("2024-03-01T04:10:00Z"), new Date("2024-03-10T06:30:00Z"), lateKey, 1);
        const clean = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER });
        assert.deepEqual(clean.findings, []);
        assert.equal(clean.digestsChecked, 8);
        assert.equal(clean.logFilesChecked, 9);

        fixture.get(fixture.trail.bucket, b1.logKeys[1]).body = gzip("changed");
        delete fixture.get(b2.bucket, b2.key).metadata["backfill-generation-timestamp"];
        const tampered = await verifyVia(adapter, fixture, { start: START, end: SIX_HOURS_LATER });
        assertFinding(tampered, "log-hash-mismatch", b1.logKeys[1]);
        assertFinding(tampered, "digest-invalid-format", b2.key);
        assertOnlyKinds(tampered, ["log-hash-mismatch", "digest-invalid-format"]);
      });
    }
  });
});
