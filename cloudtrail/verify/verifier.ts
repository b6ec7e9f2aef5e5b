/**
 * The digest-chain walk (digest-validation.md, "The walk"), through an injected DigestStore.
 *
 * Per region: list digest keys over [start, end + 1 h], walk them newest to oldest following
 * previousDigestS3Object, authenticate each digest, stream-hash the log files of authenticated
 * digests, and check each link the way the reference tool does not (previous hash and previous
 * signature). Every problem becomes a finding and the walk goes on, so one run lists all of them.
 */
import { TaskLimiter } from "./concurrency";
import {
  authenticateDigest,
  checkPreviousLink,
  parseStoredDigest,
  previousClaimOf,
  type DigestLogFileEntry,
  type PreviousDigestClaim,
  type PreviousDigestObserved,
} from "./digest-inspection";
import {
  digestKeyEndTime,
  digestRootPrefix,
  formatDisplayDate,
  isBackfillDigestKey,
  parseDigestKey,
  type TrailLocation,
} from "./digest-key";
import { finding, isFailure, type Finding } from "./findings";
import { GzipFormatError, hashSingleGzipMember } from "./gzip-member";
import { PublicKeyIndex } from "./signature";
import { isObjectNotFound, type DigestStore, type StoredDigest } from "./store";

export interface VerifyProgress {
  region: string;
  digestsChecked: number;
  logFilesChecked: number;
  uncompressedLogBytes: number;
}

export interface VerifyOptions {
  store: DigestStore;
  trail: TrailLocation;
  start: Date;
  end: Date;
  /** Regions to walk; default: every region that holds digests of the trail. */
  regions?: string[];
  /** Log files fetched and hashed at once (default 8). */
  concurrency?: number;
  /** Clock, for the upper bound of the public key lookup (ListPublicKeys rejects future times). */
  now?: () => Date;
  onProgress?: (progress: VerifyProgress) => void;
}

export interface VerificationResult {
  /** True when no finding other than `gap` was made. */
  valid: boolean;
  findings: Finding[];
  digestsChecked: number;
  logFilesChecked: number;
  uncompressedLogBytes: number;
  regions: string[];
  /** Fingerprints of the public keys that were available (for the report: what was trusted). */
  publicKeyFingerprints: string[];
}

const HOUR_MS = 3_600_000;
const MAX_QUEUED_LOG_CHECKS = 256;
const DIGEST_PREFETCH = 4;

function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** The listing, consumed from the newest end (the reference tool pops from its list the same way). */
class ListingCursor {
  private readonly keys: string[];

  constructor(keys: string[]) {
    this.keys = [...keys];
  }

  popNewest(): string | undefined {
    return this.keys.pop();
  }

  /** Drops keys not older than `before` and returns the newest older one. */
  popBefore(before: Date): string | undefined {
    while (this.keys.length > 0) {
      const key = this.keys.pop() as string;
      const end = digestKeyEndTime(key);
      if (end && end.getTime() < before.getTime()) return key;
    }
    return undefined;
  }

  /** The key popBefore would return, without consuming anything. */
  peekBefore(before: Date): string | undefined {
    for (let i = this.keys.length - 1; i >= 0; i--) {
      const end = digestKeyEndTime(this.keys[i]);
      if (end && end.getTime() < before.getTime()) return this.keys[i];
    }
    return undefined;
  }

  /** Up to `n` keys older than `before`, newest first (prefetch candidates). */
  upcoming(before: Date, n: number): string[] {
    const out: string[] = [];
    for (let i = this.keys.length - 1; i >= 0 && out.length < n; i--) {
      const end = digestKeyEndTime(this.keys[i]);
      if (end && end.getTime() < before.getTime()) out.push(this.keys[i]);
    }
    return out;
  }
}

type FetchOutcome = { ok: true; stored: StoredDigest } | { ok: false; error: unknown };

/** Fetches digests a few keys ahead of the walk; the walk itself stays sequential. */
class DigestPrefetcher {
  private readonly inFlight = new Map<string, Promise<FetchOutcome>>();

  constructor(private readonly store: DigestStore) {}

  private fetch(bucket: string, key: string): Promise<FetchOutcome> {
    return this.store.getDigest(bucket, key).then(
      (stored): FetchOutcome => ({ ok: true, stored }),
      (error: unknown): FetchOutcome => ({ ok: false, error }),
    );
  }

  get(bucket: string, key: string): Promise<FetchOutcome> {
    const id = `${bucket}\u0000${key}`;
    const pending = this.inFlight.get(id);
    this.inFlight.delete(id);
    return pending ?? this.fetch(bucket, key);
  }

