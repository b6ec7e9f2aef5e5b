/**
 * A synthetic organisation for the organisation verification tests and benchmark (issue 11):
 * accounts x regions x days of CloudTrail digest chains under an organisation trail's layout
 * (AWSLogs/<o-id>/<account>/CloudTrail-Digest/<region>/...), signed as CloudTrail signs with a committed test key
 * (cloudtrail-log-file-custom-validation.html; the same construction as tests/evidence/fixtures.ts), held in memory,
 * then uploaded to a real S3 API (s3rver on 127.0.0.1) with the S3 SDK.
 *
 * Also starts and stops that S3 server, in-process on an ephemeral port, so neither the tests
 * nor CI need a service started outside them.
 */
import { ListPublicKeysCommand, type CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import * as crypto from "node:crypto";
import { accessSync, constants as fsConstants, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { memberTrail, shardId, type OrganizationTrail } from "../cloudtrail/org/shards";
import { cloudTrailTime as iso, digestDocument, logFileContent } from "./cloudtrail-log";
import {
  buildStringToSign,
  digestKeyFor,
  formatKeyTimestamp,
  keysValidBetween,
  publicKeyFingerprint,
  sha256Hex,
  type PublicKeyRecord,
} from "../cloudtrail/verify";
import { TaskLimiter } from "../cloudtrail/verify/concurrency";
import { CLOUDTRAIL_TEST_KEY_PEM } from "./test-keys";

export interface OrgFixtureOptions {
  accounts: number;
  regions: string[];
  /** First UTC day, YYYY-MM-DD; `days` consecutive days follow. */
  firstDay: string;
  days: number;
  /** Digests per day per (account, region); each covers 24 / n hours (default 6). */
  digestsPerDay?: number;
  logsPerDigest?: number;
  eventsPerLog?: number;
}

export interface SyntheticOrg {
  trail: OrganizationTrail;
  accounts: string[];
  regions: string[];
  days: string[];
  /** key -> object (one bucket: the trail's). */
  objects: Map<string, { body: Buffer; metadata: Record<string, string> }>;
  publicKeys: PublicKeyRecord[];
  /** digest keys per `${account}/${region}/${day}` in chain order. */
  digestsByShard: Map<string, string[]>;
  /** log keys per digest key. */
  logsByDigest: Map<string, string[]>;
}

export const ORG_TRAIL: OrganizationTrail = {
  bucket: "org-audit-logs",
  prefix: "org",
  organizationId: "o-abcdef1234",
  trailName: "org-trail",
  homeRegion: "eu-west-1",
};

export function accountIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => String(100000000000 + i * 7919).padStart(12, "0"));
}

