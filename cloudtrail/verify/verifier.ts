/**
 * The digest-chain walk (AWS: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-custom-validation.html;
 * aws-cli's awscli/customizations/cloudtrail/validation.py), through an injected DigestStore.
 *
 * Per region: list digest keys over [start, end + 1 h], walk them newest to oldest following
 * previousDigestS3Bucket/Object (into another bucket when the trail's bucket changed, re-listing
 * there, as aws-cli's DigestTraverser does), authenticate each digest, stream-hash the log files
 * of authenticated digests, and check each link the way the reference tool does not (previous
 * hash and previous signature). Then check that every hour of the period is covered by a digest
 * (coverage.ts; stricter than aws-cli, E13). Every problem becomes a finding and the walk goes
 * on, so one run lists all of them.
 *
 * Where this walk deliberately differs from aws-cli (validation.py), each because real CloudTrail
 * output always complies:
 * - standard or backfill is decided per digest by its key (`_backfill.json.gz`), as aws-cli's
 *   fetch_digest does, never by the chain being walked: a backfill chain may reach a standard one;
 * - times (digestStartTime) are taken only from digests that authenticated, as aws-cli takes
 *   last_start_date only after _load_and_validate_digest succeeded: a forged digest cannot claim
 *   an early start and end the walk before older tampering is seen;
 * - an unauthenticated digest's previous pointer is followed only when it cannot skip a listed
 *   digest and stays inside the period (aws-cli skips to the next listed key instead; following it
 *   also reports a deleted predecessor).
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
  digestRegionPrefix,
  digestRootPrefix,
  formatDisplayDate,
  isBackfillDigestKey,
  parseDigestKey,
  recogniseDigestKey,
  type TrailLocation,
} from "./digest-key";
import { findCoverageFindings, type RegionCoverage } from "./coverage";
import { finding, isFailure, type Finding } from "./findings";
import { GzipFormatError, hashSingleGzipMember } from "./gzip-member";
import { PublicKeyIndex, type PublicKeyRecord } from "./signature";
import { isObjectNotFound, isObjectRefused, type DigestStore, type StoredDigest, type TrailDeliveryStatus } from "./store";

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
  /**
   * Time allowed to read one digest or hash one log file (default 10 minutes, far above a real
   * log file's seconds): past it the file becomes a read-error finding and the walk goes on, so a
   * crafted export (an endless stream, a decompression bomb) cannot hold the run (E13).
   */
  fileTimeoutMs?: number;
}

/** A public key that authenticated at least one digest of the walk: what the verdict rests on. */
export interface TrustedPublicKey {
  fingerprint: string;
  validityStartTime?: string;
  validityEndTime?: string;
  /** Regions whose digests it authenticated. */
  regions: string[];
  digestsAuthenticated: number;
}

export interface VerificationResult {
  /** True when no finding other than `gap` was made. */
  valid: boolean;
  findings: Finding[];
  digestsChecked: number;
  logFilesChecked: number;
  uncompressedLogBytes: number;
  regions: string[];
  /** Fingerprints of the public keys that were available for the period. */
  publicKeyFingerprints: string[];
  /**
   * The keys that authenticated digests, with their validity (E13: an auditor must see what the
   * verdict trusts). Always set by verifyTrailLogs; optional only so results built by hand (older
   * callers, test doubles) stay source-compatible.
   */
  trustedPublicKeys?: TrustedPublicKey[];
  /** Buckets the chain was walked in, newest first (more than one when the trail's bucket changed). */
  buckets?: string[];
}

const HOUR_MS = 3_600_000;
const MAX_QUEUED_LOG_CHECKS = 256;
const DIGEST_PREFETCH = 4;
const DEFAULT_FILE_TIMEOUT_MS = 10 * 60_000;

/** Raised when one file takes longer than fileTimeoutMs. */
class FileDeadlineError extends Error {
  constructor(readonly ms: number) {
    super(`not finished within ${ms / 1000} s (fileTimeoutMs)`);
    this.name = "FileDeadlineError";
  }
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FileDeadlineError(ms)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

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

  constructor(
    private readonly store: DigestStore,
    private readonly timeoutMs: number,
  ) {}

