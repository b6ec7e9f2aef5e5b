/**
 * The one storage interface the verifier walks through. Two adapters implement it: S3 (live
 * bucket, AWS SDK v3) and a local export folder (`<root>/<bucket>/<key>`), so the same walk
 * verifies the bucket and a copy handed to an auditor (E13).
 */
import type { Readable } from "node:stream";
import type { TrailLocation } from "./digest-key";
import type { PublicKeyRecord } from "./signature";

/** A digest object as stored: compressed bytes and its S3 user metadata (lower-case names). */
export interface StoredDigest {
  bytes: Buffer;
  /** e.g. { signature, "signature-algorithm", "backfill-generation-timestamp" } */
  metadata: Record<string, string>;
}

/**
 * What CloudTrail GetTrailStatus says about digest delivery (the online cross-check of coverage,
 * E13): https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetTrailStatus.html
 */
export interface TrailDeliveryStatus {
  isLogging?: boolean;
  latestDigestDeliveryTime?: Date;
  latestDigestDeliveryError?: string;
  startLoggingTime?: Date;
  stopLoggingTime?: Date;
}

export interface DigestStore {
  /** Regions that hold digests for the trail (a multi-region trail has one chain per region). */
  listDigestRegions(trail: TrailLocation): Promise<string[]>;
  /**
   * Digest keys of the trail in `region` whose end time lies in [start, end + 1 h], in ascending
   * order (standard and backfill digests alike). See digest-key.ts selectDigestKeys.
   */
  listDigestKeys(trail: TrailLocation, region: string, start: Date, end: Date): Promise<string[]>;
  /** Throws ObjectNotFoundError when the object does not exist. */
  getDigest(bucket: string, key: string): Promise<StoredDigest>;
  /** The compressed log file as a stream. Throws ObjectNotFoundError when it does not exist. */
  openLogStream(bucket: string, key: string): Promise<Readable>;
  /** Public keys CloudTrail used in `region` between start and end (ListPublicKeys, paged). */
  listPublicKeys(region: string, start: Date, end: Date): Promise<PublicKeyRecord[]>;
  /**
   * Optional (an export cannot answer it): the trail's delivery status, used to explain or
   * confirm an uncovered tail of the period. Stores without it keep working unchanged.
   */
  trailStatus?(trail: TrailLocation): Promise<TrailDeliveryStatus | undefined>;
}

/** Raised by adapters when an object does not exist (S3 NoSuchKey / 404, ENOENT locally). */
export class ObjectNotFoundError extends Error {
  constructor(
    readonly bucket: string,
    readonly key: string,
  ) {
    super(`s3://${bucket}/${key} does not exist`);
    this.name = "ObjectNotFoundError";
  }
}

export function isObjectNotFound(err: unknown): err is ObjectNotFoundError {
  return err instanceof ObjectNotFoundError;
}

/**
 * Raised by adapters for an object they refuse to read: not a regular file, outside the export
 * root, or larger than any CloudTrail object (E13, hostile exports). The walk turns it into an
 * `object-refused` finding and goes on.
 */
export class ObjectRefusedError extends Error {
  constructor(
    readonly bucket: string,
    readonly key: string,
    readonly reason: string,
  ) {
    super(`s3://${bucket}/${key} refused: ${reason}`);
    this.name = "ObjectRefusedError";
  }
}

export function isObjectRefused(err: unknown): err is ObjectRefusedError {
  return err instanceof ObjectRefusedError;
}

/** Digests are kilobytes (an hour's list of log files); these bounds are far above any real one. */
export const MAX_DIGEST_COMPRESSED_BYTES = 16 * 1024 * 1024;
export const MAX_DIGEST_UNCOMPRESSED_BYTES = 64 * 1024 * 1024;
/** A `.meta.json` sidecar holds two or three short strings. */
export const MAX_SIDECAR_BYTES = 64 * 1024;