  prefetch(bucket: string, keys: string[]): void {
    for (const key of keys) {
      const id = `${bucket}\u0000${key}`;
      if (!this.inFlight.has(id) && this.inFlight.size < DIGEST_PREFETCH * 2) this.inFlight.set(id, this.fetch(bucket, key));
    }
  }

  /** Drops prefetched results the walk did not use (their promises never reject). */
  clear(): void {
    this.inFlight.clear();
  }
}

/** Hashes one log file listed in an authenticated digest; findings name the log file. */
export async function checkLogFile(
  store: DigestStore,
  entry: DigestLogFileEntry,
  digestKey: string,
): Promise<{ findings: Finding[]; uncompressedBytes: number }> {
  const where = s3Uri(entry.s3Bucket, entry.s3Object);
  const key = entry.s3Object;
  let stream: NodeJS.ReadableStream & { destroy?: () => void };
  try {
    stream = await store.openLogStream(entry.s3Bucket, entry.s3Object);
  } catch (err) {
    if (isObjectNotFound(err)) {
      return { findings: [finding("log-missing", key, `Log file ${where} (listed in digest ${digestKey}) not found`)], uncompressedBytes: 0 };
    }
    return { findings: [finding("read-error", key, `Log file ${where} could not be read: ${errorText(err)}`)], uncompressedBytes: 0 };
  }
  let sha256: string;
  let uncompressedBytes = 0;
  try {
    const result = await hashSingleGzipMember(stream as AsyncIterable<Buffer>);
    sha256 = result.sha256;
    uncompressedBytes = result.uncompressedBytes;
  } catch (err) {
    if (err instanceof GzipFormatError) {
      return { findings: [finding("log-invalid-format", key, `Log file ${where} is invalid: ${err.message}`)], uncompressedBytes };
    }
    if (isObjectNotFound(err)) {
      return { findings: [finding("log-missing", key, `Log file ${where} (listed in digest ${digestKey}) not found`)], uncompressedBytes };
    }
    return { findings: [finding("read-error", key, `Log file ${where} could not be read: ${errorText(err)}`)], uncompressedBytes };
  } finally {
    stream.destroy?.();
  }
  if (entry.hashAlgorithm !== undefined && entry.hashAlgorithm !== "SHA-256") {
    return {
      findings: [finding("log-hash-mismatch", key, `Log file ${where}: digest ${digestKey} records hash algorithm "${entry.hashAlgorithm}"; only SHA-256 is valid`)],
      uncompressedBytes,
    };
  }
  if (sha256 !== entry.hashValue.toLowerCase()) {
    return {
      findings: [finding("log-hash-mismatch", key, `Log file ${where} hashes to ${sha256}, but digest ${digestKey} recorded ${entry.hashValue}`)],
      uncompressedBytes,
    };
  }
  return { findings: [], uncompressedBytes };
}

function errorText(err: unknown): string {
  if (err && typeof err === "object") {
    const e = err as { name?: string; message?: string; Code?: string };
    const name = e.Code ?? e.name;
    return name && e.message && !e.message.startsWith(name) ? `${name}: ${e.message}` : (e.message ?? String(err));
  }
  return String(err);
}

class Walk {
  readonly slots: Finding[][] = [];
  digestsChecked = 0;
  logFilesChecked = 0;
  uncompressedLogBytes = 0;
  readonly fingerprints = new Set<string>();
  private readonly logLimiter: TaskLimiter;
  private readonly logTasks = new Set<Promise<void>>();
  private readonly visited = new Map<string, PreviousDigestObserved>();
  private region = "";

  constructor(private readonly options: VerifyOptions) {
    this.logLimiter = new TaskLimiter(options.concurrency ?? 8);
  }

  private report(findings: Finding[]): void {
    if (findings.length > 0) this.slots.push(findings);
  }

  private progress(): void {
    this.options.onProgress?.({
      region: this.region,
      digestsChecked: this.digestsChecked,
      logFilesChecked: this.logFilesChecked,
      uncompressedLogBytes: this.uncompressedLogBytes,
    });
  }

  private async scheduleLogChecks(entries: DigestLogFileEntry[], digestKey: string): Promise<void> {
    for (const entry of entries) {
      // Keep the walk from running far ahead of the hashing (memory stays flat on long ranges).
      while (this.logTasks.size >= MAX_QUEUED_LOG_CHECKS) await Promise.race(this.logTasks);
      const slot: Finding[] = [];
      this.slots.push(slot);
      const task = this.logLimiter
        .run(() => checkLogFile(this.options.store, entry, digestKey))
        .then((result) => {
          slot.push(...result.findings);
          this.logFilesChecked++;
          this.uncompressedLogBytes += result.uncompressedBytes;
        })
        .finally(() => {
          this.logTasks.delete(task);
          this.progress();
        });
      this.logTasks.add(task);
    }
  }

