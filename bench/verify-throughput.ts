/**
 * Verification throughput on a local export, against the machine's own limit.
 *
 *   npx ts-node --transpile-only bench/verify-throughput.ts [--gib 1] [--concurrency 8] [--repeat 3]
 *   npx ts-node --transpile-only bench/verify-throughput.ts --gib 0.05      (quick run)
 *
 * Generates (once; cached in os.tmpdir()) an export of hourly digests whose log files hold at
 * least --gib GiB of uncompressed CloudTrail-like JSON (random ids, keys, IPs: realistic, hard to
 * compress), signed as CloudTrail signs. Then measures, on warm page cache:
 *   1. the verifier (LocalExportStore + verifyTrailLogs), MB/s of uncompressed log content;
 *   2. the limit: gunzip + SHA-256 of the same files in this process, sequentially and with the
 *      same number of files in flight;
 * and prints the ratio and the peak RSS sampled during the verification. The machine may be
 * shared, so the measurements alternate over --repeat rounds and medians are reported.
 */
import * as crypto from "node:crypto";
import { createReadStream, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import * as zlib from "node:zlib";
import { TaskLimiter } from "../cloudtrail/verify/concurrency";
import { buildStringToSign, digestKeyFor, formatKeyTimestamp, publicKeyFingerprint, sha256Hex, type TrailLocation } from "../cloudtrail/verify";
import { LocalExportStore, readPublicKeysFile } from "../cloudtrail/verify/local-store";
import { verifyTrailLogs } from "../cloudtrail/verify/verifier";

const GENERATOR_VERSION = 2;
const LOG_FILE_BYTES = 4 * 1024 * 1024;
const LOGS_PER_DIGEST = 8;
const TRAIL: TrailLocation = { bucket: "bench-audit-logs", prefix: "bench", accountId: "123456789012", trailName: "bench-trail", homeRegion: "eu-west-1" };
const REGION = "eu-west-1";
const START = new Date("2024-03-01T00:00:00Z");

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && process.argv[i + 1]) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : fallback;
}

const EVENT_NAMES = [
  ["s3.amazonaws.com", "GetObject", true],
  ["s3.amazonaws.com", "PutObject", false],
  ["s3.amazonaws.com", "HeadObject", true],
  ["kms.amazonaws.com", "Decrypt", true],
  ["kms.amazonaws.com", "GenerateDataKey", true],
  ["sts.amazonaws.com", "AssumeRole", true],
  ["ec2.amazonaws.com", "DescribeInstances", true],
  ["iam.amazonaws.com", "PutRolePolicy", false],
] as const;
const AGENTS = [
  "aws-sdk-js/3.600.0 ua/2.1 os/linux lang/js md/nodejs#20.12.2",
  "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64",
  "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux",
];

