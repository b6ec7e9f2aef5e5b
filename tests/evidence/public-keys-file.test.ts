/**
 * The key file of an offline verification (E13, issue 15): whatever `aws cloudtrail
 * list-public-keys` and the SDKs print is accepted; what is not a key list is refused clearly.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { LocalExportStore, parsePublicKey, parsePublicKeysDocument, PublicKeysFileError, readPublicKeysFile, verifyTrailLogs } from "../../cloudtrail/verify";
import { publicKeysFileInsideExport } from "../../cloudtrail/verify/local-store";
import { ChainFixture, makeSigningKey, makeTempDir, removeDir } from "./fixtures";

/**
 * Verbatim sample output. Origin: github:aws/aws-cli (commit 07c4fe366b49c4dde816d674f4941134fc432673),
 * awscli/examples/cloudtrail/list-public-keys.rst (the `aws cloudtrail list-public-keys` help page,
 * https://docs.aws.amazon.com/cli/latest/reference/cloudtrail/list-public-keys.html): epochs as numbers.
 */
const AWS_CLI_EXAMPLE = `{
    "PublicKeyList": [
        {
           "ValidityStartTime": 1453076702.0, 
           "ValidityEndTime": 1455668702.0, 
           "Value": "MIIBCgKCAQEAlSS3cl92HDycr/MTj0moOhas8habjrraXw+KzlWF0axSI2tcF+3iJ9BKQAVSKxGwxwu3m0wG3J+kUl1xboEcEPHYoIYMbgfSw7KGnuDKwkLzsQWhUJ0cIbOHASox1vv/5fNXkrHhGbDCHeVXm804c83nvHUEFYThr1PfyP/8HwrCtR3FX5OANtQCP61C1nJtSSkC8JSQUOrIP4CuwJjc+4WGDk+BGH5m9iuiAKkipEHWmUl8/P7XpfpWQuk4h8g3pXZOrNXr08lbh4d39svj7UqdhvOXoBISp9t/EXYuePGEtBdrKD9Dz+VHwyUPtBQvYr9BnkF88qBnaPNhS44rzwIDAQAB", 
           "Fingerprint": "7f3f401420072e50a65a141430817ab3"
       }
    ]
  }`;

/**
 * The shape of the CloudTrail User Guide's sample ("Custom implementations of CloudTrail log file
 * integrity validation", section B, https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-custom-validation.html):
 * camelCase `publicKeyList`, epochs as strings. Its key value is the one aws-cli's unit tests use
 * (tests/unit/customizations/cloudtrail/test_validation.py VALID_TEST_KEY, same commit); the
 * fingerprint is the MD5 of that DER.
 */
const USER_GUIDE_SHAPE = `{
    "publicKeyList": [
        {
            "ValidityStartTime": "1436317441.0",
            "ValidityEndTime": "1438909441.0",
            "Value": "MIIBCgKCAQEAn11L2YZ9h7onug2ILi1MWyHiMRsTQjfWE+pHVRLk1QjfWhirG+lpOa8NrwQ/r7Ah5bNL6HepznOU9XTDSfmmnP97mqyc7z/upfZdS/AHhYcGaz7n6Wc/RRBU6VmiPCrAUojuSk6/GjvA8iOPFsYDuBtviXarvuLPlrT9kAd4Lb+rFfR5peEgBEkhlzc5HuWO7S0y+KunqxX6jQBnXGMtxmPBPP0FylgWGNdFtks/4YSKcgqwH0YDcawP9GGGDAeCIqPWIXDLG1jOjRRzWfCmD0iJUkz8vTsn4hq/5ZxRFE7UBAUiVcGbdnDdvVfhF9C3dQiDq3k7adQIziLT0cShgQIDAQAB",
            "Fingerprint": "8eba5db5bea9b640d1c96a77256fe7f2"
        }
    ]
}`;