  async finish(): Promise<void> {
    await Promise.all([...this.logTasks]);
  }

  async verifyRegion(region: string): Promise<number> {
    this.region = region;
    const { store, trail, start, end } = this.options;
    const listing = await store.listDigestKeys(trail, region, start, end);
    if (listing.length === 0) return 0;

    const now = this.options.now?.() ?? new Date();
    const keysUntil = new Date(Math.min(end.getTime() + 2 * HOUR_MS, now.getTime()));
    const keys = new PublicKeyIndex();
    const keyLookup = `ListPublicKeys ${region} ${formatDisplayDate(start)}..${formatDisplayDate(keysUntil)}`;
    try {
      keys.add(await store.listPublicKeys(region, start, keysUntil));
    } catch (err) {
      this.report([finding("read-error", keyLookup, `Public keys for ${region} could not be read: ${errorText(err)}`)]);
    }
    if (keys.size === 0) {
      this.report([
        finding("no-public-keys", keyLookup, `No public keys found for ${region} between ${formatDisplayDate(start)} and ${formatDisplayDate(keysUntil)}: no digest of this region can be authenticated`),
      ]);
    }
    for (const fp of keys.fingerprints()) this.fingerprints.add(fp);

    const standard = listing.filter((k) => !isBackfillDigestKey(k));
    const backfill = listing.filter((k) => isBackfillDigestKey(k));
    await this.walkChain(region, standard, false, keys);
    // Backfill digests (late log files) form their own chain; aws-cli walks them separately.
    await this.walkChain(region, backfill, true, keys);
    return listing.length;
  }

  private async loadBackfillKeys(region: string, generated: Date, keys: PublicKeyIndex, loaded: Set<number>): Promise<void> {
    // aws-cli asks for keys valid one hour either side of the backfill generation time.
    const hour = Math.floor(generated.getTime() / HOUR_MS);
    if (loaded.has(hour)) return;
    loaded.add(hour);
    try {
      const extra = await this.options.store.listPublicKeys(region, new Date(generated.getTime() - HOUR_MS), new Date(generated.getTime() + HOUR_MS));
      keys.add(extra);
      for (const r of extra) if (typeof r.Fingerprint === "string") this.fingerprints.add(r.Fingerprint.toLowerCase());
    } catch {
      // The unknown-key finding that follows says enough.
    }
  }

