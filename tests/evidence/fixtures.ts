/**
 * Synthetic CloudTrail digest chains, signed exactly as CloudTrail signs them (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-custom-validation.html), kept in an
 * in-memory object model that tests can tamper with, then written as a local export or served
 * as S3 (and CloudTrail ListPublicKeys) through aws-sdk-client-mock.
 */
import { ListPublicKeysCommand } from "@aws-sdk/client-cloudtrail";
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, NoSuchKey } from "@aws-sdk/client-s3";
import type { AwsStub } from "aws-sdk-client-mock";
import * as crypto from "node:crypto";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import * as zlib from "node:zlib";
import {
  buildStringToSign,
  digestKeyFor,
  formatKeyTimestamp,
  keysValidBetween,
  publicKeyFingerprint,
  sha256Hex,
  type PublicKeyRecord,
  type TrailLocation,
} from "../../cloudtrail/verify";
import { cloudTrailTime as iso, digestDocument, logFileContent } from "../../testkit/cloudtrail-log";
import { CLOUDTRAIL_TEST_KEY_PEM } from "../../testkit/test-keys";

export { logFileContent };

export type AnyStub = AwsStub<any, any, any>;

export interface SigningKey {
  privateKey: crypto.KeyObject;
  record: PublicKeyRecord;
  fingerprint: string;
}

const parsedTestKeys = new Map<string, crypto.KeyObject>();

/** One of the committed test-only keys (test-keys.ts), parsed once per process. */
export function testPrivateKey(pem: string = CLOUDTRAIL_TEST_KEY_PEM): crypto.KeyObject {
  let key = parsedTestKeys.get(pem);
  if (!key) {
    key = crypto.createPrivateKey(pem);
    parsedTestKeys.set(pem, key);
  }
  return key;
}

/**
 * 2048-bit RSA like CloudTrail's: the committed test key shared by every evidence test (no fresh
 * key per file, issue 13). `pem` picks another committed key when a test needs a second signer.
 */
export function makeSigningKey(
  validFrom = new Date("2020-01-01T00:00:00Z"),
  validTo = new Date("2030-01-01T00:00:00Z"),
  pem: string = CLOUDTRAIL_TEST_KEY_PEM,
): SigningKey {
  const privateKey = testPrivateKey(pem);
  return signingKeyFrom(privateKey, crypto.createPublicKey(privateKey), validFrom, validTo);
}

export function signingKeyFrom(privateKey: crypto.KeyObject, publicKey: crypto.KeyObject, validFrom: Date, validTo: Date): SigningKey {
  const der = publicKey.export({ format: "der", type: "pkcs1" });
  const fingerprint = publicKeyFingerprint(der);
  return {
    privateKey,
    fingerprint,
    record: {
      Value: der.toString("base64"),
      Fingerprint: fingerprint,
      ValidityStartTime: validFrom.toISOString(),
      ValidityEndTime: validTo.toISOString(),
    },
  };
}

export interface StoredObject {
  body: Buffer;
  metadata: Record<string, string>;
}

export interface BuiltDigest {
  index: number;
  bucket: string;
  key: string;
  doc: Record<string, unknown>;
  uncompressed: Buffer;
  signature: string;
  logKeys: string[];
}

export interface ChainOptions {
  signingKey: SigningKey;
  trail?: Partial<TrailLocation>;
  region?: string;
  /** Start of the first digest's hour. */
  start: Date;
  digests: number;
  logsPerDigest?: number;
  /** Log files of the n-th digest of this call (overrides logsPerDigest). */
  logsFor?: (n: number) => number;
  /** Hours with no digest before digest i (logging stopped): digest i then has no previous. */
  gapHoursBefore?: Record<number, number>;
  /** Change a digest document before it is serialised and signed (a validly signed oddity). */
  mutate?: (index: number, doc: Record<string, unknown>) => void;
  /** Events per log file (small in unit tests). */
  eventsPerLog?: number;
}

export const DEFAULT_TRAIL: TrailLocation = {
  bucket: "audit-log-bucket",
  prefix: "org-trail",
  accountId: "123456789012",
  trailName: "audit-trail",
  homeRegion: "eu-west-1",
};