describe("public keys file (verify --dir --public-keys)", function () {
  let dir: string;

  before(async function () {
    dir = await makeTempDir("public-keys");
  });

  after(async function () {
    await removeDir(dir);
  });

  it("reads aws-cli's documented list-public-keys output (numeric epochs) and the key parses", function () {
    const [record] = parsePublicKeysDocument(AWS_CLI_EXAMPLE, "list-public-keys.rst");
    assert.equal(record.Fingerprint, "7f3f401420072e50a65a141430817ab3");
    assert.equal(record.ValidityStartTime, "2016-01-18T00:25:02.000Z");
    assert.equal(record.ValidityEndTime, "2016-02-17T00:25:02.000Z");
    const parsed = parsePublicKey(record);
    assert.equal(parsed.ok, true, "PKCS#1 DER whose MD5 is the listed fingerprint");
  });

  it('reads the user guide\'s shape: publicKeyList and epochs as strings like "1436317441.0"', function () {
    const [record] = parsePublicKeysDocument(USER_GUIDE_SHAPE, "user-guide.json");
    assert.equal(record.ValidityStartTime, "2015-07-08T01:04:01.000Z");
    assert.equal(record.ValidityEndTime, "2015-08-07T01:04:01.000Z");
    const parsed = parsePublicKey(record);
    assert.ok(parsed.ok, "PKCS#1 DER");
    assert.equal(parsed.fingerprint, "8eba5db5bea9b640d1c96a77256fe7f2", "MD5 of the DER is the listed fingerprint");
  });

  it("reads ISO times as CLI v2 (+00:00) and the JS SDK (JSON of a Date) print them, and camelCase fields", function () {
    const [v2, sdk] = parsePublicKeysDocument(
      JSON.stringify({
        PublicKeyList: [
          { Value: "AA==", Fingerprint: "aa", ValidityStartTime: "2016-01-18T00:25:02+00:00", ValidityEndTime: "2016-02-17T00:25:02+00:00" },
          { value: "AA==", fingerprint: "bb", validityStartTime: "2016-01-18T00:25:02.000Z" },
        ],
      }),
      "keys.json",
    );
    assert.equal(v2.ValidityStartTime, "2016-01-18T00:25:02.000Z");
    assert.equal(v2.ValidityEndTime, "2016-02-17T00:25:02.000Z");
    assert.equal(sdk.Fingerprint, "bb");
    assert.equal(sdk.ValidityStartTime, "2016-01-18T00:25:02.000Z");
    assert.equal(sdk.ValidityEndTime, undefined, "no end: open validity, as ListPublicKeys for the current key");
  });

  it("verifies an export with a key file in the user guide's shape", async function () {
    const signingKey = makeSigningKey();
    const start = new Date("2024-03-01T00:00:00Z");
    const fixture = ChainFixture.build({ signingKey, start, digests: 3, logsPerDigest: 1 });
    const root = path.join(dir, "export");
    await fixture.writeExport(root);
    const keysFile = path.join(dir, "user-guide-shape.json");
    const epoch = (iso?: string) => String(new Date(iso as string).getTime() / 1000) + ".0";
    await fs.writeFile(
      keysFile,
      JSON.stringify({
        publicKeyList: [
          {
            ValidityStartTime: epoch(signingKey.record.ValidityStartTime),
            ValidityEndTime: epoch(signingKey.record.ValidityEndTime),
            Value: signingKey.record.Value,
            Fingerprint: signingKey.fingerprint,
          },
        ],
      }),
    );
    const store = new LocalExportStore(root, await readPublicKeysFile(keysFile));
    const result = await verifyTrailLogs({
      store,
      trail: fixture.trail,
      start,
      end: new Date("2024-03-01T03:00:00Z"),
      now: () => new Date("2030-01-01T00:00:00Z"),
    });
    assert.deepEqual(result.findings, []);
    assert.equal(result.digestsChecked, 3);
    assert.deepEqual(result.trustedPublicKeys, [
      {
        fingerprint: signingKey.fingerprint,
        validityStartTime: "2020-01-01T00:00:00.000Z",
        validityEndTime: "2030-01-01T00:00:00.000Z",
        regions: ["eu-west-1"],
        digestsAuthenticated: 3,
      },
    ]);
  });

  it("refuses a time it cannot read, naming the entry and the field", function () {
    assert.throws(
      () => parsePublicKeysDocument(JSON.stringify({ PublicKeyList: [{ Value: "AA==", Fingerprint: "aa", ValidityEndTime: "next tuesday" }] }), "k.json"),
      (err: Error) =>
        err instanceof PublicKeysFileError && /k\.json: PublicKeyList\[0\]\.ValidityEndTime is "next tuesday"; expected epoch seconds/.test(err.message),
    );
  });

  it("refuses a document without a key list, saying what is expected", function () {
    assert.throws(
      () => parsePublicKeysDocument('{"Keys":[]}', "k.json"),
      /k\.json has no "PublicKeyList" \(or "publicKeyList"\) array; expected the output of "aws cloudtrail list-public-keys"/,
    );
  });

  it("refuses a FIFO and an oversized file without reading them", async function () {
    const fifo = path.join(dir, "keys.fifo");
    execFileSync("mkfifo", [fifo]);
    await assert.rejects(readPublicKeysFile(fifo), /is not a regular file/);
    const huge = path.join(dir, "huge.json");
    await fs.writeFile(huge, "");
    await fs.truncate(huge, 512 * 1024 * 1024);
    await assert.rejects(readPublicKeysFile(huge), /is 536870912 bytes; the output of list-public-keys is at most a few KB per key/);
  });

  it("tells when the key file lies inside the export it is meant to check (also through a symlink)", async function () {
    const root = path.join(dir, "export-inside");
    await fs.mkdir(root, { recursive: true });
    await fs.writeFile(path.join(root, "public-keys.json"), "{}");
    assert.equal(await publicKeysFileInsideExport(path.join(root, "public-keys.json"), root), true);
    assert.equal(await publicKeysFileInsideExport(path.join(dir, "user-guide-shape.json"), root), false);
    const link = path.join(dir, "keys-link.json");
    await fs.symlink(path.join(root, "public-keys.json"), link);
    assert.equal(await publicKeysFileInsideExport(link, root), true, "a symlink from outside resolves inside");
    assert.equal(await publicKeysFileInsideExport(path.join(dir, "export-inside-other.json"), root), false, "a sibling whose name shares the prefix");
  });
});
