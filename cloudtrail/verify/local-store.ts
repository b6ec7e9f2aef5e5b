/**
 * DigestStore over an exported copy: `<root>/<bucket>/<key>`, each digest's S3 user metadata in
 * `<key>.meta.json`, public keys from a file shaped like the ListPublicKeys response.
 * The reference tool cannot validate downloaded files; auditors receive exactly this (E13).
 */
import { constants as fsConstants, promises as fs, type Stats } from "node:fs";
import * as path from "node:path";
import type { Readable } from "node:stream";
import { digestKeyEndTime, digestRegionPrefix, digestRootPrefix, recogniseDigestKey, selectDigestKeys, type TrailLocation } from "./digest-key";
import type { PublicKeyRecord } from "./signature";
import { MAX_DIGEST_COMPRESSED_BYTES, MAX_SIDECAR_BYTES, ObjectNotFoundError, ObjectRefusedError, type DigestStore, type StoredDigest } from "./store";

export const META_SUFFIX = ".meta.json";

/** A public keys file that cannot be used at all (a usage error, not a finding). */
export class PublicKeysFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PublicKeysFileError";
  }
}

/** A key file is a few KB per key; anything larger is not the output of list-public-keys. */
export const MAX_PUBLIC_KEYS_FILE_BYTES = 4 * 1024 * 1024;

/**
 * A validity time as the CLI and SDKs print it: epoch seconds as a number (`aws cloudtrail
 * list-public-keys` v1, awscli/examples/cloudtrail/list-public-keys.rst: 1453076702.0) or as a
 * string ("1436317441.0", the CloudTrail user guide's custom-validation sample), or ISO 8601
 * (CLI v2 "2016-01-18T00:25:02+00:00", JSON.stringify of an SDK v3 Date). Absent: undefined.
 */
function parseValidityTime(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  let ms: number | undefined;
  if (typeof value === "number" && Number.isFinite(value)) ms = value * 1000;
  else if (typeof value === "string" && /^\d+(\.\d+)?$/.test(value.trim())) ms = Number(value.trim()) * 1000;
  else if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(value.trim()))
    ms = Date.parse(value.trim());
  if (ms === undefined || Number.isNaN(ms)) {
    throw new PublicKeysFileError(`${where} is ${JSON.stringify(value)}; expected epoch seconds (1436317441.0, as a number or a string) or an ISO 8601 time`);
  }
  return new Date(ms).toISOString();
}

function field(entry: Record<string, unknown>, name: string): unknown {
  // The API and CLI print PascalCase; the user guide's sample and some SDKs print camelCase.
  return entry[name] ?? entry[name[0].toLowerCase() + name.slice(1)];
}

/**
 * Parses the output of `aws cloudtrail list-public-keys` (or an SDK's ListPublicKeys response):
 * `{"PublicKeyList":[{"Value","ValidityStartTime","ValidityEndTime","Fingerprint"}]}`, also with
 * camelCase names (`publicKeyList`, as in the user guide's sample) and any time form above.
 */
export function parsePublicKeysDocument(text: string, source: string): PublicKeyRecord[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PublicKeysFileError(`${source} is not JSON (${(err as Error).message}); expected the output of "aws cloudtrail list-public-keys"`);
  }
  const doc = json && typeof json === "object" && !Array.isArray(json) ? (json as Record<string, unknown>) : null;
  const list = doc ? field(doc, "PublicKeyList") : undefined;
  if (!Array.isArray(list)) {
    throw new PublicKeysFileError(
      `${source} has no "PublicKeyList" (or "publicKeyList") array; expected the output of "aws cloudtrail list-public-keys": {"PublicKeyList":[{"Value","ValidityStartTime","ValidityEndTime","Fingerprint"}]}`,
    );
  }
  return list.map((entry: unknown, i: number): PublicKeyRecord => {
    const e = entry && typeof entry === "object" && !Array.isArray(entry) ? (entry as Record<string, unknown>) : null;
    const value = e ? field(e, "Value") : undefined;
    const fingerprint = e ? field(e, "Fingerprint") : undefined;
    if (!e || typeof value !== "string" || typeof fingerprint !== "string") {
      throw new PublicKeysFileError(`${source}: PublicKeyList[${i}] needs string "Value" (base64 DER) and "Fingerprint" (hex MD5)`);
    }
    return {
      Value: value,
      Fingerprint: fingerprint,
      ValidityStartTime: parseValidityTime(field(e, "ValidityStartTime"), `${source}: PublicKeyList[${i}].ValidityStartTime`),
      ValidityEndTime: parseValidityTime(field(e, "ValidityEndTime"), `${source}: PublicKeyList[${i}].ValidityEndTime`),
    };
  });
}

