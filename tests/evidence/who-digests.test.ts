import { GetTrailCommand } from "@aws-sdk/client-cloudtrail";
import * as assert from "node:assert/strict";
import type { VerificationResult } from "../../cloudtrail/verify/verifier";
import {
  DIGEST_NOT_LISTED,
  DIGEST_VERIFIED,
  logFileStatuses,
  parseS3Uri,
  verificationWindow,
  verifyLogFilesOnS3,
  type LogFileCheck,
} from "../../evidence/who/digests";
import { ChainFixture, gzip, makeSigningKey, type SigningKey } from "./fixtures";
import { mockedAws } from "./helpers";
import { ACCOUNT, LOG_BUCKET } from "./fixtures-who/load";

const FILE = (day: string, stamp: string, unique: string, region = "ap-northeast-1") =>
  `s3://${LOG_BUCKET}/AWSLogs/${ACCOUNT}/CloudTrail/${region}/${day}/${ACCOUNT}_CloudTrail_${region}_${stamp}_${unique}.json.gz`;

function result(findings: VerificationResult["findings"]): VerificationResult {
  return {
    valid: findings.every((f) => f.kind === "gap"),
    findings,
    digestsChecked: 3,
    logFilesChecked: 4,
    uncompressedLogBytes: 1000,
    regions: ["ap-northeast-1"],
    publicKeyFingerprints: [],
  };
}

describe("who: log file digest status", function () {
  const a = FILE("2025/03/01", "20250301T0425Z", "Qf3kL9xZ2mW8pT1v");
  const b = FILE("2025/03/01", "20250301T2215Z", "b7RtY2nKp0sLq4Xe");
  const c = FILE("2025/03/02", "20250302T0935Z", "Zk8vH1cN6wQe3RfA");
  const d = FILE("2025/03/03", "20250303T0003Z", "m2PqW9sD5tGh7JxC", "us-east-1");

  it("marks each file verified, FAILED with the finding kinds, or not listed by an authenticated digest", function () {
    const key = (uri: string) => parseS3Uri(uri)!.key;
    const check: LogFileCheck = {
      bucket: LOG_BUCKET,
      checkedKeys: new Set([key(a), key(b)]),
      result: result([
        { kind: "log-hash-mismatch", key: key(b), message: "altered" },
        { kind: "digest-missing", key: "AWSLogs/.../CloudTrail-Digest/ap-northeast-1/2025/03/02/x.json.gz", message: "deleted" },
      ]),
    };
    const statuses = logFileStatuses([a, b, c, "s3://other-bucket/AWSLogs/x.json.gz", "unknown"], check);
    assert.equal(statuses.get(a), DIGEST_VERIFIED);
    assert.equal(statuses.get(b), "FAILED: log-hash-mismatch");
    assert.equal(statuses.get(c), DIGEST_NOT_LISTED);
    assert.equal(statuses.get("s3://other-bucket/AWSLogs/x.json.gz"), `not verified: not in the trail's bucket ${LOG_BUCKET}`);
    assert.equal(statuses.get("unknown"), "not verified: not an S3 log file");
  });

  it("a finding on a file wins over its having been opened (a missing file is opened, then not found)", function () {
    const key = parseS3Uri(a)!.key;
    const check: LogFileCheck = {
      bucket: LOG_BUCKET,
      checkedKeys: new Set([key]),
      result: result([
        { kind: "log-missing", key, message: "gone" },
        { kind: "read-error", key, message: "denied" },
      ]),
    };
    assert.equal(logFileStatuses([a], check).get(a), "FAILED: log-missing, read-error");
  });

  it("walks digests from the first to the last delivery time in the file names, in their regions", function () {
    const fallback = { start: new Date("2025-03-01T00:00:00Z"), end: new Date("2025-03-03T00:00:00Z") };
    const window = verificationWindow([c, a, d, b], fallback);
    assert.equal(window.start.toISOString(), "2025-03-01T04:25:00.000Z");
    assert.equal(window.end.toISOString(), "2025-03-03T00:04:00.000Z");
    assert.deepEqual(window.regions, ["ap-northeast-1", "us-east-1"]);
    const unnamed = verificationWindow([a, "s3://b/not-a-log-file.json"], fallback);
    assert.deepEqual(unnamed, { start: fallback.start, end: new Date("2025-03-03T01:00:00Z") });
  });

  describe("the real check: evidence/verify's S3 adapter through a recording store", function () {
    let signingKey: SigningKey;
    before(function () {
      signingKey = makeSigningKey();
    });

    it("verifies untouched files, fails an altered one, and leaves one no digest lists unverified", async function () {
      const fixture = ChainFixture.build({ signingKey, start: new Date("2024-03-01T00:00:00Z"), digests: 6, logsPerDigest: 2 });
      const uri = (k: string) => `s3://${fixture.trail.bucket}/${k}`;
      const good = fixture.digests[1].logKeys[0];
      const altered = fixture.digests[3].logKeys[1];
      const stray = fixture.logKeyFor(new Date("2024-03-01T02:10:00Z"), "stray");
      fixture.put(fixture.trail.bucket, stray, gzip('{"Records":[]}'));
      fixture.put(fixture.trail.bucket, altered, gzip('{"Records":[{"eventName":"GetObject"}]}'));
      const aws = mockedAws();
      fixture.serve(aws.s3Mock, aws.cloudTrailMock);
      const trailArn = `arn:aws:cloudtrail:${fixture.trail.homeRegion}:${fixture.trail.accountId}:trail/${fixture.trail.trailName}`;
      aws.cloudTrailMock.on(GetTrailCommand, { Name: trailArn }).resolves({
        Trail: {
          Name: fixture.trail.trailName,
          TrailARN: trailArn,
          S3BucketName: fixture.trail.bucket,
          S3KeyPrefix: fixture.trail.prefix,
          HomeRegion: fixture.trail.homeRegion,
          IsMultiRegionTrail: true,
        },
      });
      const files = [uri(good), uri(altered), uri(stray)];
      const check = await verifyLogFilesOnS3({
        clients: aws.clients,
        trailArn,
        logFiles: files,
        start: new Date("2024-03-01T00:00:00Z"),
        end: new Date("2024-03-01T06:00:00Z"),
        now: () => new Date("2024-04-01T00:00:00Z"),
      });
      assert.equal(check.bucket, fixture.trail.bucket);
      const statuses = logFileStatuses(files, check);
      assert.deepEqual(
        files.map((f) => statuses.get(f)),
        [DIGEST_VERIFIED, "FAILED: log-hash-mismatch", DIGEST_NOT_LISTED],
      );
      assert.ok(check.checkedKeys.has(good) && check.checkedKeys.has(altered) && !check.checkedKeys.has(stray));
      assert.equal(check.result.valid, false);
    });
  });
});
