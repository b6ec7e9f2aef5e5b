/**
 * DigestStore over the live log bucket (AWS SDK v3).
 *
 * Listing: ListObjectsV2 under the trail's region prefix, starting after the key a digest ending
 * one minute before the range would have (digest keys sort by end time), stopping at the first
 * key past the range instead of listing the whole bucket.
 * Digests: one GetObject; its `Metadata` carries the same x-amz-meta-signature headers HeadObject
 * would return, and reading both from one response ties signature and bytes to one version.
 * Archived objects: GetObject's InvalidObjectState (GLACIER / DEEP_ARCHIVE, not restored) becomes an
 * ArchivedObjectError naming bucket, key and storage class (../archived-objects.ts).
 * Public keys: CloudTrail ListPublicKeys in the digest's region (CloudTrail signs with a key per
 * region), all pages.
 */
import { GetTrailStatusCommand, ListPublicKeysCommand, type CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { Readable } from "node:stream";
import { ArchivedObjectError, isInvalidObjectState } from "../archived-objects";
import { classifyDigestKey, compareDigestKeys, digestRegionPrefix, digestRootPrefix, listingStartAfter, trailArnOf, type TrailLocation } from "./digest-key";
import type { PublicKeyRecord } from "./signature";
import { MAX_DIGEST_COMPRESSED_BYTES, ObjectNotFoundError, ObjectRefusedError, type DigestStore, type StoredDigest, type TrailDeliveryStatus } from "./store";

export interface S3DigestStoreOptions {
  s3: S3Client;
  /** CloudTrail client for a region (ListPublicKeys is regional). */
  cloudTrailFor: (region: string) => CloudTrailClient;
  /** MaxKeys per ListObjectsV2 page (default: S3's 1000). */
  pageSize?: number;
  /** Partition of the trail's ARN for GetTrailStatus (default "aws"). */
  partition?: string;
}

export function isS3NotFound(err: unknown): boolean {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } } | null;
  return !!e && (e.name === "NoSuchKey" || e.name === "NotFound" || e.Code === "NoSuchKey" || e.$metadata?.httpStatusCode === 404);
}

function toReadable(body: unknown): Readable {
  if (body instanceof Readable) return body;
  if (body && typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === "function") {
    return Readable.from(body as AsyncIterable<Uint8Array>);
  }
  if (body instanceof Uint8Array || typeof body === "string") return Readable.from([Buffer.from(body)]);
  throw new Error("GetObject returned no readable body");
}

async function readAll(stream: Readable, limit: number, bucket: string, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    total += buf.length;
    if (total > limit) {
      stream.destroy();
      throw new ObjectRefusedError(bucket, key, `digest file is larger than ${limit} bytes; no CloudTrail digest comes near that`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export class S3DigestStore implements DigestStore {
  constructor(private readonly options: S3DigestStoreOptions) {}

  async listDigestRegions(trail: TrailLocation): Promise<string[]> {
    const prefix = digestRootPrefix(trail);
    const regions = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.options.s3.send(
        new ListObjectsV2Command({ Bucket: trail.bucket, Prefix: prefix, Delimiter: "/", ContinuationToken: token, MaxKeys: this.options.pageSize }),
      );
      for (const p of page.CommonPrefixes ?? []) {
        const name = p.Prefix?.slice(prefix.length).replace(/\/$/, "");
        if (name) regions.add(name);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return [...regions].sort();
  }

  async listDigestKeys(trail: TrailLocation, region: string, start: Date, end: Date): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    let pastRange = false;
    do {
      const page = await this.options.s3.send(
        new ListObjectsV2Command({
          Bucket: trail.bucket,
          Prefix: digestRegionPrefix(trail, region),
          StartAfter: listingStartAfter(trail, region, start),
          ContinuationToken: token,
          MaxKeys: this.options.pageSize,
        }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        const position = classifyDigestKey(object.Key, trail, region, start, end);
        if (position === "after") {
          pastRange = true;
          break;
        }
        if (position === "in-range") keys.push(object.Key);
      }
      token = page.IsTruncated && !pastRange ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort(compareDigestKeys);
  }

  async getDigest(bucket: string, key: string): Promise<StoredDigest> {
    try {
      const response = await this.options.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (typeof response.ContentLength === "number" && response.ContentLength > MAX_DIGEST_COMPRESSED_BYTES) {
        toReadable(response.Body).destroy();
        throw new ObjectRefusedError(
          bucket,
          key,
          `digest file is ${response.ContentLength} bytes; no CloudTrail digest comes near ${MAX_DIGEST_COMPRESSED_BYTES}`,
        );
      }
      const bytes = await readAll(toReadable(response.Body), MAX_DIGEST_COMPRESSED_BYTES, bucket, key);
      const metadata: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.Metadata ?? {})) {
        if (typeof value === "string") metadata[name.toLowerCase()] = value;
      }
      return { bytes, metadata };
    } catch (err) {
      if (isS3NotFound(err)) throw new ObjectNotFoundError(bucket, key);
      // GLACIER / DEEP_ARCHIVE and not restored: "restore first", not "could not read" (issue 15).
      if (isInvalidObjectState(err)) throw ArchivedObjectError.fromS3(bucket, key, err);
      throw err;
    }
  }

  async openLogStream(bucket: string, key: string): Promise<Readable> {
    try {
      const response = await this.options.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return toReadable(response.Body);
    } catch (err) {
      if (isS3NotFound(err)) throw new ObjectNotFoundError(bucket, key);
      // GLACIER / DEEP_ARCHIVE and not restored: "restore first", not "could not read" (issue 15).
      if (isInvalidObjectState(err)) throw ArchivedObjectError.fromS3(bucket, key, err);
      throw err;
    }
  }

  async listPublicKeys(region: string, start: Date, end: Date): Promise<PublicKeyRecord[]> {
    const client = this.options.cloudTrailFor(region);
    const records: PublicKeyRecord[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListPublicKeysCommand({ StartTime: start, EndTime: end, NextToken: token }));
      for (const key of page.PublicKeyList ?? []) {
        if (!key.Value || !key.Fingerprint) continue;
        records.push({
          Value: Buffer.from(key.Value).toString("base64"),
          Fingerprint: key.Fingerprint,
          ValidityStartTime: key.ValidityStartTime?.toISOString(),
          ValidityEndTime: key.ValidityEndTime?.toISOString(),
        });
      }
      token = page.NextToken;
    } while (token);
    return records;
  }

  /** GetTrailStatus in the trail's home region (cloudtrail:GetTrailStatus); undefined when it says nothing. */
  async trailStatus(trail: TrailLocation): Promise<TrailDeliveryStatus | undefined> {
    const client = this.options.cloudTrailFor(trail.homeRegion);
    const status = await client.send(new GetTrailStatusCommand({ Name: trailArnOf(trail, this.options.partition ?? "aws") }));
    if (!status) return undefined;
    return {
      isLogging: status.IsLogging,
      latestDigestDeliveryTime: status.LatestDigestDeliveryTime,
      latestDigestDeliveryError: status.LatestDigestDeliveryError || undefined,
      startLoggingTime: status.StartLoggingTime,
      stopLoggingTime: status.StopLoggingTime,
    };
  }
}