export function gzip(data: Buffer | string): Buffer {
  return zlib.gzipSync(typeof data === "string" ? Buffer.from(data) : data);
}

export function signDigest(signingKey: SigningKey, doc: Record<string, unknown>, uncompressed: Buffer): string {
  const toSign = buildStringToSign(
    doc.digestEndTime as string,
    doc.digestS3Bucket as string,
    doc.digestS3Object as string,
    sha256Hex(uncompressed),
    (doc.previousDigestSignature as string | null) ?? null,
  );
  return crypto.sign("sha256", Buffer.from(toSign, "utf8"), signingKey.privateKey).toString("hex");
}

export class ChainFixture {
  /** Where the next digests go; moveToBucket changes it (a trail whose bucket changed). */
  trail: TrailLocation;
  readonly region: string;
  /** `bucket/key` -> stored object */
  readonly objects = new Map<string, StoredObject>();
  readonly digests: BuiltDigest[] = [];
  readonly publicKeys: PublicKeyRecord[] = [];

  constructor(trail: TrailLocation, region: string) {
    this.trail = trail;
    this.region = region;
  }

  static build(options: ChainOptions): ChainFixture {
    const trail: TrailLocation = { ...DEFAULT_TRAIL, ...options.trail };
    const fixture = new ChainFixture(trail, options.region ?? trail.homeRegion);
    fixture.publicKeys.push(options.signingKey.record);
    fixture.appendDigests(options);
    return fixture;
  }

  /** Builds `options.digests` hourly digests continuing after the last one (if any). */
  appendDigests(options: ChainOptions): void {
    const { signingKey } = options;
    const logsPerDigest = options.logsPerDigest ?? 2;
    const last = this.digests[this.digests.length - 1];
    let end = last ? new Date(new Date(last.doc.digestEndTime as string).getTime()) : new Date(options.start.getTime());
    for (let n = 0; n < options.digests; n++) {
      const index = this.digests.length;
      const gapHours = options.gapHoursBefore?.[n] ?? 0;
      const start = new Date(end.getTime() + gapHours * 3_600_000);
      end = new Date(start.getTime() + 3_600_000);
      const previous = gapHours > 0 ? undefined : this.digests[index - 1];
      const key = digestKeyFor(this.trail, this.region, end);
      const logKeys: string[] = [];
      const logFiles = [];
      const logs = options.logsFor?.(n) ?? logsPerDigest;
      for (let j = 0; j < logs; j++) {
        const at = new Date(start.getTime() + (j + 1) * 60_000 * 5);
        const logKey = this.logKeyFor(at, `${index}-${j}`);
        const content = Buffer.from(logFileContent(this.region, this.trail.accountId, at, options.eventsPerLog ?? 3, `${index}-${j}`));
        this.put(this.trail.bucket, logKey, gzip(content));
        logKeys.push(logKey);
        logFiles.push({
          s3Bucket: this.trail.bucket,
          s3Object: logKey,
          hashValue: sha256Hex(content),
          hashAlgorithm: "SHA-256",
          newestEventTime: iso(at),
          oldestEventTime: iso(at),
        });
      }
      const doc = digestDocument({
        accountId: this.trail.accountId,
        bucket: this.trail.bucket,
        key,
        start,
        end,
        fingerprint: signingKey.fingerprint,
        eventTimes: { newest: end, oldest: start },
        previous,
        logFiles,
      });
      options.mutate?.(index, doc);
      const digest = this.storeDigest(index, key, doc, signingKey);
      digest.logKeys.push(...logKeys);
    }
  }

  /**
   * The trail's bucket changes (UpdateTrail S3BucketName): digests appended from now on go to
   * `bucket`, and the first of them names its predecessor in the old bucket, as CloudTrail does.
   */
  moveToBucket(bucket: string): void {
    this.trail = { ...this.trail, bucket };
  }