  private async walkChain(region: string, listing: string[], backfill: boolean, keys: PublicKeyIndex): Promise<void> {
    const { store, trail, start } = this.options;
    const cursor = new ListingCursor(listing);
    const prefetcher = new DigestPrefetcher(store);
    const backfillKeyHours = new Set<number>();
    const bucket = trail.bucket;
    let key = cursor.popNewest();
    let lastStart: Date | null = key ? digestKeyEndTime(key) : null;
    let claim: PreviousDigestClaim | null = null;
    let referencedBy: string | null = null;

    while (key !== undefined && lastStart !== null && start.getTime() <= lastStart.getTime()) {
      // What the newer digest said about this one; consumed here, set again only when an
      // authenticated digest points to its predecessor.
      const currentClaim = claim;
      const currentReferrer = referencedBy;
      claim = null;
      referencedBy = null;
      const keyTime = digestKeyEndTime(key) ?? lastStart;
      const id = `${bucket}\u0000${key}`;
      const seen = this.visited.get(id);
      if (seen) {
        // The chain joined one already walked (e.g. backfill pointing at a standard digest).
        if (currentClaim) this.report(checkPreviousLink(currentClaim, seen));
        key = cursor.popBefore(keyTime);
        continue;
      }
      prefetcher.prefetch(bucket, cursor.upcoming(keyTime, DIGEST_PREFETCH));
      const fetched = await prefetcher.get(bucket, key);
      if (!fetched.ok) {
        if (isObjectNotFound(fetched.error)) {
          const why = currentReferrer ? `referenced as the previous digest by ${currentReferrer}` : "listed in the bucket";
          this.report([finding("digest-missing", key, `Digest file ${s3Uri(bucket, key)} not found (${why})`)]);
        } else {
          this.report([finding("read-error", key, `Digest file ${s3Uri(bucket, key)} could not be read: ${errorText(fetched.error)}`)]);
        }
        key = cursor.popBefore(keyTime);
        continue;
      }

      this.digestsChecked++;
      const parsed = parseStoredDigest(bucket, key, fetched.stored, backfill);
      const doc = parsed.document;
      if (backfill && doc && parsed.backfillGenerationTime && !keys.has(doc.digestPublicKeyFingerprint)) {
        await this.loadBackfillKeys(region, parsed.backfillGenerationTime, keys, backfillKeyHours);
      }
      const auth = authenticateDigest(parsed, keys);
      this.report(parsed.findings);
      this.report(auth.findings);
      const observed: PreviousDigestObserved = {
        bucket,
        key,
        uncompressedSha256: parsed.uncompressedSha256,
        signature: parsed.signature,
      };
      if (currentClaim) this.report(checkPreviousLink(currentClaim, observed));
      this.visited.set(id, observed);
      if (parsed.startTime) lastStart = parsed.startTime;
      if (auth.authenticated && doc) await this.scheduleLogChecks(doc.logFiles, key);
      this.progress();

      const previousKey = doc?.previousDigestS3Object ?? null;
      const previousBucket = doc?.previousDigestS3Bucket ?? null;
      if (auth.authenticated && doc) {
        if (previousKey === null || previousBucket === null) {
          const older = cursor.popBefore(keyTime);
          if (older !== undefined && !backfill) {
            const olderEnd = digestKeyEndTime(older) as Date;
            this.report([
              finding(
                "gap",
                key,
                `No log files were delivered by CloudTrail between ${formatDisplayDate(olderEnd)} and ${doc.digestStartTime}: ` +
                  `digest ${s3Uri(bucket, key)} has no previous digest although ${older} is older`,
              ),
            ]);
          }
          key = older;
          continue;
        }
        if (previousBucket !== bucket) {
          this.report([
            finding(
              "previous-digest-other-bucket",
              key,
              `Digest file ${s3Uri(bucket, key)} names its previous digest in another bucket, ${s3Uri(previousBucket, previousKey)}; that bucket is not verified here`,
            ),
          ]);
          key = cursor.popBefore(keyTime);
          continue;
        }
        claim = previousClaimOf(parsed);
        referencedBy = key;
        key = previousKey;
        continue;
      }

      // Not authenticated: its pointer is only a hint. Follow it when it cannot skip a listed
      // digest (so a deleted predecessor is still reported), never trust its link claims.
      const older = cursor.peekBefore(keyTime);
      const previousInfo = previousKey !== null ? parseDigestKey(previousKey, trail, region) : null;
      const olderTime = older !== undefined ? (digestKeyEndTime(older) as Date).getTime() : -Infinity;
      if (
        previousKey !== null &&
        previousBucket === bucket &&
        previousInfo !== null &&
        previousInfo.backfill === backfill &&
        previousInfo.end.getTime() < keyTime.getTime() &&
        previousInfo.end.getTime() >= olderTime
      ) {
        referencedBy = `${key} (itself not authenticated)`;
        key = previousKey;
        continue;
      }
      key = cursor.popBefore(keyTime);
    }
    prefetcher.clear();
  }
}

/** Walks the trail's digest chains over [start, end] and returns every finding. */
export async function verifyTrailLogs(options: VerifyOptions): Promise<VerificationResult> {
  if (options.start.getTime() > options.end.getTime()) {
    throw new RangeError("start must not be after end");
  }
  const walk = new Walk(options);
  const regions = options.regions ?? (await options.store.listDigestRegions(options.trail));
  let listed = 0;
  try {
    for (const region of regions) listed += await walk.verifyRegion(region);
  } finally {
    await walk.finish();
  }
  const findings = walk.slots.flat();
  if (listed === 0) {
    const where = `${digestRootPrefix(options.trail)}${regions.length === 1 ? `${regions[0]}/` : ""}`;
    findings.push(
      finding(
        "no-digests",
        where,
        `No digest files of trail ${options.trail.trailName} in s3://${options.trail.bucket}/${where} between ` +
          `${formatDisplayDate(options.start)} and ${formatDisplayDate(new Date(options.end.getTime() + HOUR_MS))}` +
          (regions.length === 0 ? " (no region holds any digest)" : ` (regions: ${regions.join(", ")})`),
      ),
    );
  }
  return {
    valid: !findings.some(isFailure),
    findings,
    digestsChecked: walk.digestsChecked,
    logFilesChecked: walk.logFilesChecked,
    uncompressedLogBytes: walk.uncompressedLogBytes,
    regions,
    publicKeyFingerprints: [...walk.fingerprints].sort(),
  };
}
