import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import {
  authenticateDigest,
  buildStringToSign,
  parsePublicKey,
  parseStoredDigest,
  PublicKeyIndex,
  publicKeyFingerprint,
  sha256Hex,
  verifyDigestSignature,
} from "../../cloudtrail/verify";
import { gzip, makeSigningKey, signDigest, type SigningKey } from "./fixtures";

describe("evidence verify: signatures and public keys", function () {
  let signingKey: SigningKey;

  before(function () {
    signingKey = makeSigningKey();
  });

  it("builds the known-answer string to sign (end time, bucket/key, sha256 of content, null)", function () {
    assert.equal(buildStringToSign("a", "b", "c", sha256Hex("abc"), null), "a\nb/c\nba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\nnull");
  });

  it("puts the previous signature on the fourth line when there is one", function () {
    assert.equal(buildStringToSign("2024-03-01T01:00:00Z", "bkt", "k/d.json.gz", "00ff", "abcd"), "2024-03-01T01:00:00Z\nbkt/k/d.json.gz\n00ff\nabcd");
  });

  it("verifies an RSA SHA-256 signature over the string, and rejects any change", function () {
    const text = buildStringToSign("a", "b", "c", sha256Hex("abc"), null);
    const signature = crypto.sign("sha256", Buffer.from(text), signingKey.privateKey).toString("hex");
    const parsed = parsePublicKey(signingKey.record);
    assert.ok(parsed.ok);
    assert.equal(verifyDigestSignature(text, signature, parsed.key), true);
    assert.equal(verifyDigestSignature(text.replace("null", "nul1"), signature, parsed.key), false);
    assert.equal(verifyDigestSignature(text, "zz" + signature.slice(2), parsed.key), false);
  });

  it("parses CloudTrail's PKCS#1 DER keys and takes the MD5 of the DER as fingerprint", function () {
    const der = Buffer.from(signingKey.record.Value, "base64");
    assert.equal(signingKey.record.Fingerprint, crypto.createHash("md5").update(der).digest("hex"));
    const parsed = parsePublicKey(signingKey.record);
    assert.ok(parsed.ok);
    assert.equal(parsed.fingerprint, publicKeyFingerprint(der));
  });

  it("falls back to SPKI when the key is not PKCS#1", function () {
    const spki = crypto.createPublicKey(signingKey.privateKey).export({ format: "der", type: "spki" });
    const parsed = parsePublicKey({ Value: spki.toString("base64"), Fingerprint: publicKeyFingerprint(spki) });
    assert.ok(parsed.ok, JSON.stringify(parsed));
  });

  it("refuses unparseable keys and keys whose bytes do not match their fingerprint", function () {
    const junk = parsePublicKey({ Value: Buffer.from("junk").toString("base64"), Fingerprint: publicKeyFingerprint(Buffer.from("junk")) });
    assert.equal(junk.ok, false);
    const notBase64 = parsePublicKey({ Value: "%%%", Fingerprint: "00" });
    assert.equal(notBase64.ok, false);
    const mislabelled = parsePublicKey({ ...signingKey.record, Fingerprint: "0".repeat(32) });
    assert.equal(mislabelled.ok, false);
    assert.match((mislabelled as { reason: string }).reason, /hash to fingerprint/);
  });

  it("authenticates a digest only with the signature over its uncompressed bytes as stored", function () {
    const doc = {
      digestStartTime: "2024-03-01T00:00:00Z",
      digestEndTime: "2024-03-01T01:00:00Z",
      digestS3Bucket: "b",
      digestS3Object: "k.json.gz",
      digestPublicKeyFingerprint: signingKey.fingerprint,
      previousDigestSignature: null,
      logFiles: [],
    };
    // Whitespace matters: the signature covers the bytes, not the JSON value.
    const stored = Buffer.from(JSON.stringify(doc, null, 1));
    const signature = signDigest(signingKey, doc, stored);
    const keys = new PublicKeyIndex([signingKey.record]);
    const metadata = { signature, "signature-algorithm": "SHA256withRSA" };
    const ok = authenticateDigest(parseStoredDigest("b", "k.json.gz", { bytes: gzip(stored), metadata }, false), keys);
    assert.deepEqual(ok, { findings: [], authenticated: true });
    const reserialised = authenticateDigest(parseStoredDigest("b", "k.json.gz", { bytes: gzip(JSON.stringify(doc)), metadata }, false), keys);
    assert.equal(reserialised.authenticated, false);
    assert.equal(reserialised.findings[0].kind, "signature-invalid");
    const otherAlgorithm = authenticateDigest(
      parseStoredDigest("b", "k.json.gz", { bytes: gzip(stored), metadata: { ...metadata, "signature-algorithm": "SHA1withRSA" } }, false),
      keys,
    );
    assert.equal(otherAlgorithm.findings[0].kind, "signature-invalid");
    assert.match(otherAlgorithm.findings[0].message, /SHA1withRSA/);
  });
});
