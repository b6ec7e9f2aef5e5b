/**
 * DigestStore over an exported copy: `<root>/<bucket>/<key>`, each digest's S3 user metadata in
 * `<key>.meta.json`, public keys from a file shaped like the ListPublicKeys response.
 * The reference tool cannot validate downloaded files; auditors receive exactly this (E13).
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { Readable } from "node:stream";
import {
  digestRegionPrefix,
  digestRootPrefix,
  recogniseDigestKey,
  sameTrail,
  selectDigestKeys,
  type TrailLocation,
} from "./digest-key";
import type { PublicKeyRecord } from "./signature";
import { ObjectNotFoundError, type DigestStore, type StoredDigest } from "./store";

export const META_SUFFIX = ".meta.json";

/** A public keys file that cannot be used at all (a usage error, not a finding). */
export class PublicKeysFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PublicKeysFileError";
  }
}

function toIsoOrUndefined(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return new Date(value * 1000).toISOString();
  if (typeof value === "string" && !Number.isNaN(new Date(value).getTime())) return new Date(value).toISOString();
  return undefined;
}

/**
 * Parses `{"PublicKeyList":[{"Value","ValidityStartTime","ValidityEndTime","Fingerprint"}]}`
 * (the output of `aws cloudtrail list-public-keys`; times as ISO strings or epoch seconds).
 */
export function parsePublicKeysDocument(text: string, source: string): PublicKeyRecord[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PublicKeysFileError(`${source} is not JSON (${(err as Error).message}); expected the output of "aws cloudtrail list-public-keys"`);
  }
  const list = (json as { PublicKeyList?: unknown } | null)?.PublicKeyList;
  if (!Array.isArray(list)) {
    throw new PublicKeysFileError(`${source} has no "PublicKeyList" array; expected {"PublicKeyList":[{"Value","ValidityStartTime","ValidityEndTime","Fingerprint"}]}`);
  }
  return list.map((entry: unknown, i: number): PublicKeyRecord => {
    const e = entry as Record<string, unknown> | null;
    if (!e || typeof e.Value !== "string" || typeof e.Fingerprint !== "string") {
      throw new PublicKeysFileError(`${source}: PublicKeyList[${i}] needs string "Value" (base64 DER) and "Fingerprint" (hex MD5)`);
    }
    return {
      Value: e.Value,
      Fingerprint: e.Fingerprint,
      ValidityStartTime: toIsoOrUndefined(e.ValidityStartTime),
      ValidityEndTime: toIsoOrUndefined(e.ValidityEndTime),
    };
  });
}