function randomIp(): string {
  const b = crypto.randomBytes(4);
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** One CloudTrail-like record; random ids make it compress about as badly as real logs do. */
function record(at: Date, i: number): unknown {
  const [eventSource, eventName, readOnly] = EVENT_NAMES[i % EVENT_NAMES.length];
  const session = crypto.randomBytes(6).toString("hex");
  const role = `app-role-${i % 17}`;
  return {
    eventVersion: "1.09",
    userIdentity: {
      type: "AssumedRole",
      principalId: `AROA${crypto.randomBytes(8).toString("hex").toUpperCase()}:${session}`,
      arn: `arn:aws:sts::123456789012:assumed-role/${role}/${session}`,
      accountId: "123456789012",
      accessKeyId: `ASIA${crypto.randomBytes(8).toString("hex").toUpperCase()}`,
      sessionContext: {
        sessionIssuer: { type: "Role", principalId: "AROAEXAMPLE", arn: `arn:aws:iam::123456789012:role/${role}`, accountId: "123456789012", userName: role },
        attributes: { creationDate: at.toISOString(), mfaAuthenticated: "false" },
      },
    },
    eventTime: new Date(at.getTime() + i * 37).toISOString().replace(/\.\d{3}Z$/, "Z"),
    eventSource,
    eventName,
    awsRegion: REGION,
    sourceIPAddress: randomIp(),
    userAgent: AGENTS[i % AGENTS.length],
    requestParameters: {
      bucketName: "backup-data-prd",
      key: `patients/${crypto.randomBytes(10).toString("hex")}/${crypto.randomUUID()}.json`,
      Host: "backup-data-prd.s3.eu-west-1.amazonaws.com",
    },
    responseElements: null,
    additionalEventData: {
      SignatureVersion: "SigV4",
      CipherSuite: "TLS_AES_128_GCM_SHA256",
      bytesTransferredIn: 0,
      AuthenticationMethod: "AuthHeader",
      "x-amz-id-2": crypto.randomBytes(57).toString("base64"),
      bytesTransferredOut: (i * 7919) % 65536,
    },
    requestID: crypto.randomBytes(8).toString("hex").toUpperCase(),
    eventID: crypto.randomUUID(),
    readOnly,
    resources: [{ type: "AWS::S3::Object", ARN: `arn:aws:s3:::backup-data-prd/patients/${session}` }],
    eventType: "AwsApiCall",
    managementEvent: false,
    recipientAccountId: "123456789012",
    eventCategory: "Data",
    tlsDetails: { tlsVersion: "TLSv1.3", cipherSuite: "TLS_AES_128_GCM_SHA256", clientProvidedHostHeader: "backup-data-prd.s3.eu-west-1.amazonaws.com" },
  };
}

function logFileContent(at: Date): Buffer {
  const parts: string[] = [];
  let size = 14;
  for (let i = 0; size < LOG_FILE_BYTES; i++) {
    const text = JSON.stringify(record(at, i));
    parts.push(text);
    size += text.length + 1;
  }
  return Buffer.from(`{"Records":[${parts.join(",")}]}`);
}

interface CachedExport {
  dir: string;
  keysFile: string;
  logFiles: string[];
  uncompressedBytes: number;
  compressedBytes: number;
  digests: number;
  end: Date;
}

async function generate(gib: number): Promise<CachedExport> {
  const dir = path.join(os.tmpdir(), `evidence-bench-v${GENERATOR_VERSION}-${gib}GiB`);
  const manifestFile = path.join(dir, "bench-manifest.json");
  try {
    const manifest = JSON.parse(await fs.readFile(manifestFile, "utf8"));
    process.stdout.write(`Using cached export ${dir}\n`);
    return { ...manifest, end: new Date(manifest.end) };
  } catch {
    // not generated yet
  }
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  const target = gib * 1024 ** 3;
  const files = Math.max(1, Math.ceil(target / LOG_FILE_BYTES));
  const digestsCount = Math.ceil(files / LOGS_PER_DIGEST);
  process.stdout.write(
    `Generating ${files} log files (~${((files * LOG_FILE_BYTES) / 1024 ** 3).toFixed(2)} GiB uncompressed) under ${digestsCount} digests in ${dir} ...\n`,
  );
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const der = publicKey.export({ format: "der", type: "pkcs1" });
  const fingerprint = publicKeyFingerprint(der);
  const keysFile = path.join(dir, "public-keys.json");
  await fs.writeFile(
    keysFile,
    JSON.stringify({
      PublicKeyList: [
        { Value: der.toString("base64"), Fingerprint: fingerprint, ValidityStartTime: "2020-01-01T00:00:00Z", ValidityEndTime: "2030-01-01T00:00:00Z" },
      ],
    }),
  );

  const logFiles: string[] = [];
  let uncompressedBytes = 0;
  let compressedBytes = 0;
  let previous: { key: string; uncompressed: Buffer; signature: string } | undefined;
  let end = START;
  const began = Date.now();
  for (let d = 0, made = 0; d < digestsCount; d++) {
    const start = new Date(START.getTime() + d * 3_600_000);
    end = new Date(start.getTime() + 3_600_000);
    const entries = [];
    for (let j = 0; j < LOGS_PER_DIGEST && made < files; j++, made++) {
      const at = new Date(start.getTime() + j * 7 * 60_000);
      const content = logFileContent(at);
      const key = `${TRAIL.prefix}/AWSLogs/${TRAIL.accountId}/CloudTrail/${REGION}/${at.toISOString().slice(0, 10).replace(/-/g, "/")}/${TRAIL.accountId}_CloudTrail_${REGION}_${formatKeyTimestamp(at).slice(0, 13)}Z_${crypto.randomBytes(8).toString("hex")}.json.gz`;
      const gz = zlib.gzipSync(content);
      const file = path.join(dir, TRAIL.bucket, key);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, gz);
      logFiles.push(file);
      uncompressedBytes += content.length;
      compressedBytes += gz.length;
      entries.push({ s3Bucket: TRAIL.bucket, s3Object: key, hashValue: sha256Hex(content), hashAlgorithm: "SHA-256" });
    }
    const key = digestKeyFor(TRAIL, REGION, end);
    const doc = {
      awsAccountId: TRAIL.accountId,
      digestStartTime: start.toISOString().replace(/\.\d{3}Z$/, "Z"),
      digestEndTime: end.toISOString().replace(/\.\d{3}Z$/, "Z"),
      digestS3Bucket: TRAIL.bucket,
      digestS3Object: key,
      digestPublicKeyFingerprint: fingerprint,
      digestSignatureAlgorithm: "SHA256withRSA",
      previousDigestS3Bucket: previous ? TRAIL.bucket : null,
      previousDigestS3Object: previous?.key ?? null,
      previousDigestHashValue: previous ? sha256Hex(previous.uncompressed) : null,
      previousDigestHashAlgorithm: previous ? "SHA-256" : null,
      previousDigestSignature: previous?.signature ?? null,
      logFiles: entries,
    };
    const uncompressed = Buffer.from(JSON.stringify(doc));
    const toSign = buildStringToSign(doc.digestEndTime, doc.digestS3Bucket, key, sha256Hex(uncompressed), doc.previousDigestSignature);
    const signature = crypto.sign("sha256", Buffer.from(toSign), privateKey).toString("hex");
    const file = path.join(dir, TRAIL.bucket, key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, zlib.gzipSync(uncompressed));
    await fs.writeFile(file + ".meta.json", JSON.stringify({ signature, "signature-algorithm": "SHA256withRSA" }));
    previous = { key, uncompressed, signature };
    process.stdout.write(`\r  ${made}/${files} log files, ${(uncompressedBytes / 1024 ** 2).toFixed(0)} MiB, ${((Date.now() - began) / 1000).toFixed(0)} s`);
  }
  process.stdout.write("\n");
  const manifest = { dir, keysFile, logFiles, uncompressedBytes, compressedBytes, digests: digestsCount, end: end.toISOString() };
  await fs.writeFile(manifestFile, JSON.stringify(manifest));
  return { ...manifest, end };
}