  /**
   * Adds a backfill digest ending at `end`, generated at `generatedAt`: its own chain (no
   * previous), or linked to `previous` (a backfill or a standard digest) when given.
   */
  addBackfillDigest(end: Date, generatedAt: Date, signingKey: SigningKey, logs = 1, previous?: BuiltDigest): BuiltDigest {
    const key = digestKeyFor(this.trail, this.region, end, true);
    const logFiles = [];
    const logKeys: string[] = [];
    for (let j = 0; j < logs; j++) {
      const at = new Date(end.getTime() - 30 * 60_000 + j * 1000);
      const logKey = this.logKeyFor(at, `backfill-${formatKeyTimestamp(end)}-${j}`);
      const content = Buffer.from(logFileContent(this.region, this.trail.accountId, at, 2, logKey));
      this.put(this.trail.bucket, logKey, gzip(content));
      logKeys.push(logKey);
      logFiles.push({ s3Bucket: this.trail.bucket, s3Object: logKey, hashValue: sha256Hex(content), hashAlgorithm: "SHA-256" });
    }
    const doc = digestDocument({
      accountId: this.trail.accountId,
      bucket: this.trail.bucket,
      key,
      start: new Date(end.getTime() - 3_600_000),
      end,
      fingerprint: signingKey.fingerprint,
      previous,
      logFiles,
    });
    const digest = this.storeDigest(-1, key, doc, signingKey, { "backfill-generation-timestamp": generatedAt.toISOString() });
    digest.logKeys.push(...logKeys);
    if (!this.publicKeys.some((k) => k.Fingerprint === signingKey.fingerprint)) this.publicKeys.push(signingKey.record);
    return digest;
  }

  private storeDigest(
    index: number,
    key: string,
    doc: Record<string, unknown>,
    signingKey: SigningKey,
    extraMetadata: Record<string, string> = {},
  ): BuiltDigest {
    const uncompressed = Buffer.from(JSON.stringify(doc));
    const signature = signDigest(signingKey, doc, uncompressed);
    this.put(this.trail.bucket, key, gzip(uncompressed), {
      signature,
      "signature-algorithm": "SHA256withRSA",
      ...extraMetadata,
    });
    const built: BuiltDigest = { index, bucket: this.trail.bucket, key, doc, uncompressed, signature, logKeys: [] };
    if (index >= 0) this.digests.push(built);
    return built;
  }

  logKeyFor(at: Date, salt: string): string {
    const head = this.trail.prefix ? `${this.trail.prefix}/` : "";
    const day = at.toISOString().slice(0, 10).replace(/-/g, "/");
    const stamp = formatKeyTimestamp(at).slice(0, 13) + "Z";
    return `${head}AWSLogs/${this.trail.accountId}/CloudTrail/${this.region}/${day}/${this.trail.accountId}_CloudTrail_${this.region}_${stamp}_${salt}.json.gz`;
  }

  // --- the object model tests tamper with -------------------------------------------------

  put(bucket: string, key: string, body: Buffer, metadata: Record<string, string> = {}): void {
    this.objects.set(`${bucket}/${key}`, { body, metadata });
  }

  get(bucket: string, key: string): StoredObject {
    const object = this.objects.get(`${bucket}/${key}`);
    if (!object) throw new Error(`fixture has no s3://${bucket}/${key}`);
    return object;
  }

  delete(bucket: string, key: string): void {
    if (!this.objects.delete(`${bucket}/${key}`)) throw new Error(`fixture has no s3://${bucket}/${key}`);
  }

  /** Moves an object to another key (content and metadata unchanged). */
  move(bucket: string, fromKey: string, toKey: string): void {
    const object = this.get(bucket, fromKey);
    this.delete(bucket, fromKey);
    this.put(bucket, toKey, object.body, object.metadata);
  }

  /** Keys of one bucket in S3 listing order (UTF-8 binary order). */
  keysOf(bucket: string): string[] {
    return [...this.objects.keys()]
      .filter((id) => id.startsWith(`${bucket}/`))
      .map((id) => id.slice(bucket.length + 1))
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }

