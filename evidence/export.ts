/**
 * `export`: copies what an offline verification needs from the live bucket into a folder laid out
 * as the local export adapter reads it (E13: verifiable without AWS access).
 *   <out>/<bucket>/<digest key>            digest as stored (gzip)
 *   <out>/<bucket>/<digest key>.meta.json  its x-amz-meta-* signature metadata
 *   <out>/<bucket>/<log key>               each log file a digest lists (streamed to disk)
 *   <out>/public-keys.json                 ListPublicKeys for the period, every region walked
 * When a digest names its predecessor in another bucket (the trail's bucket changed), that bucket's
 * digests of the period are exported too, under <out>/<that bucket>/, so the offline walk follows
 * the chain there exactly as the online one does.
 */
import { createWriteStream, promises as fs } from "node:fs";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import { TaskLimiter } from "../cloudtrail/verify/concurrency";
import { parseStoredDigest } from "../cloudtrail/verify/digest-inspection";
import { isBackfillDigestKey, recogniseDigestKey } from "../cloudtrail/verify/digest-key";
import { META_SUFFIX } from "../cloudtrail/verify/local-store";
import type { PublicKeyRecord } from "../cloudtrail/verify/signature";
import { isObjectNotFound, type DigestStore } from "../cloudtrail/verify/store";
import type { TrailLocation } from "../cloudtrail/verify/digest-key";
import type { TrailPeriodOptions } from "../cloudtrail/trail-verification";

export const PUBLIC_KEYS_FILE = "public-keys.json";
const HOUR_MS = 3_600_000;

export interface ExportOptions extends TrailPeriodOptions {
  store: DigestStore;
  trail: TrailLocation;
  out: string;
  onProgress?: (copied: number) => void;
}

export interface ExportResult {
  regions: string[];
  digests: number;
  logFiles: number;
  publicKeys: number;
  /** Objects a digest named but that do not exist (the offline verify will report them). */
  missing: string[];
  /** Objects that exist or may exist but could not be read. */
  failed: string[];
}

function safeJoin(root: string, bucket: string, key: string): string {
  const resolved = path.resolve(root, bucket, key);
  if (!resolved.startsWith(path.resolve(root, bucket) + path.sep) || bucket.includes("/") || bucket.startsWith(".")) {
    throw new Error(`s3://${bucket}/${key} would be written outside ${root}`);
  }
  return resolved;
}

export async function exportTrailEvidence(options: ExportOptions): Promise<ExportResult> {
  const { store, trail, start, end, out } = options;
  const limiter = new TaskLimiter(options.concurrency ?? 8);
  const result: ExportResult = { regions: [], digests: 0, logFiles: 0, publicKeys: 0, missing: [], failed: [] };
  const keys = new Map<string, PublicKeyRecord>();
  const logsWanted = new Map<string, { bucket: string; key: string }>();
  const digestsDone = new Set<string>();
  await fs.mkdir(out, { recursive: true });

  /** Copies one digest; returns its previous pointer (bucket and key), if it names one. */
  const copyDigest = async (bucket: string, key: string, region: string): Promise<{ bucket: string; key: string } | null> => {
    const id = `${bucket}/${key}`;
    if (digestsDone.has(id)) return null;
    digestsDone.add(id);
    let stored;
    try {
      stored = await store.getDigest(bucket, key);
    } catch (err) {
      (isObjectNotFound(err) ? result.missing : result.failed).push(`s3://${id}`);
      return null;
    }
    const file = safeJoin(out, bucket, key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, stored.bytes);
    await fs.writeFile(file + META_SUFFIX, JSON.stringify(stored.metadata, null, 2));
    result.digests++;
    options.onProgress?.(result.digests + result.logFiles);
    const parsed = parseStoredDigest(bucket, key, stored, isBackfillDigestKey(key));
    if (!parsed.document) return null;
    for (const log of parsed.document.logFiles) logsWanted.set(`${log.s3Bucket}/${log.s3Object}`, { bucket: log.s3Bucket, key: log.s3Object });
    if (parsed.backfillGenerationTime) {
      const at = parsed.backfillGenerationTime.getTime();
      for (const k of await store.listPublicKeys(region, new Date(at - HOUR_MS), new Date(at + HOUR_MS))) keys.set(k.Fingerprint, k);
    }
    const prev = parsed.document.previousDigestS3Object;
    const prevBucket = parsed.document.previousDigestS3Bucket;
    return prev && prevBucket ? { bucket: prevBucket, key: prev } : null;
  };

  const regions = options.regions ?? (await store.listDigestRegions(trail));
  result.regions = regions;
  const now = options.now?.() ?? new Date();
  for (const region of regions) {
    for (const k of await store.listPublicKeys(region, start, new Date(Math.min(end.getTime() + 2 * HOUR_MS, now.getTime())))) {
      keys.set(k.Fingerprint, k);
    }
    // Locations of the trail's digests in this region: its bucket, then any older bucket a
    // digest points into (each listed over the period, as the walk re-lists after a change).
    const locations: TrailLocation[] = [trail];
    const seenLocations = new Set<string>([`${trail.bucket}/${trail.prefix ?? ""}`]);
    for (let i = 0; i < locations.length; i++) {
      const location = locations[i];
      const listed = await store.listDigestKeys(location, region, start, end);
      const previousPointers = await Promise.all(listed.map((key) => limiter.run(() => copyDigest(location.bucket, key, region))));
      // The walk may follow a pointer to a digest just outside the listing; copy those too.
      for (const prev of previousPointers) {
        if (!prev) continue;
        await limiter.run(() => copyDigest(prev.bucket, prev.key, region));
        if (prev.bucket === location.bucket) continue;
        const recognised = recogniseDigestKey(prev.bucket, prev.key);
        const older: TrailLocation = recognised && recognised.region === region ? recognised.trail : { ...location, bucket: prev.bucket };
        const id = `${older.bucket}/${older.prefix ?? ""}`;
        if (!seenLocations.has(id)) {
          seenLocations.add(id);
          locations.push(older);
        }
      }
    }
  }

  await Promise.all(
    [...logsWanted.values()].map(({ bucket, key }) =>
      limiter.run(async () => {
        let file: string;
        try {
          file = safeJoin(out, bucket, key);
        } catch {
          result.failed.push(`s3://${bucket}/${key}`);
          return;
        }
        try {
          const stream = await store.openLogStream(bucket, key);
          await fs.mkdir(path.dirname(file), { recursive: true });
          await pipeline(stream, createWriteStream(file));
          result.logFiles++;
          options.onProgress?.(result.digests + result.logFiles);
        } catch (err) {
          (isObjectNotFound(err) ? result.missing : result.failed).push(`s3://${bucket}/${key}`);
          await fs.rm(file, { force: true });
        }
      }),
    ),
  );

  const list = [...keys.values()].sort((a, b) => a.Fingerprint.localeCompare(b.Fingerprint));
  await fs.writeFile(path.join(out, PUBLIC_KEYS_FILE), JSON.stringify({ PublicKeyList: list }, null, 2) + "\n");
  result.publicKeys = list.length;
  result.missing.sort();
  result.failed.sort();
  return result;
}
