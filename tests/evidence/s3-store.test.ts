import { GetTrailStatusCommand, ListPublicKeysCommand } from "@aws-sdk/client-cloudtrail";
import { Readable } from "node:stream";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import * as assert from "node:assert/strict";
import { digestRegionPrefix, listingStartAfter, MAX_DIGEST_COMPRESSED_BYTES, S3DigestStore, verifyTrailLogs } from "../../cloudtrail/verify";
import { ChainFixture, makeSigningKey, type SigningKey } from "./fixtures";
import { mockedAws } from "./helpers";

const START = new Date("2024-03-01T00:00:00Z");
const NOW = () => new Date("2024-04-01T00:00:00Z");

describe("evidence verify: S3 adapter", function () {
  let signingKey: SigningKey;

  before(function () {
    signingKey = makeSigningKey();
  });

  it("refuses a digest object larger than any CloudTrail digest from its Content-Length, and walks on (E13)", async function () {
    const fixture = ChainFixture.build({ signingKey, start: START, digests: 6, logsPerDigest: 1 });
    const aws = mockedAws();
    fixture.serve(aws.s3Mock, aws.cloudTrailMock);
    const d2 = fixture.digests[2];
    let bodyRead = false;
    const body = new Readable({
      read() {
        bodyRead = true;
        this.push(Buffer.alloc(1024));
      },
    });
    aws.s3Mock.on(GetObjectCommand, { Bucket: d2.bucket, Key: d2.key }).resolves({ Body: body as never, ContentLength: 300_000_000, Metadata: {} });
    const store = new S3DigestStore({ s3: aws.s3, cloudTrailFor: () => aws.cloudTrail });
    const result = await verifyTrailLogs({
      store,
      trail: fixture.trail,
      start: START,
      end: new Date("2024-03-01T06:00:00Z"),
      regions: ["eu-west-1"],
      now: NOW,
    });
    assert.deepEqual(
      result.findings.map((f) => [f.kind, f.key]),
      [["object-refused", d2.key]],
    );
    assert.match(result.findings[0].message, new RegExp(`300000000 bytes; no CloudTrail digest comes near ${MAX_DIGEST_COMPRESSED_BYTES}`));
    assert.equal(bodyRead, false, "the body was not read");
    assert.equal(result.digestsChecked, 5);
  });

  it("asks GetTrailStatus for the trail's ARN in its home region", async function () {
    const fixture = ChainFixture.build({ signingKey, start: START, digests: 3, logsPerDigest: 1 });
    const aws = mockedAws();
    fixture.serve(aws.s3Mock, aws.cloudTrailMock);
    const delivered = new Date("2024-03-01T03:05:00Z");
    aws.cloudTrailMock.on(GetTrailStatusCommand).resolves({ IsLogging: true, LatestDigestDeliveryTime: delivered, LatestDigestDeliveryError: "" });
    const regions: string[] = [];
    const store = new S3DigestStore({ s3: aws.s3, cloudTrailFor: (r) => (regions.push(r), aws.cloudTrail) });
    assert.deepEqual(await store.trailStatus(fixture.trail), {
      isLogging: true,
      latestDigestDeliveryTime: delivered,
      latestDigestDeliveryError: undefined,
      startLoggingTime: undefined,
      stopLoggingTime: undefined,
    });
    assert.deepEqual(
      aws.cloudTrailMock.commandCalls(GetTrailStatusCommand).map((c) => c.args[0].input),
      [{ Name: "arn:aws:cloudtrail:eu-west-1:123456789012:trail/audit-trail" }],
    );
    assert.deepEqual(regions, ["eu-west-1"]);
  });

  it("pages through ListObjectsV2 from a computed StartAfter under the region prefix", async function () {
    const fixture = ChainFixture.build({ signingKey, start: START, digests: 48, logsPerDigest: 1 });
    const aws = mockedAws();
    fixture.serve(aws.s3Mock, aws.cloudTrailMock, { pageSize: 5 });
    const store = new S3DigestStore({ s3: aws.s3, cloudTrailFor: () => aws.cloudTrail, pageSize: 5 });
    const end = new Date("2024-03-03T00:00:00Z");
    const result = await verifyTrailLogs({ store, trail: fixture.trail, start: START, end, regions: ["eu-west-1"], now: NOW });
    assert.deepEqual(result.findings, []);
    assert.equal(result.digestsChecked, 48);
    const listings = aws.s3Mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input);
    assert.ok(listings.length >= 10, `expected paging, got ${listings.length} call(s)`);
    assert.equal(listings[0].StartAfter, listingStartAfter(fixture.trail, "eu-west-1", START));
    assert.equal(listings[0].Prefix, digestRegionPrefix(fixture.trail, "eu-west-1"));
    assert.equal(listings[0].ContinuationToken, undefined);
    assert.ok(
      listings.slice(1).every((input) => typeof input.ContinuationToken === "string"),
      "later pages continue from the token",
    );
  });

  it("stops listing at the first digest after the period instead of listing the whole chain", async function () {
    const fixture = ChainFixture.build({ signingKey, start: START, digests: 48, logsPerDigest: 1 });
    const aws = mockedAws();
    fixture.serve(aws.s3Mock, aws.cloudTrailMock, { pageSize: 4 });
    const store = new S3DigestStore({ s3: aws.s3, cloudTrailFor: () => aws.cloudTrail, pageSize: 4 });
    const result = await verifyTrailLogs({
      store,
      trail: fixture.trail,
      start: START,
      end: new Date("2024-03-01T06:00:00Z"),
      regions: ["eu-west-1"],
      now: NOW,
    });
    assert.deepEqual(result.findings, []);
    assert.equal(result.digestsChecked, 7);
    // 8 keys are needed (7 in range + the first one past it): 2 pages of 4, not 12.
    assert.equal(aws.s3Mock.commandCalls(ListObjectsV2Command).length, 2);
  });

  it("pages through ListPublicKeys in the digest's region over the period plus two hours", async function () {
    const fixture = ChainFixture.build({ signingKey, start: START, digests: 6, logsPerDigest: 1 });
    const decoys = [1, 2].map((n) => ({
      Value: Buffer.from(`decoy ${n}`).toString("base64"),
      Fingerprint: `${n}`.repeat(32),
      ValidityStartTime: "2020-01-01T00:00:00.000Z",
      ValidityEndTime: "2030-01-01T00:00:00.000Z",
    }));
    fixture.publicKeys.unshift(...decoys);
    const aws = mockedAws();
    fixture.serve(aws.s3Mock, aws.cloudTrailMock, { keyPageSize: 1 });
    const asked: string[] = [];
    const store = new S3DigestStore({ s3: aws.s3, cloudTrailFor: (region) => (asked.push(region), aws.cloudTrail) });
    const end = new Date("2024-03-01T06:00:00Z");
    const result = await verifyTrailLogs({ store, trail: fixture.trail, start: START, end, regions: ["eu-west-1"], now: NOW });
    assert.deepEqual(result.findings, [], "the real key was on the third page");
    const calls = aws.cloudTrailMock.commandCalls(ListPublicKeysCommand).map((c) => c.args[0].input);
    assert.deepEqual(
      calls.map((c) => c.NextToken),
      [undefined, "1", "2"],
    );
    assert.equal(calls[0].StartTime?.toISOString(), START.toISOString());
    assert.equal(calls[0].EndTime?.toISOString(), "2024-03-01T08:00:00.000Z");
    assert.deepEqual([...new Set(asked)], ["eu-west-1"]);
  });

  it("never asks ListPublicKeys about the future", async function () {
    const fixture = ChainFixture.build({ signingKey, start: START, digests: 2, logsPerDigest: 1 });
    const aws = mockedAws();
    fixture.serve(aws.s3Mock, aws.cloudTrailMock);
    const store = new S3DigestStore({ s3: aws.s3, cloudTrailFor: () => aws.cloudTrail });
    const now = new Date("2024-03-01T02:30:00Z");
    await verifyTrailLogs({ store, trail: fixture.trail, start: START, end: new Date("2024-03-01T02:00:00Z"), regions: ["eu-west-1"], now: () => now });
    assert.equal(aws.cloudTrailMock.commandCalls(ListPublicKeysCommand)[0].args[0].input.EndTime?.toISOString(), now.toISOString());
  });

  it("discovers every region holding digests of a multi-region trail", async function () {
    const home = ChainFixture.build({ signingKey, start: START, digests: 3, logsPerDigest: 1 });
    const other = ChainFixture.build({ signingKey, start: START, digests: 3, logsPerDigest: 1, region: "us-east-1" });
    for (const [id, object] of other.objects) home.objects.set(id, object);
    const aws = mockedAws();
    home.serve(aws.s3Mock, aws.cloudTrailMock, { pageSize: 1 });
    const store = new S3DigestStore({ s3: aws.s3, cloudTrailFor: () => aws.cloudTrail, pageSize: 1 });
    const result = await verifyTrailLogs({ store, trail: home.trail, start: START, end: new Date("2024-03-01T03:00:00Z"), now: NOW });
    assert.deepEqual(result.regions, ["eu-west-1", "us-east-1"]);
    assert.equal(result.digestsChecked, 6);
    assert.deepEqual(result.findings, []);
  });

  it("turns an unreadable log file into a read-error finding and carries on", async function () {
    const fixture = ChainFixture.build({ signingKey, start: START, digests: 3, logsPerDigest: 1 });
    const aws = mockedAws();
    fixture.serve(aws.s3Mock, aws.cloudTrailMock);
    const denied = fixture.digests[1].logKeys[0];
    aws.s3Mock
      .on(GetObjectCommand, { Key: denied })
      .rejects(Object.assign(new Error("Access Denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } }));
    const store = new S3DigestStore({ s3: aws.s3, cloudTrailFor: () => aws.cloudTrail });
    const result = await verifyTrailLogs({
      store,
      trail: fixture.trail,
      start: START,
      end: new Date("2024-03-01T03:00:00Z"),
      regions: ["eu-west-1"],
      now: NOW,
    });
    assert.deepEqual(
      result.findings.map((f) => [f.kind, f.key]),
      [["read-error", denied]],
    );
    assert.match(result.findings[0].message, /AccessDenied/);
    assert.equal(result.logFilesChecked, 3);
  });
});