/** Builds the organisation in memory (RSA signing dominates: about 1 ms per digest). */
export function buildSyntheticOrg(options: OrgFixtureOptions, trail: OrganizationTrail = ORG_TRAIL): SyntheticOrg {
  // One of the committed test-only keys (issue 11 "signed with a test key"): reproducible digests,
  // and no key generation per run (about 0.7 s on the 2-core machine, issue 13).
  const privateKey = crypto.createPrivateKey(CLOUDTRAIL_TEST_KEY_PEM);
  const publicKey = crypto.createPublicKey(privateKey);
  const der = publicKey.export({ format: "der", type: "pkcs1" });
  const fingerprint = publicKeyFingerprint(der);
  const publicKeys: PublicKeyRecord[] = [
    { Value: der.toString("base64"), Fingerprint: fingerprint, ValidityStartTime: "2020-01-01T00:00:00.000Z", ValidityEndTime: "2035-01-01T00:00:00.000Z" },
  ];
  const perDay = options.digestsPerDay ?? 6;
  const hours = 24 / perDay;
  const accounts = accountIds(options.accounts);
  const first = new Date(`${options.firstDay}T00:00:00Z`);
  const days = Array.from({ length: options.days }, (_, d) => new Date(first.getTime() + d * 86_400_000).toISOString().slice(0, 10));
  const objects: SyntheticOrg["objects"] = new Map();
  const digestsByShard = new Map<string, string[]>();
  const logsByDigest = new Map<string, string[]>();
  const head = trail.prefix ? `${trail.prefix}/` : "";

  for (const accountId of accounts) {
    for (const region of options.regions) {
      const location = memberTrail(trail, accountId);
      let previous: { key: string; uncompressed: Buffer; signature: string } | undefined;
      for (let n = 0; n < options.days * perDay; n++) {
        const start = new Date(first.getTime() + n * hours * 3_600_000);
        const end = new Date(start.getTime() + hours * 3_600_000);
        const key = digestKeyFor(location, region, end);
        const day = start.toISOString().slice(0, 10);
        const logFiles = [];
        const logKeys: string[] = [];
        for (let j = 0; j < (options.logsPerDigest ?? 1); j++) {
          const at = new Date(start.getTime() + (j + 1) * 60_000 * 7);
          const stamp = formatKeyTimestamp(at).slice(0, 13) + "Z";
          const dayPath = at.toISOString().slice(0, 10).replace(/-/g, "/");
          const logKey = `${head}AWSLogs/${trail.organizationId}/${accountId}/CloudTrail/${region}/${dayPath}/${accountId}_CloudTrail_${region}_${stamp}_${n}-${j}.json.gz`;
          const content = Buffer.from(logFileContent(region, accountId, at, options.eventsPerLog ?? 3, `${n}-${j}`));
          objects.set(logKey, { body: zlib.gzipSync(content), metadata: {} });
          logKeys.push(logKey);
          logFiles.push({
            s3Bucket: trail.bucket,
            s3Object: logKey,
            hashValue: sha256Hex(content),
            hashAlgorithm: "SHA-256",
            newestEventTime: iso(at),
            oldestEventTime: iso(at),
          });
        }
        const doc = digestDocument({
          accountId,
          bucket: trail.bucket,
          key,
          start,
          end,
          fingerprint,
          eventTimes: { newest: end, oldest: start },
          previous: previous && { bucket: trail.bucket, ...previous },
          logFiles,
        });
        const uncompressed = Buffer.from(JSON.stringify(doc));
        const toSign = buildStringToSign(
          doc.digestEndTime as string,
          trail.bucket,
          key,
          sha256Hex(uncompressed),
          (doc.previousDigestSignature as string | null) ?? null,
        );
        const signature = crypto.sign("sha256", Buffer.from(toSign, "utf8"), privateKey).toString("hex");
        objects.set(key, { body: zlib.gzipSync(uncompressed), metadata: { signature, "signature-algorithm": "SHA256withRSA" } });
        const id = shardId({ accountId, region, day });
        if (!digestsByShard.has(id)) digestsByShard.set(id, []);
        digestsByShard.get(id)!.push(key);
        logsByDigest.set(key, logKeys);
        previous = { key, uncompressed, signature };
      }
    }
  }
  return { trail, accounts, regions: [...options.regions], days, objects, publicKeys, digestsByShard, logsByDigest };
}

// ---- a real S3 API on 127.0.0.1 ---------------------------------------------------------------