export async function readPublicKeysFile(file: string): Promise<PublicKeyRecord[]> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    throw new PublicKeysFileError(`cannot read public keys file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parsePublicKeysDocument(text, file);
}

/** ListPublicKeys semantics: keys whose validity overlaps [start, end] (unknown validity: kept). */
export function keysValidBetween(records: PublicKeyRecord[], start: Date, end: Date): PublicKeyRecord[] {
  return records.filter((r) => {
    const from = r.ValidityStartTime ? new Date(r.ValidityStartTime).getTime() : -Infinity;
    const to = r.ValidityEndTime ? new Date(r.ValidityEndTime).getTime() : Infinity;
    return from <= end.getTime() && to >= start.getTime();
  });
}

async function listDirectory(dir: string): Promise<import("node:fs").Dirent[]> {
  try {
    return await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return [];
    throw err;
  }
}

export class LocalExportStore implements DigestStore {
  readonly root: string;

  constructor(
    root: string,
    private readonly publicKeys: PublicKeyRecord[],
  ) {
    this.root = path.resolve(root);
  }

  /** Maps an S3 location into the export; refuses keys that would escape the export root. */
  pathOf(bucket: string, key: string): string {
    const resolved = path.resolve(this.root, bucket, key);
    const bucketRoot = path.resolve(this.root, bucket);
    if (!bucket || bucket.includes("/") || bucket.startsWith(".") || !resolved.startsWith(bucketRoot + path.sep)) {
      throw new Error(`s3://${bucket}/${key} cannot be mapped into the export (path escapes ${this.root})`);
    }
    return resolved;
  }

  async listDigestRegions(trail: TrailLocation): Promise<string[]> {
    const dir = this.pathOf(trail.bucket, digestRootPrefix(trail));
    return (await listDirectory(dir))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  }

  async listDigestKeys(trail: TrailLocation, region: string, start: Date, end: Date): Promise<string[]> {
    const regionPrefix = digestRegionPrefix(trail, region);
    const regionDir = this.pathOf(trail.bucket, regionPrefix);
    // Day folders are the digest end date; skip whole days outside the range (+1 h spill).
    const firstDay = new Date(start.getTime() - 86_400_000).toISOString().slice(0, 10);
    const lastDay = new Date(end.getTime() + 3_600_000).toISOString().slice(0, 10);
    const keys: string[] = [];
    for (const year of await listDirectory(regionDir)) {
      if (!year.isDirectory() || !/^\d{4}$/.test(year.name)) continue;
      for (const month of await listDirectory(path.join(regionDir, year.name))) {
        if (!month.isDirectory() || !/^\d{2}$/.test(month.name)) continue;
        for (const day of await listDirectory(path.join(regionDir, year.name, month.name))) {
          if (!day.isDirectory() || !/^\d{2}$/.test(day.name)) continue;
          const date = `${year.name}-${month.name}-${day.name}`;
          if (date < firstDay || date > lastDay) continue;
          for (const file of await listDirectory(path.join(regionDir, year.name, month.name, day.name))) {
            if (file.isFile() && file.name.endsWith(".json.gz")) {
              keys.push(`${regionPrefix}${year.name}/${month.name}/${day.name}/${file.name}`);
            }
          }
        }
      }
    }
    return selectDigestKeys(keys, trail, region, start, end);
  }

  async getDigest(bucket: string, key: string): Promise<StoredDigest> {
    const file = this.pathOf(bucket, key);
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new ObjectNotFoundError(bucket, key);
      throw err;
    }
    let metadata: Record<string, string> = {};
    try {
      const parsed: unknown = JSON.parse(await fs.readFile(file + META_SUFFIX, "utf8"));
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
        metadata = Object.fromEntries(
          Object.entries(parsed as Record<string, unknown>)
            .filter((e): e is [string, string] => typeof e[1] === "string")
            .map(([k, v]) => [k.toLowerCase(), v]),
        );
      }
    } catch {
      // No (usable) sidecar: the digest has no signature metadata, reported as signature-missing.
    }
    return { bytes, metadata };
  }

  async openLogStream(bucket: string, key: string): Promise<Readable> {
    const file = this.pathOf(bucket, key);
    try {
      const handle = await fs.open(file, "r");
      return handle.createReadStream({ highWaterMark: 256 * 1024 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new ObjectNotFoundError(bucket, key);
      throw err;
    }
  }

  async listPublicKeys(_region: string, start: Date, end: Date): Promise<PublicKeyRecord[]> {
    // One file serves every region: fingerprints identify keys, so merging regions is harmless.
    return keysValidBetween(this.publicKeys, start, end);
  }
}

/** Every trail that has digests in the export (used to infer --trail-arn when there is one). */
export async function discoverExportedTrails(root: string): Promise<TrailLocation[]> {
  const found: TrailLocation[] = [];
  const absolute = path.resolve(root);
  for (const bucket of await listDirectory(absolute)) {
    if (!bucket.isDirectory()) continue;
    await scanForDigestFolders(path.join(absolute, bucket.name), "", bucket.name, found, 0);
  }
  return found;
}

async function scanForDigestFolders(dir: string, relative: string, bucket: string, found: TrailLocation[], depth: number): Promise<void> {
  if (depth > 12) return;
  for (const entry of await listDirectory(dir)) {
    if (!entry.isDirectory()) continue;
    const rel = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.name === "CloudTrail-Digest") {
      await collectTrailsUnder(path.join(dir, entry.name), `${rel}/`, bucket, found);
    } else if (entry.name !== "CloudTrail" && entry.name !== "CloudTrail-Insight") {
      await scanForDigestFolders(path.join(dir, entry.name), rel, bucket, found, depth + 1);
    }
  }
}

async function collectTrailsUnder(digestDir: string, prefix: string, bucket: string, found: TrailLocation[]): Promise<void> {
  for (const region of await listDirectory(digestDir)) {
    if (!region.isDirectory()) continue;
    for (const year of await listDirectory(path.join(digestDir, region.name))) {
      for (const month of await listDirectory(path.join(digestDir, region.name, year.name))) {
        for (const day of await listDirectory(path.join(digestDir, region.name, year.name, month.name))) {
          const dayDir = path.join(digestDir, region.name, year.name, month.name, day.name);
          for (const file of await listDirectory(dayDir)) {
            if (!file.isFile() || !file.name.endsWith(".json.gz")) continue;
            const key = `${prefix}${region.name}/${year.name}/${month.name}/${day.name}/${file.name}`;
            const recognised = recogniseDigestKey(bucket, key);
            if (recognised && !found.some((t) => sameTrail(t, recognised.trail))) found.push(recognised.trail);
          }
        }
      }
    }
  }
}