class RssSampler {
  peak = process.memoryUsage().rss;
  private timer: NodeJS.Timeout | undefined;
  start(): void {
    this.peak = process.memoryUsage().rss;
    this.timer = setInterval(() => {
      this.peak = Math.max(this.peak, process.memoryUsage().rss);
    }, 20);
  }
  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.peak = Math.max(this.peak, process.memoryUsage().rss);
    return this.peak;
  }
}

async function gunzipAndHash(file: string): Promise<number> {
  const hash = crypto.createHash("sha256");
  let bytes = 0;
  const gunzip = zlib.createGunzip({ chunkSize: 64 * 1024 });
  gunzip.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
    hash.update(chunk);
  });
  await pipeline(createReadStream(file, { highWaterMark: 256 * 1024 }), gunzip);
  hash.digest();
  return bytes;
}

async function baseline(files: string[], inFlight: number): Promise<{ seconds: number; bytes: number }> {
  const limiter = new TaskLimiter(inFlight);
  const began = process.hrtime.bigint();
  const sizes = await Promise.all(files.map((f) => limiter.run(() => gunzipAndHash(f))));
  return { seconds: Number(process.hrtime.bigint() - began) / 1e9, bytes: sizes.reduce((a, b) => a + b, 0) };
}

const mb = (bytes: number, seconds: number) => bytes / 1e6 / seconds;
const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MiB`;

async function main(): Promise<void> {
  const gib = Number(arg("gib", "1"));
  const concurrency = Number(arg("concurrency", "8"));
  const repeat = Number(arg("repeat", "3"));
  if (!(gib > 0) || !(concurrency >= 1) || !(repeat >= 1)) throw new Error("--gib must be a positive number, --concurrency and --repeat positive integers");
  const data = await generate(gib);
  process.stdout.write(
    `Export: ${data.digests} digests, ${data.logFiles.length} log files, ${mib(data.uncompressedBytes)} uncompressed, ${mib(data.compressedBytes)} compressed ` +
      `(ratio ${(data.uncompressedBytes / data.compressedBytes).toFixed(1)}:1); ${os.cpus().length} CPU(s), node ${process.version}\n`,
  );

  // Warm the page cache so every measurement reads from memory, not disk.
  await baseline(data.logFiles, 2);

  // The machine is shared: measurements are interleaved round by round and medians reported.
  const keys = await readPublicKeysFile(data.keysFile);
  const store = new LocalExportStore(data.dir, keys);
  const sampler = new RssSampler();
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const verifyRates: number[] = [];
  const seqRates: number[] = [];
  const parRates: number[] = [];
  let last: Awaited<ReturnType<typeof verifyTrailLogs>> | undefined;
  for (let round = 0; round < repeat; round++) {
    sampler.start();
    const began = process.hrtime.bigint();
    const result = await verifyTrailLogs({ store, trail: TRAIL, start: START, end: data.end, regions: [REGION], concurrency });
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    peakRss = Math.max(peakRss, sampler.stop());
    if (!result.valid || result.logFilesChecked !== data.logFiles.length) {
      throw new Error(`benchmark export did not verify cleanly: ${JSON.stringify(result.findings.slice(0, 3))}`);
    }
    last = result;
    verifyRates.push(mb(result.uncompressedLogBytes, seconds));
    const sequential = await baseline(data.logFiles, 1);
    seqRates.push(mb(sequential.bytes, sequential.seconds));
    const parallel = await baseline(data.logFiles, concurrency);
    parRates.push(mb(parallel.bytes, parallel.seconds));
    process.stdout.write(
      `  round ${round + 1}/${repeat}: verify ${verifyRates[round].toFixed(0)}, limit 1-at-a-time ${seqRates[round].toFixed(0)}, limit ${concurrency}-in-flight ${parRates[round].toFixed(0)} MB/s\n`,
    );
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const range = (xs: number[]) => `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}`;
  const verifyRate = median(verifyRates);
  const seqRate = median(seqRates);
  const parRate = median(parRates);
  const limit = Math.max(seqRate, parRate);
  process.stdout.write(
    [
      "",
      `medians of ${repeat} round(s), MB/s of uncompressed log content (10^6 bytes/s):`,
      `verify (LocalExportStore, concurrency ${concurrency}): ${verifyRate.toFixed(0)} MB/s  [${range(verifyRates)}]  (${last?.digestsChecked} digests, ${last?.logFilesChecked} log files)`,
      `limit: gunzip + SHA-256, 1 file at a time:      ${seqRate.toFixed(0)} MB/s  [${range(seqRates)}]`,
      `limit: gunzip + SHA-256, ${concurrency} files in flight:     ${parRate.toFixed(0)} MB/s  [${range(parRates)}]`,
      `ratio verify / best limit: ${(verifyRate / limit).toFixed(2)}   (verify / 1-at-a-time: ${(verifyRate / seqRate).toFixed(2)})`,
      `peak RSS during verify: ${mib(peakRss)} (${mib(peakRss - rssBefore)} above the ${mib(rssBefore)} before it; process maxRSS incl. generation: ${mib(process.resourceUsage().maxRSS * 1024)})`,
      "",
    ].join("\n"),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