  /** Writes `<dir>/<bucket>/<key>`, `<key>.meta.json` for objects with metadata, and public-keys.json. */
  async writeExport(dir: string, publicKeysFile = path.join(dir, "public-keys.json")): Promise<void> {
    for (const [id, object] of this.objects) {
      const file = path.join(dir, id);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, object.body);
      if (Object.keys(object.metadata).length > 0) await fs.writeFile(file + ".meta.json", JSON.stringify(object.metadata));
    }
    await fs.writeFile(publicKeysFile, JSON.stringify({ PublicKeyList: this.publicKeys }));
  }

  /**
   * Serves the object model as S3 and the public keys as CloudTrail ListPublicKeys.
   * ListObjectsV2 honours Prefix, StartAfter, Delimiter, MaxKeys and continuation tokens;
   * ListPublicKeys honours the time range and pages by `keyPageSize`.
   */
  serve(s3Mock: AnyStub, cloudTrailMock?: AnyStub, options: { pageSize?: number; keyPageSize?: number } = {}): void {
    s3Mock
      .on(ListObjectsV2Command)
      .callsFake((input: { Bucket: string; Prefix?: string; StartAfter?: string; ContinuationToken?: string; Delimiter?: string; MaxKeys?: number }) => {
        const pageSize = Math.min(input.MaxKeys ?? 1000, options.pageSize ?? 1000);
        const after = input.ContinuationToken ? Buffer.from(input.ContinuationToken, "base64").toString() : input.StartAfter;
        const prefix = input.Prefix ?? "";
        const keys = this.keysOf(input.Bucket).filter(
          (k) => k.startsWith(prefix) && (after === undefined || Buffer.compare(Buffer.from(k), Buffer.from(after)) > 0),
        );
        const contents: { Key: string }[] = [];
        const commonPrefixes: string[] = [];
        let last: string | undefined;
        let count = 0;
        let truncated = false;
        for (const key of keys) {
          if (last !== undefined && Buffer.compare(Buffer.from(key), Buffer.from(last)) <= 0) continue;
          if (count >= pageSize) {
            truncated = true;
            break;
          }
          if (input.Delimiter) {
            const rest = key.slice(prefix.length);
            const cut = rest.indexOf(input.Delimiter);
            if (cut >= 0) {
              const common = prefix + rest.slice(0, cut + input.Delimiter.length);
              // S3 rolls a common prefix up: the page (and its token) move past all its keys.
              if (!commonPrefixes.includes(common)) {
                commonPrefixes.push(common);
                count++;
              }
              last = common + "\uffff";
              continue;
            }
          }
          contents.push({ Key: key });
          count++;
          last = key;
        }
        return {
          Contents: contents,
          CommonPrefixes: commonPrefixes.map((Prefix) => ({ Prefix })),
          IsTruncated: truncated,
          NextContinuationToken: truncated && last ? Buffer.from(last).toString("base64") : undefined,
          KeyCount: count,
        };
      });
    const notFound = (key: string) => new NoSuchKey({ message: `The specified key does not exist: ${key}`, $metadata: { httpStatusCode: 404 } });
    s3Mock.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
      const object = this.objects.get(`${input.Bucket}/${input.Key}`);
      if (!object) throw notFound(input.Key);
      return { Body: Readable.from([object.body]), Metadata: { ...object.metadata }, ContentLength: object.body.length };
    });
    s3Mock.on(HeadObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
      const object = this.objects.get(`${input.Bucket}/${input.Key}`);
      if (!object) throw Object.assign(new Error("NotFound"), { name: "NotFound", $metadata: { httpStatusCode: 404 } });
      return { Metadata: { ...object.metadata }, ContentLength: object.body.length };
    });
    if (cloudTrailMock) {
      cloudTrailMock.on(ListPublicKeysCommand).callsFake((input: { StartTime?: Date; EndTime?: Date; NextToken?: string }) => {
        const all = keysValidBetween(this.publicKeys, input.StartTime ?? new Date(0), input.EndTime ?? new Date());
        const size = options.keyPageSize ?? all.length;
        const from = input.NextToken ? Number(input.NextToken) : 0;
        const page = all.slice(from, from + size);
        return {
          PublicKeyList: page.map((k) => ({
            Value: new Uint8Array(Buffer.from(k.Value, "base64")),
            Fingerprint: k.Fingerprint,
            ValidityStartTime: k.ValidityStartTime ? new Date(k.ValidityStartTime) : undefined,
            ValidityEndTime: k.ValidityEndTime ? new Date(k.ValidityEndTime) : undefined,
          })),
          NextToken: from + size < all.length ? String(from + size) : undefined,
        };
      });
    }
  }
}

export async function makeTempDir(label: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `evidence-${label}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}
