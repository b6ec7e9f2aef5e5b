// Issue 15 / leftovers: GetObject on an object in GLACIER or DEEP_ARCHIVE that is not restored fails
// with InvalidObjectState (HTTP 403, the object's StorageClass in the error body: S3 API reference,
// GetObject, https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_Errors).
// The S3 store turns it into an ArchivedObjectError naming bucket, key and storage class, and the
// CLI's archived-object detection finds exactly that object.
import { GetTrailCommand } from "@aws-sdk/client-cloudtrail";
import { GetObjectCommand, InvalidObjectState } from "@aws-sdk/client-s3";
import * as assert from "node:assert/strict";
import { ArchiveDetectingStore, ArchivedObjectError } from "../../cloudtrail/archived-objects";
import { S3DigestStore, verifyTrailLogs } from "../../cloudtrail/verify";
import { archivedFromFindings } from "../../evidence/commands/common";
import { main } from "../../evidence/cli";
import { ChainFixture, makeSigningKey, type SigningKey } from "./fixtures";
import { CapturedIO, mockedAws } from "./helpers";

const START = new Date("2024-03-01T00:00:00Z");
const END = new Date("2024-03-01T06:00:00Z");
const NOW = () => new Date("2024-04-01T00:00:00Z");
const TRAIL_ARN = "arn:aws:cloudtrail:eu-west-1:123456789012:trail/audit-trail";

/** The error as the SDK deserialises S3's 403 InvalidObjectState response. */
function invalidObjectState(storageClass: "GLACIER" | "DEEP_ARCHIVE"): InvalidObjectState {
  return new InvalidObjectState({
    message: "The operation is not valid for the object's storage class",
    $metadata: { httpStatusCode: 403, requestId: "TESTREQUESTID" },
    StorageClass: storageClass,
  });
}

describe("S3 store: archived objects (InvalidObjectState)", function () {
  let signingKey: SigningKey;
  before(function () {
    signingKey = makeSigningKey();
  });

  it("throws ArchivedObjectError with bucket, key and storage class for a log file and for a digest", async function () {
    const fixture = ChainFixture.build({ signingKey, start: START, digests: 6, logsPerDigest: 1 });
    const aws = mockedAws();
    fixture.serve(aws.s3Mock, aws.cloudTrailMock);
    const log = fixture.digests[2].logKeys[0];
    const digest = fixture.digests[4];
    aws.s3Mock.on(GetObjectCommand, { Bucket: fixture.trail.bucket, Key: log }).rejects(invalidObjectState("DEEP_ARCHIVE"));
    aws.s3Mock.on(GetObjectCommand, { Bucket: digest.bucket, Key: digest.key }).rejects(invalidObjectState("GLACIER"));
    const store = new S3DigestStore({ s3: aws.s3, cloudTrailFor: () => aws.cloudTrail });

    const onLog = await store.openLogStream(fixture.trail.bucket, log).then(
      () => assert.fail("an archived log file was read"),
      (err: unknown) => err,
    );
    assert.ok(onLog instanceof ArchivedObjectError, String(onLog));
    assert.deepEqual([onLog.bucket, onLog.key, onLog.storageClass, onLog.Code], [fixture.trail.bucket, log, "DEEP_ARCHIVE", "InvalidObjectState"]);
    assert.match(onLog.message, /is archived \(storage class DEEP_ARCHIVE\) and not restored; S3 said: The operation is not valid/);

    const onDigest = await store.getDigest(digest.bucket, digest.key).then(
      () => assert.fail("an archived digest was read"),
      (err: unknown) => err,
    );
    assert.ok(onDigest instanceof ArchivedObjectError);
    assert.deepEqual([onDigest.key, onDigest.storageClass], [digest.key, "GLACIER"]);

    // Without a StorageClass in the error the class is not guessed.
    aws.s3Mock
      .on(GetObjectCommand, { Bucket: fixture.trail.bucket, Key: log })
      .rejects(new InvalidObjectState({ message: "The operation is not valid for the object's storage class", $metadata: { httpStatusCode: 403 } }));
    const unnamed = (await store.openLogStream(fixture.trail.bucket, log).catch((err: unknown) => err)) as ArchivedObjectError;
    assert.equal(unnamed.storageClass, "GLACIER or DEEP_ARCHIVE");
  });

  it("the verifier's findings and the export's ArchiveDetectingStore name exactly the archived objects and their classes", async function () {
    const fixture = ChainFixture.build({ signingKey, start: START, digests: 6, logsPerDigest: 1 });
    const aws = mockedAws();
    fixture.serve(aws.s3Mock, aws.cloudTrailMock);
    const deep = fixture.digests[1].logKeys[0];
    const glacier = fixture.digests[3].logKeys[0];
    aws.s3Mock.on(GetObjectCommand, { Bucket: fixture.trail.bucket, Key: deep }).rejects(invalidObjectState("DEEP_ARCHIVE"));
    aws.s3Mock.on(GetObjectCommand, { Bucket: fixture.trail.bucket, Key: glacier }).rejects(invalidObjectState("GLACIER"));
    const store = new ArchiveDetectingStore(new S3DigestStore({ s3: aws.s3, cloudTrailFor: () => aws.cloudTrail }));
    const result = await verifyTrailLogs({ store, trail: fixture.trail, start: START, end: END, regions: ["eu-west-1"], now: NOW });
    const expected = [
      { bucket: fixture.trail.bucket, key: deep, storageClass: "DEEP_ARCHIVE" },
      { bucket: fixture.trail.bucket, key: glacier, storageClass: "GLACIER" },
    ];
    const byKey = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);
    assert.deepEqual(archivedFromFindings(result).sort(byKey), expected.sort(byKey));
    assert.deepEqual([...store.archived].sort(byKey), expected);
    assert.deepEqual(
      result.findings.map((f) => f.kind),
      ["read-error", "read-error"],
    );
  });

  it("evidence verify exits 3 and prints the storage class and restore command of the archived log file", async function () {
    const fixture = ChainFixture.build({ signingKey, start: START, digests: 6, logsPerDigest: 1 });
    const aws = mockedAws();
    fixture.serve(aws.s3Mock, aws.cloudTrailMock);
    aws.cloudTrailMock.on(GetTrailCommand, { Name: TRAIL_ARN }).resolves({
      Trail: { Name: "audit-trail", TrailARN: TRAIL_ARN, S3BucketName: fixture.trail.bucket, S3KeyPrefix: fixture.trail.prefix, HomeRegion: "eu-west-1" },
    });
    const archived = fixture.digests[2].logKeys[0];
    aws.s3Mock.on(GetObjectCommand, { Bucket: fixture.trail.bucket, Key: archived }).rejects(invalidObjectState("DEEP_ARCHIVE"));
    const io = new CapturedIO();
    const code = await main(["verify", "--trail-arn", TRAIL_ARN, "--start", "2024-03-01T00:00:00Z", "--end", "2024-03-01T06:00:00Z"], io, {
      clients: aws.clients,
      now: NOW,
    });
    assert.equal(code, 3, io.err);
    assert.ok(io.err.includes(`  DEEP_ARCHIVE: s3://${fixture.trail.bucket}/${archived}`), io.err);
    assert.ok(io.err.includes(`aws s3api restore-object --bucket '${fixture.trail.bucket}' --key '${archived}'`), io.err);
  });
});