export interface LocalS3 {
  endpoint: string;
  client: S3Client;
  /** Writes an object through s3rver's own store (no HTTP): for seeding large fixtures fast. */
  seed(bucket: string, key: string, body: Buffer, metadata: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

interface S3rverListing {
  objects: Array<{ key: string }>;
  commonPrefixes: string[];
  isTruncated: boolean;
}
type ListObjects = (
  this: unknown,
  bucket: string,
  options: { delimiter?: string; prefix?: string; maxKeys?: number; startAfter?: string },
) => Promise<S3rverListing>;

/**
 * s3rver 3.7.1 loses common prefixes more than one folder deep: FilesystemStore.listObjects prunes
 * every directory below a would-be common prefix before it has seen an object in it, so
 * ListObjectsV2 Prefix=AWSLogs/o-x/ Delimiter=/ returns nothing. Real S3 rolls keys up into
 * CommonPrefixes; this patch lists without the delimiter (s3rver's own walk) and rolls up the same
 * way, so the tests see S3's documented behaviour ("Organizing objects using prefixes").
 */
function patchS3rverDelimiter(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- s3rver ships CommonJS without types
  const FilesystemStore = require("s3rver/lib/stores/filesystem");
  if (FilesystemStore.prototype.__orgscaleDelimiterPatch) return;
  const original: ListObjects = FilesystemStore.prototype.listObjects;
  FilesystemStore.prototype.listObjects = async function (this: unknown, bucket: string, options: Parameters<ListObjects>[1]): Promise<S3rverListing> {
    if (!options.delimiter) return original.call(this, bucket, options);
    const all = await original.call(this, bucket, { ...options, delimiter: "", maxKeys: Infinity });
    const prefix = options.prefix ?? "";
    const delimiter = options.delimiter;
    const maxKeys = options.maxKeys ?? Infinity;
    const commonPrefixes = new Set<string>();
    const objects: S3rverListing["objects"] = [];
    let isTruncated = false;
    for (const object of all.objects) {
      const rest = object.key.slice(prefix.length);
      const cut = rest.indexOf(delimiter);
      const common = cut >= 0 ? prefix + rest.slice(0, cut + delimiter.length) : undefined;
      if (common !== undefined && commonPrefixes.has(common)) continue;
      if (objects.length + commonPrefixes.size >= maxKeys) {
        isTruncated = true;
        break;
      }
      if (common !== undefined) commonPrefixes.add(common);
      else objects.push(object);
    }
    return { objects, commonPrefixes: [...commonPrefixes].sort(), isTruncated };
  };
  FilesystemStore.prototype.__orgscaleDelimiterPatch = true;
}

/**
 * s3rver keeps every object as files (FilesystemStore, several syscalls per request): on a tmpfs
 * (Linux /dev/shm) they never reach a disk, which made the organisation tests markedly faster.
 */
const SCRATCH = (() => {
  try {
    accessSync("/dev/shm", fsConstants.W_OK);
    return "/dev/shm";
  } catch {
    return os.tmpdir();
  }
})();

/** Starts s3rver in this process on an ephemeral 127.0.0.1 port, with a fresh directory. */
export async function startLocalS3(buckets: string[]): Promise<LocalS3> {
  patchS3rverDelimiter();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- s3rver ships CommonJS without types
  const S3rver = require("s3rver");
  const directory = await fs.mkdtemp(path.join(SCRATCH, "orgscale-s3-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: !process.env.S3RVER_VERBOSE,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  if (!process.env.S3RVER_VERBOSE) {
    // s3rver formats a log line for every request even when silent (koa-logger, then a silent
    // winston transport): a tenth of the organisation tests' server time. Its first middleware;
    // the app's logger, which other middleware reports errors to, stays.
    const middleware = (server as { middleware: Array<{ name?: string }> }).middleware;
    if (middleware[0]?.name === "logger") middleware.shift();
  }
  const { port } = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: "eu-west-1",
    // s3rver's fixed test credentials: nothing secret, the server runs on the loopback only.
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    maxAttempts: 3,
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- s3rver ships CommonJS without types
  const S3Object = require("s3rver/lib/models/object");
  return {
    endpoint,
    client,
    async seed(bucket, key, body, metadata) {
      const headers: Record<string, string> = { "content-type": "application/octet-stream", "content-length": String(body.length) };
      for (const [name, value] of Object.entries(metadata)) headers[`x-amz-meta-${name}`] = value;
      await server.store.putObject(new S3Object(bucket, key, body, headers));
    },
    async close() {
      client.destroy();
      await server.close();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}

export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}

/** Seeds every object of the organisation into s3rver's store (the tests then read it over the S3 API). */
export async function seedSyntheticOrg(s3: LocalS3, org: SyntheticOrg, concurrency = 32): Promise<void> {
  const limiter = new TaskLimiter(concurrency);
  await Promise.all([...org.objects].map(([key, object]) => limiter.run(() => s3.seed(org.trail.bucket, key, object.body, object.metadata))));
}

/** PUTs every object of the organisation (with its signature metadata) into the trail's bucket. */
export async function uploadSyntheticOrg(s3: S3Client, org: SyntheticOrg, concurrency = 16): Promise<void> {
  const limiter = new TaskLimiter(concurrency);
  await Promise.all(
    [...org.objects].map(([key, object]) =>
      limiter.run(() => s3.send(new PutObjectCommand({ Bucket: org.trail.bucket, Key: key, Body: object.body, Metadata: object.metadata }))),
    ),
  );
}

/** CloudTrail ListPublicKeys answered from the fixture's key (CloudTrail has no local server). */
export function fixtureCloudTrail(org: SyntheticOrg, calls?: { count: number }): CloudTrailClient {
  return {
    async send(command: unknown) {
      if (!(command instanceof ListPublicKeysCommand)) throw new Error(`fixture CloudTrail: ${(command as object).constructor.name} is not served`);
      if (calls) calls.count++;
      const { StartTime, EndTime } = command.input;
      const keys = keysValidBetween(org.publicKeys, StartTime ?? new Date(0), EndTime ?? new Date());
      return {
        PublicKeyList: keys.map((k) => ({
          Value: new Uint8Array(Buffer.from(k.Value, "base64")),
          Fingerprint: k.Fingerprint,
          ValidityStartTime: k.ValidityStartTime ? new Date(k.ValidityStartTime) : undefined,
          ValidityEndTime: k.ValidityEndTime ? new Date(k.ValidityEndTime) : undefined,
        })),
      };
    },
  } as unknown as CloudTrailClient;
}

/** aws-local-stepfunctions 3.0 calls Promise.withResolvers (Node 22+); Node 20 lacks it. */
export function ensurePromiseWithResolvers(): void {
  const P = Promise as unknown as { withResolvers?: unknown };
  if (typeof P.withResolvers === "function") return;
  P.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((a, b) => {
      resolve = a;
      reject = b;
    });
    return { promise, resolve, reject };
  };
}