export async function readPublicKeysFile(file: string): Promise<PublicKeyRecord[]> {
  let text: string;
  try {
    // The user names this file, so a symlink is followed; a FIFO or device is not read (it
    // could block or never end), nor anything larger than a key list can be.
    const info = await fs.stat(file);
    if (!info.isFile()) throw new PublicKeysFileError(`public keys file ${file} is not a regular file`);
    if (info.size > MAX_PUBLIC_KEYS_FILE_BYTES) {
      throw new PublicKeysFileError(
        `public keys file ${file} is ${info.size} bytes; the output of list-public-keys is at most a few KB per key (limit ${MAX_PUBLIC_KEYS_FILE_BYTES})`,
      );
    }
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    if (err instanceof PublicKeysFileError) throw err;
    throw new PublicKeysFileError(`cannot read public keys file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parsePublicKeysDocument(text, file);
}

async function realpathOrResolved(p: string): Promise<string> {
  try {
    return await fs.realpath(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * True when the public keys file lies inside the export it is meant to check (E13). Keys shipped
 * with an export prove nothing about it: whoever could alter the digests could alter the keys.
 * The CLI warns then and names the independent source (`aws cloudtrail list-public-keys`).
 */
export async function publicKeysFileInsideExport(keysFile: string, exportRoot: string): Promise<boolean> {
  const [keys, root] = await Promise.all([realpathOrResolved(keysFile), realpathOrResolved(exportRoot)]);
  return keys === root || keys.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
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

function describeFileType(info: Stats): string {
  if (info.isSymbolicLink()) return "a symbolic link";
  if (info.isFIFO()) return "a FIFO (named pipe)";
  if (info.isDirectory()) return "a directory";
  if (info.isCharacterDevice() || info.isBlockDevice()) return "a device";
  if (info.isSocket()) return "a socket";
  return "not a regular file";
}

export class LocalExportStore implements DigestStore {
  readonly root: string;
  private realRoot: Promise<string> | undefined;

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
      throw new ObjectRefusedError(bucket, key, `the key cannot be mapped into the export (path escapes ${this.root})`);
    }
    return resolved;
  }

  /**
   * Opens an export entry only when it is a regular file inside the export root (E13 hostile
   * exports): lstat first, so a FIFO is never opened (it would block) and a symlink (to
   * /dev/zero, or to a file outside the root) is never followed; realpath of its folder against
   * the root's, so a symlinked folder cannot lead outside; O_NOFOLLOW and the same inode on the
   * opened handle, so the entry cannot be swapped between the checks and the open.
   */
  private async openEntry(bucket: string, key: string, file: string, maxBytes: number, what: string) {
    let info: Stats;
    try {
      info = await fs.lstat(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") throw new ObjectNotFoundError(bucket, key);
      throw err;
    }
    if (!info.isFile()) throw new ObjectRefusedError(bucket, key, `${what} is ${describeFileType(info)}, not a regular file`);
    this.realRoot ??= realpathOrResolved(this.root);
    const realRoot = await this.realRoot;
    const realDir = await realpathOrResolved(path.dirname(file));
    if (!(realDir + path.sep).startsWith(realRoot + path.sep)) {
      throw new ObjectRefusedError(bucket, key, `${what} lies outside the export root ${this.root} (its folder resolves to ${realDir})`);
    }
    if (info.size > maxBytes) {
      throw new ObjectRefusedError(bucket, key, `${what} is ${info.size} bytes; no CloudTrail ${what} comes near ${maxBytes}`);
    }
    const handle = await fs.open(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOFOLLOW);
    try {
      const opened = await handle.stat();
      if (!opened.isFile() || opened.ino !== info.ino || opened.dev !== info.dev) {
        throw new ObjectRefusedError(bucket, key, `${what} changed while it was being opened`);
      }
      return { handle, size: opened.size };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Reads a small entry whole, never more than `maxBytes` (the file may grow while read). */
  private async readBounded(bucket: string, key: string, file: string, maxBytes: number, what: string): Promise<Buffer> {
    const { handle, size } = await this.openEntry(bucket, key, file, maxBytes, what);
    try {
      const buffer = Buffer.alloc(Math.min(size, maxBytes) + 1);
      let filled = 0;
      while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled > maxBytes) throw new ObjectRefusedError(bucket, key, `${what} grew beyond ${maxBytes} bytes while it was read`);
      return buffer.subarray(0, filled);
    } finally {
      await handle.close();
    }
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
            // Anything named like a digest is listed, symlinks and FIFOs included: getDigest
            // refuses them with a finding rather than the listing hiding them.
            if (!file.isDirectory() && file.name.endsWith(".json.gz")) {
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
    const bytes = await this.readBounded(bucket, key, file, MAX_DIGEST_COMPRESSED_BYTES, "digest file");
    let sidecar: Buffer | undefined;
    try {
      sidecar = await this.readBounded(bucket, key + META_SUFFIX, file + META_SUFFIX, MAX_SIDECAR_BYTES, "signature sidecar");
    } catch (err) {
      // No sidecar: the digest has no signature metadata, reported as signature-missing.
      if (!(err instanceof ObjectNotFoundError)) throw err;
    }
    let metadata: Record<string, string> = {};
    if (sidecar) {
      try {
        const parsed: unknown = JSON.parse(sidecar.toString("utf8"));
        if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
          metadata = Object.fromEntries(
            Object.entries(parsed as Record<string, unknown>)
              .filter((e): e is [string, string] => typeof e[1] === "string")
              .map(([k, v]) => [k.toLowerCase(), v]),
          );
        }
      } catch {
        // Unusable sidecar: same as none (signature-missing).
      }
    }
    return { bytes, metadata };
  }

  async openLogStream(bucket: string, key: string): Promise<Readable> {
    const file = this.pathOf(bucket, key);
    // Log files are streamed (hashed while decompressed), so their size only costs time, which
    // the walk bounds per file; no size limit is imposed on genuine large log files.
    const { handle } = await this.openEntry(bucket, key, file, Number.MAX_SAFE_INTEGER, "log file");
    return handle.createReadStream({ highWaterMark: 256 * 1024 });
  }

  async listPublicKeys(_region: string, start: Date, end: Date): Promise<PublicKeyRecord[]> {
    // One file serves every region: fingerprints identify keys, so merging regions is harmless.
    return keysValidBetween(this.publicKeys, start, end);
  }
}

interface FoundTrail {
  trail: TrailLocation;
  newest: number;
}

/** A trail is its account, organization, name and home region; bucket and prefix may change. */
function trailIdentity(t: TrailLocation): string {
  return [t.accountId, t.organizationId ?? "", t.trailName, t.homeRegion].join("\u0000");
}

/**
 * Every trail that has digests in the export (used to infer --trail-arn when there is one). A
 * trail whose bucket (or prefix) changed has digests in several places; it is one trail, found
 * where its newest digest is: the walk starts there and follows previousDigestS3Bucket into the
 * older places, as aws-cli does (test_follows_trails_when_bucket_changes).
 */
export async function discoverExportedTrails(root: string): Promise<TrailLocation[]> {
  const found = new Map<string, FoundTrail>();
  const absolute = path.resolve(root);
  for (const bucket of await listDirectory(absolute)) {
    if (!bucket.isDirectory()) continue;
    await scanForDigestFolders(path.join(absolute, bucket.name), "", bucket.name, found, 0);
  }
  return [...found.values()].map((f) => f.trail);
}

async function scanForDigestFolders(dir: string, relative: string, bucket: string, found: Map<string, FoundTrail>, depth: number): Promise<void> {
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

async function collectTrailsUnder(digestDir: string, prefix: string, bucket: string, found: Map<string, FoundTrail>): Promise<void> {
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
            if (!recognised) continue;
            const id = trailIdentity(recognised.trail);
            const newest = digestKeyEndTime(key)?.getTime() ?? 0;
            const known = found.get(id);
            if (!known || newest > known.newest) found.set(id, { trail: recognised.trail, newest });
          }
        }
      }
    }
  }
}