  private fetch(bucket: string, key: string): Promise<FetchOutcome> {
    return withDeadline(this.store.getDigest(bucket, key), this.timeoutMs).then(
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
  timeoutMs = DEFAULT_FILE_TIMEOUT_MS,
): Promise<{ findings: Finding[]; uncompressedBytes: number }> {
  const where = s3Uri(entry.s3Bucket, entry.s3Object);
  const key = entry.s3Object;
  let stream: NodeJS.ReadableStream & { destroy?: (error?: Error) => void };
  try {
    stream = await withDeadline(store.openLogStream(entry.s3Bucket, entry.s3Object), timeoutMs);
  } catch (err) {
    if (isObjectNotFound(err)) {
      return { findings: [finding("log-missing", key, `Log file ${where} (listed in digest ${digestKey}) not found`)], uncompressedBytes: 0 };
    }
    if (isObjectRefused(err)) {
      return {
        findings: [finding("object-refused", key, `Log file ${where} (listed in digest ${digestKey}) was not read: ${err.reason}`)],
        uncompressedBytes: 0,
      };
    }
    return { findings: [finding("read-error", key, `Log file ${where} could not be read: ${errorText(err)}`)], uncompressedBytes: 0 };
  }
  let sha256: string;
  let uncompressedBytes = 0;
  // Destroying the stream ends the hashing loop with this error: no file holds the walk longer.
  const timer = setTimeout(() => stream.destroy?.(new FileDeadlineError(timeoutMs)), timeoutMs);
  try {
    const result = await hashSingleGzipMember(stream as AsyncIterable<Buffer>);
    sha256 = result.sha256;
    uncompressedBytes = result.uncompressedBytes;
  } catch (err) {
    if (err instanceof FileDeadlineError) {
      return { findings: [finding("read-error", key, `Log file ${where} (listed in digest ${digestKey}) was not hashed: ${err.message}`)], uncompressedBytes };
    }
    if (err instanceof GzipFormatError) {
      return { findings: [finding("log-invalid-format", key, `Log file ${where} is invalid: ${err.message}`)], uncompressedBytes };
    }
    if (isObjectNotFound(err)) {
      return { findings: [finding("log-missing", key, `Log file ${where} (listed in digest ${digestKey}) not found`)], uncompressedBytes };
    }
    return { findings: [finding("read-error", key, `Log file ${where} could not be read: ${errorText(err)}`)], uncompressedBytes };
  } finally {
    clearTimeout(timer);
    stream.destroy?.();
  }
  if (entry.hashAlgorithm !== undefined && entry.hashAlgorithm !== "SHA-256") {
    return {
      findings: [
        finding("log-hash-mismatch", key, `Log file ${where}: digest ${digestKey} records hash algorithm "${entry.hashAlgorithm}"; only SHA-256 is valid`),
      ],
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
  readonly coverage: RegionCoverage[] = [];
  readonly buckets: string[] = [];
  private readonly trusted = new Map<string, { record: PublicKeyRecord; regions: Set<string>; digests: number }>();
  private readonly logLimiter: TaskLimiter;
  private readonly logTasks = new Set<Promise<void>>();
  private readonly visited = new Map<string, PreviousDigestObserved>();
  private readonly timeoutMs: number;
  private region = "";

  constructor(private readonly options: VerifyOptions) {
    this.logLimiter = new TaskLimiter(options.concurrency ?? 8);
    this.timeoutMs = options.fileTimeoutMs ?? DEFAULT_FILE_TIMEOUT_MS;
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

  trustedKeys(): TrustedPublicKey[] {
    return [...this.trusted.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([fingerprint, t]) => ({
        fingerprint,
        ...(t.record.ValidityStartTime ? { validityStartTime: t.record.ValidityStartTime } : {}),
        ...(t.record.ValidityEndTime ? { validityEndTime: t.record.ValidityEndTime } : {}),
        regions: [...t.regions].sort(),
        digestsAuthenticated: t.digests,
      }));
  }

  private noteTrusted(keys: PublicKeyIndex, fingerprint: string, region: string): void {
    const id = fingerprint.toLowerCase();
    const record = keys.record(id);
    if (!record) return;
    const entry = this.trusted.get(id) ?? { record, regions: new Set<string>(), digests: 0 };
    entry.regions.add(region);
    entry.digests++;
    this.trusted.set(id, entry);
  }

  private noteBucket(bucket: string): void {
    if (!this.buckets.includes(bucket)) this.buckets.push(bucket);
  }

  private async scheduleLogChecks(entries: DigestLogFileEntry[], digestKey: string): Promise<void> {
    for (const entry of entries) {
      // Keep the walk from running far ahead of the hashing (memory stays flat on long ranges).
      while (this.logTasks.size >= MAX_QUEUED_LOG_CHECKS) await Promise.race(this.logTasks);
      const slot: Finding[] = [];
      this.slots.push(slot);
      const task = this.logLimiter
        .run(() => checkLogFile(this.options.store, entry, digestKey, this.timeoutMs))
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
    const coverage: RegionCoverage = { region, where: digestRegionPrefix(trail, region), listed: listing.length, covered: [], accounted: [], chainStarts: [] };
    this.coverage.push(coverage);
    if (listing.length === 0) return 0;
    this.noteBucket(trail.bucket);

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
        finding(
          "no-public-keys",
          keyLookup,
          `No public keys found for ${region} between ${formatDisplayDate(start)} and ${formatDisplayDate(keysUntil)}: no digest of this region can be authenticated`,
        ),
      ]);
    }
    for (const fp of keys.fingerprints()) this.fingerprints.add(fp);

    // aws-cli separates the one listing into standard and backfill keys and walks each chain
    // (load_all_digest_keys_in_range); each digest's kind is then read from its own key.
    const standard = listing.filter((k) => !isBackfillDigestKey(k));
    const backfill = listing.filter((k) => isBackfillDigestKey(k));
    await this.walkChain(region, standard, false, keys, coverage);
    await this.walkChain(region, backfill, true, keys, coverage);
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

  /** Digests ending in the walk's range in `location`, of the chain's kind (after a bucket change). */
  private async relist(location: TrailLocation, region: string, backfill: boolean): Promise<string[]> {
    try {
      const keys = await this.options.store.listDigestKeys(location, region, this.options.start, this.options.end);
      return keys.filter((k) => isBackfillDigestKey(k) === backfill);
    } catch (err) {
      const where = digestRegionPrefix(location, region);
      this.report([
        finding("read-error", `s3://${location.bucket}/${where}`, `Digests in s3://${location.bucket}/${where} could not be listed: ${errorText(err)}`),
      ]);
      return [];
    }
  }

  private async walkChain(region: string, listing: string[], backfill: boolean, keys: PublicKeyIndex, coverage: RegionCoverage): Promise<void> {
    const { store, trail, start } = this.options;
    let cursor = new ListingCursor(listing);
    const prefetcher = new DigestPrefetcher(store, this.timeoutMs);
    const backfillKeyHours = new Set<number>();
    let location = trail;
    let key = cursor.popNewest();
    let lastStart: Date | null = key ? digestKeyEndTime(key) : null;
    let claim: PreviousDigestClaim | null = null;
    let referencedBy: string | null = null;

    /**
     * The stretch a failing digest would have covered carries a finding already (coverage.ts): from
     * the key time of the next older digest still listed (the walk's next stop) up to the failing
     * digest's own key time, at least its hour. Real digests are hourly, so this is that hour; where
     * several consecutive digests were removed, the one finding on the newest stands for the stretch.
     */
    const accountFor = (failedKey: string, keyTime: Date): void => {
      const end = digestKeyEndTime(failedKey);
      if (!end || isBackfillDigestKey(failedKey)) return;
      const older = cursor.peekBefore(keyTime);
      const olderEnd = older !== undefined ? digestKeyEndTime(older)?.getTime() : undefined;
      const from = olderEnd !== undefined && olderEnd < end.getTime() - HOUR_MS ? olderEnd : end.getTime() - HOUR_MS;
      coverage.accounted.push({ start: from, end: end.getTime() });
    };

    while (key !== undefined && lastStart !== null && start.getTime() <= lastStart.getTime()) {
      const bucket = location.bucket;
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
        } else if (isObjectRefused(fetched.error)) {
          this.report([finding("object-refused", fetched.error.key, `Digest file ${s3Uri(bucket, key)} was not read: ${fetched.error.reason}`)]);
        } else {
          this.report([finding("read-error", key, `Digest file ${s3Uri(bucket, key)} could not be read: ${errorText(fetched.error)}`)]);
        }
        accountFor(key, keyTime);
        key = cursor.popBefore(keyTime);
        continue;
      }

      this.digestsChecked++;
      // Standard or backfill by this digest's own key (aws-cli fetch_digest), not by the chain.
      const isBackfill = isBackfillDigestKey(key);
      const parsed = parseStoredDigest(bucket, key, fetched.stored, isBackfill);
      const doc = parsed.document;
      if (isBackfill && doc && parsed.backfillGenerationTime && !keys.has(doc.digestPublicKeyFingerprint)) {
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
      this.noteBucket(bucket);
      if (auth.authenticated && doc) {
        this.noteTrusted(keys, doc.digestPublicKeyFingerprint, region);
        // Times only from authenticated digests: a forged digestStartTime cannot end the walk.
        if (parsed.startTime) lastStart = parsed.startTime;
        if (!isBackfill && parsed.startTime && parsed.endTime) {
          coverage.covered.push({ start: parsed.startTime.getTime(), end: parsed.endTime.getTime() });
          if (doc.previousDigestS3Object === null || doc.previousDigestS3Bucket === null) coverage.chainStarts.push(parsed.startTime.getTime());
        }
        await this.scheduleLogChecks(doc.logFiles, key);
      } else {
        accountFor(key, keyTime);
      }
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
          // The trail's bucket changed: follow the signed pointer and list there (aws-cli
          // traverse_digests reloads the digest list on a bucket change). The older location is
          // read from the pointer's key, so a prefix changed with the bucket is followed too.
          const recognised = recogniseDigestKey(previousBucket, previousKey);
          const older: TrailLocation = recognised && recognised.region === region ? recognised.trail : { ...location, bucket: previousBucket };
          this.report([
            finding(
              "bucket-changed",
              key,
              `Digest file ${s3Uri(bucket, key)} names its previous digest in another bucket, ${s3Uri(previousBucket, previousKey)}: ` +
                `the trail's bucket was changed; the chain is followed there. Explain the change (UpdateTrail).`,
            ),
          ]);
          location = older;
          cursor = new ListingCursor(await this.relist(older, region, backfill));
          claim = previousClaimOf(parsed);
          referencedBy = key;
          key = previousKey;
          continue;
        }
        claim = previousClaimOf(parsed);
        referencedBy = key;
        key = previousKey;
        continue;
      }

      // Not authenticated: its pointer is only a hint. Follow it when it cannot skip a listed
      // digest (so a deleted predecessor is still reported) and stays in the period; never trust
      // its link claims.
      const older = cursor.peekBefore(keyTime);
      const previousInfo = previousKey !== null ? parseDigestKey(previousKey, location, region) : null;
      const olderTime = older !== undefined ? (digestKeyEndTime(older) as Date).getTime() : -Infinity;
      if (
        previousKey !== null &&
        previousBucket === bucket &&
        previousInfo !== null &&
        previousInfo.end.getTime() < keyTime.getTime() &&
        previousInfo.end.getTime() >= olderTime &&
        previousInfo.end.getTime() >= start.getTime()
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
  } else {
    let status: TrailDeliveryStatus | undefined;
    let statusError: string | undefined;
    if (options.store.trailStatus) {
      try {
        status = await options.store.trailStatus(options.trail);
      } catch (err) {
        statusError = errorText(err);
      }
    }
    findings.push(
      ...findCoverageFindings(walk.coverage, {
        start: options.start,
        end: options.end,
        now: options.now?.() ?? new Date(),
        trailName: options.trail.trailName,
        status,
        statusError,
      }),
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
    trustedPublicKeys: walk.trustedKeys(),
    buckets: walk.buckets,
  };
}
