/**
 * `package`: the evidence package of E13, regenerable by one command. For a period it collects
 * trail configuration and status, the integrity verification of the digest chain, the log
 * bucket's protection settings, AWS Config compliance, and the daily review records (E14), then
 * writes an index mapping each file to the controls it evidences and a SHA256SUMS of everything.
 */
import { GetEventSelectorsCommand, GetTrailStatusCommand } from "@aws-sdk/client-cloudtrail";
import { DescribeComplianceByConfigRuleCommand, type ComplianceByConfigRule } from "@aws-sdk/client-config-service";
import {
  GetBucketEncryptionCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  GetPublicAccessBlockCommand,
  ListObjectsV2Command,
} from "@aws-sdk/client-s3";
import * as crypto from "node:crypto";
import { createReadStream, createWriteStream, promises as fs } from "node:fs";
import * as path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { resolveTrail, type AwsClients, type TrailResolutionOptions } from "../../cloudtrail/aws";
import { formatDisplayDate } from "../../cloudtrail/verify/digest-key";
import { isFailure } from "../../cloudtrail/verify/findings";
import { formatVerificationReport, toVerificationJson } from "../../cloudtrail/verify/report";
import { type TrustedPublicKey, type VerificationResult, type VerifyProgress } from "../../cloudtrail/verify/verifier";
import { CONTROLS, ITEM_CONTROLS, type ControlId, type EvidenceItemKind } from "./controls";

export const PACKAGE_SCHEMA = "audit-evidence-package/v1";
export const CHECKSUM_FILE = "SHA256SUMS";
import { REVIEW_PREFIX } from "../../cloudtrail/constants";
import { verifyTrailOnS3, type TrailPeriodOptions } from "../../cloudtrail/trail-verification";
export { REVIEW_PREFIX };

export type ItemStatus = "collected" | "absent" | "error";

export interface PackageItem {
  path: string;
  kind: EvidenceItemKind;
  title: string;
  /** The API call or computation that produced the file. */
  source: string;
  status: ItemStatus;
  note?: string;
  controls: ControlId[];
}

export interface PackageOptions extends TrailResolutionOptions, TrailPeriodOptions {
  clients: AwsClients;
  stack: string;
  trailArn: string;
  logBucket: string;
  kmsKeyArn?: string;
  out: string;
  onProgress?: (progress: VerifyProgress) => void;
}

export interface PackageResult {
  out: string;
  items: PackageItem[];
  verification: VerificationResult;
  files: string[];
}

function withoutMetadata<T extends object>(response: T): Omit<T, "$metadata"> {
  const { $metadata: _ignored, ...rest } = response as T & { $metadata?: unknown };
  return rest;
}

function errorName(err: unknown): string {
  return (err as { name?: string }).name ?? "Error";
}

function errorMessage(err: unknown): string {
  return `${errorName(err)}: ${(err as Error).message ?? String(err)}`;
}

/** UTC days (YYYY/MM/DD) the period touches; an end exactly at midnight does not add a day. */
export function periodDays(start: Date, end: Date): string[] {
  const days: string[] = [];
  const last = new Date(Math.max(start.getTime(), end.getTime() - 1));
  for (let d = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()); d <= last.getTime(); d += 86_400_000) {
    days.push(new Date(d).toISOString().slice(0, 10).replace(/-/g, "/"));
  }
  return days;
}

class PackageWriter {
  readonly items: PackageItem[] = [];

  constructor(readonly out: string) {}

  async writeFile(rel: string, data: string | Buffer): Promise<void> {
    const file = path.join(this.out, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, data);
  }

  async writeJson(rel: string, data: unknown): Promise<void> {
    await this.writeFile(rel, JSON.stringify(data, null, 2) + "\n");
  }

  record(item: Omit<PackageItem, "controls">): void {
    this.items.push({ ...item, controls: [...ITEM_CONTROLS[item.kind]] });
  }

  /** Runs an API call and records its result, or that it is absent/failed, as one item. */
  async collect(rel: string, kind: EvidenceItemKind, title: string, source: string, call: () => Promise<unknown>, absentErrors: string[] = []): Promise<void> {
    try {
      const data = await call();
      await this.writeJson(rel, data);
      this.record({ path: rel, kind, title, source, status: "collected" });
    } catch (err) {
      const absent = absentErrors.includes(errorName(err));
      await this.writeJson(rel, absent ? { absent: true, error: errorName(err), message: (err as Error).message } : { error: errorMessage(err) });
      this.record({
        path: rel,
        kind,
        title,
        source,
        status: absent ? "absent" : "error",
        note: absent ? `not configured (${errorName(err)})` : `could not be collected: ${errorMessage(err)}`,
      });
    }
  }
}

async function listAllFiles(root: string, rel = ""): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listAllFiles(root, child)));
    else if (entry.isFile()) files.push(child);
  }
  return files.sort();
}

async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

/** `sha256sum` format, so `sha256sum -c SHA256SUMS` checks the package. */
export async function writeChecksums(out: string): Promise<string[]> {
  const files = (await listAllFiles(out)).filter((f) => f !== CHECKSUM_FILE);
  const lines: string[] = [];
  for (const file of files) lines.push(`${await sha256File(path.join(out, file))}  ${file}`);
  await fs.writeFile(path.join(out, CHECKSUM_FILE), lines.join("\n") + "\n");
  return files;
}

function toReadable(body: unknown): Readable {
  if (body instanceof Readable) return body;
  if (body instanceof Uint8Array || typeof body === "string") return Readable.from([Buffer.from(body)]);
  return Readable.from(body as AsyncIterable<Uint8Array>);
}

async function collectReviewRecords(options: PackageOptions, writer: PackageWriter): Promise<void> {
  const s3 = options.clients.s3(homeRegionOf(options));
  const days = periodDays(options.start, options.end);
  const firstDay = days[0];
  const lastDay = days[days.length - 1];
  const found: string[] = [];
  const failures: string[] = [];
  let token: string | undefined;
  let past = false;
  try {
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: options.logBucket, Prefix: REVIEW_PREFIX, StartAfter: `${REVIEW_PREFIX}${firstDay}`, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        const m = /^review\/(\d{4}\/\d{2}\/\d{2})\/[^/]+\.json$/.exec(object.Key ?? "");
        if (!m) continue;
        if (m[1] > lastDay) {
          past = true;
          break;
        }
        if (m[1] >= firstDay) found.push(object.Key as string);
      }
      token = page.IsTruncated && !past ? page.NextContinuationToken : undefined;
    } while (token);
  } catch (err) {
    await writer.writeJson("review-records/coverage.json", { error: errorMessage(err) });
    writer.record({
      path: "review-records/coverage.json",
      kind: "review-records",
      title: "Daily review records (E14)",
      source: `s3:ListObjectsV2 s3://${options.logBucket}/${REVIEW_PREFIX}`,
      status: "error",
      note: `could not list review records: ${errorMessage(err)}`,
    });
    return;
  }
  for (const key of found) {
    const rel = `review-records/${key.slice(REVIEW_PREFIX.length)}`;
    try {
      const response = await s3.send(new GetObjectCommand({ Bucket: options.logBucket, Key: key }));
      await fs.mkdir(path.dirname(path.join(writer.out, rel)), { recursive: true });
      await pipeline(toReadable(response.Body), createWriteStream(path.join(writer.out, rel)));
      writer.record({
        path: rel,
        kind: "review-records",
        title: `Daily review record ${key}`,
        source: `s3:GetObject s3://${options.logBucket}/${key}`,
        status: "collected",
      });
    } catch (err) {
      failures.push(`${key}: ${errorMessage(err)}`);
    }
  }
  const reviewedDays = new Set(found.map((k) => k.slice(REVIEW_PREFIX.length, REVIEW_PREFIX.length + 10)));
  const missingDays = days.filter((d) => !reviewedDays.has(d));
  await writer.writeJson("review-records/coverage.json", { days, reviewedDays: [...reviewedDays].sort(), missingDays, records: found, failures });
  writer.record({
    path: "review-records/coverage.json",
    kind: "review-records",
    title: "Daily review coverage of the period (PCI DSS 10.4.1: every day reviewed)",
    source: `s3:ListObjectsV2 s3://${options.logBucket}/${REVIEW_PREFIX}`,
    status: failures.length ? "error" : "collected",
    note:
      (missingDays.length ? `${missingDays.length} day(s) without a review record: ${missingDays.join(", ")}` : `all ${days.length} day(s) reviewed`) +
      (failures.length ? `; ${failures.length} record(s) could not be read` : ""),
  });
}

function homeRegionOf(options: PackageOptions): string {
  return options.trailArn.split(":")[3];
}

async function describeComplianceByConfigRule(options: PackageOptions): Promise<unknown> {
  const client = options.clients.config(homeRegionOf(options));
  const rules: ComplianceByConfigRule[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new DescribeComplianceByConfigRuleCommand({ NextToken: token }));
    rules.push(...(page.ComplianceByConfigRules ?? []));
    token = page.NextToken;
  } while (token);
  if (rules.length === 0) {
    // Absent Config is recorded, not fatal: the index says so.
    throw Object.assign(new Error(`no AWS Config rules in ${homeRegionOf(options)}`), { name: "NoConfigRules" });
  }
  return { region: homeRegionOf(options), ComplianceByConfigRules: rules };
}

function renderIndexMarkdown(index: PackageIndex): string {
  const lines: string[] = [];
  lines.push(`# Audit evidence package: ${index.stack}`);
  lines.push("");
  lines.push(`- Trail: \`${index.trailArn}\``);
  lines.push(`- Log bucket: \`${index.logBucket}\``);
  if (index.kmsKeyArn) lines.push(`- KMS key: \`${index.kmsKeyArn}\``);
  lines.push(`- Period: ${index.period.start} to ${index.period.end}`);
  lines.push(`- Generated: ${index.generatedAt}`);
  lines.push(
    `- Integrity verification: **${index.verification.valid ? "VALID" : "INVALID"}** ` +
      `(${index.verification.digestsChecked} digest files, ${index.verification.logFilesChecked} log files, ` +
      `${index.verification.failures} failing finding(s), ${index.verification.gaps} gap(s))`,
  );
  const trusted = index.verification.trustedPublicKeys;
  lines.push(
    `- Public keys trusted (CloudTrail ListPublicKeys): ${trusted.length ? "" : "none authenticated a digest"}` +
      trusted
        .map((k) => `\`${k.fingerprint}\` (valid ${k.validityStartTime ?? "?"} to ${k.validityEndTime ?? "?"}, ${k.digestsAuthenticated} digest(s))`)
        .join("; "),
  );
  lines.push("");
  lines.push("Check the package: `sha256sum -c SHA256SUMS` (every file except SHA256SUMS is listed).");
  lines.push("");
  lines.push("## Items");
  lines.push("");
  lines.push("| File | What it shows | Source | Status | Controls |");
  lines.push("|---|---|---|---|---|");
  for (const item of index.items) {
    const status = item.note ? `${item.status}: ${item.note}` : item.status;
    lines.push(`| \`${item.path}\` | ${item.title} | ${item.source} | ${status.replace(/\|/g, "\\|")} | ${item.controls.join(", ")} |`);
  }
  lines.push("");
  lines.push("## By control");
  lines.push("");
  for (const [control, text] of Object.entries(CONTROLS)) {
    const files = index.items.filter((i) => i.controls.includes(control as ControlId)).map((i) => `\`${i.path}\``);
    lines.push(`- **${control}** (${text}): ${files.length ? files.join(", ") : "no item"}`);
  }
  lines.push("");
  return lines.join("\n");
}

export interface PackageIndex {
  schema: string;
  stack: string;
  trailArn: string;
  logBucket: string;
  kmsKeyArn?: string;
  period: { start: string; end: string };
  generatedAt: string;
  verification: {
    valid: boolean;
    digestsChecked: number;
    logFilesChecked: number;
    failures: number;
    gaps: number;
    /** The public keys the verdict rests on (E13), with their validity. */
    trustedPublicKeys: TrustedPublicKey[];
  };
  controls: typeof CONTROLS;
  items: PackageItem[];
}

export async function buildEvidencePackage(options: PackageOptions): Promise<PackageResult> {
  const now = options.now ?? (() => new Date());
  const writer = new PackageWriter(options.out);
  await fs.mkdir(options.out, { recursive: true });
  const region = homeRegionOf(options);
  const cloudTrail = options.clients.cloudTrail(region);
  const s3 = options.clients.s3(region);

  // Trail configuration and status (PCI DSS 10.2: logging enabled and active).
  const resolved = await resolveTrail(options.clients, options.trailArn, options);
  await writer.writeJson("trail/get-trail.json", { Trail: resolved.trail });
  writer.record({
    path: "trail/get-trail.json",
    kind: "trail-configuration",
    title: "Trail configuration (multi-region, log file validation, KMS, CloudWatch Logs)",
    source: "cloudtrail:GetTrail",
    status: "collected",
  });
  await writer.collect(
    "trail/trail-status.json",
    "trail-status",
    "Trail status (IsLogging, latest delivery and digest delivery errors)",
    "cloudtrail:GetTrailStatus",
    async () => withoutMetadata(await cloudTrail.send(new GetTrailStatusCommand({ Name: options.trailArn }))),
  );
  await writer.collect(
    "trail/event-selectors.json",
    "event-selectors",
    "Event selectors (management and data events logged)",
    "cloudtrail:GetEventSelectors",
    async () => withoutMetadata(await cloudTrail.send(new GetEventSelectorsCommand({ TrailName: options.trailArn }))),
  );

  // Integrity of the digest chain over the period (PCI DSS 10.3.4 change detection): the same
  // trail -> S3 store -> walk sequence as `evidence verify` (one home), on the trail resolved above.
  const { result: verification } = await verifyTrailOnS3({
    clients: options.clients,
    trailArn: options.trailArn,
    resolved,
    start: options.start,
    end: options.end,
    regions: options.regions,
    concurrency: options.concurrency,
    now,
    onProgress: options.onProgress,
  });
  await writer.writeJson("verification/result.json", {
    ...toVerificationJson(verification),
    trailArn: options.trailArn,
    bucket: resolved.location.bucket,
    prefix: resolved.location.prefix ?? null,
    period: { start: formatDisplayDate(options.start), end: formatDisplayDate(options.end) },
    regions: verification.regions,
    publicKeyFingerprints: verification.publicKeyFingerprints,
    buckets: verification.buckets ?? [resolved.location.bucket],
    uncompressedLogBytes: verification.uncompressedLogBytes,
  });
  await writer.writeFile(
    "verification/report.txt",
    formatVerificationReport(verification, { trailArn: options.trailArn, start: options.start, end: options.end, source: `s3://${resolved.location.bucket}` }),
  );
  const failures = verification.findings.filter(isFailure).length;
  writer.record({
    path: "verification/result.json",
    kind: "integrity-verification",
    title: "Digest chain and log file integrity verification (JSON)",
    source: "evidence verify (CloudTrail digests, signatures, SHA-256 of log files)",
    status: "collected",
    note: verification.valid ? "valid" : `${failures} finding(s) fail verification`,
  });
  writer.record({
    path: "verification/report.txt",
    kind: "integrity-verification",
    title: "Integrity verification report (readable)",
    source: "evidence verify",
    status: "collected",
  });

  // The log bucket's protection (M2-M5).
  const bucket = { Bucket: options.logBucket };
  await writer.collect(
    "log-bucket/object-lock.json",
    "object-lock",
    "Object Lock configuration (COMPLIANCE mode, default retention)",
    "s3:GetObjectLockConfiguration",
    async () => withoutMetadata(await s3.send(new GetObjectLockConfigurationCommand(bucket))),
    ["ObjectLockConfigurationNotFoundError"],
  );
  await writer.collect("log-bucket/versioning.json", "versioning", "Bucket versioning", "s3:GetBucketVersioning", async () =>
    withoutMetadata(await s3.send(new GetBucketVersioningCommand(bucket))),
  );
  await writer.collect(
    "log-bucket/encryption.json",
    "encryption",
    "Default encryption (SSE-KMS, bucket key)",
    "s3:GetBucketEncryption",
    async () => withoutMetadata(await s3.send(new GetBucketEncryptionCommand(bucket))),
    ["ServerSideEncryptionConfigurationNotFoundError"],
  );
  await writer.collect(
    "log-bucket/public-access-block.json",
    "public-access-block",
    "Public access block (all four flags)",
    "s3:GetPublicAccessBlock",
    async () => withoutMetadata(await s3.send(new GetPublicAccessBlockCommand(bucket))),
    ["NoSuchPublicAccessBlockConfiguration"],
  );

  // AWS Config (E10); absent Config is recorded, not fatal.
  await writer.collect(
    "config/compliance-by-config-rule.json",
    "config-compliance",
    "AWS Config rule compliance",
    "config:DescribeComplianceByConfigRule",
    () => describeComplianceByConfigRule(options),
    ["NoConfigRules", "NoSuchConfigRuleException", "NoAvailableConfigurationRecorderException"],
  );

  // Daily review records of the period (E14, PCI DSS 10.4.1).
  await collectReviewRecords(options, writer);

  const index: PackageIndex = {
    schema: PACKAGE_SCHEMA,
    stack: options.stack,
    trailArn: options.trailArn,
    logBucket: options.logBucket,
    kmsKeyArn: options.kmsKeyArn,
    period: { start: formatDisplayDate(options.start), end: formatDisplayDate(options.end) },
    generatedAt: formatDisplayDate(now()),
    verification: {
      valid: verification.valid,
      digestsChecked: verification.digestsChecked,
      logFilesChecked: verification.logFilesChecked,
      failures,
      gaps: verification.findings.length - failures,
      trustedPublicKeys: verification.trustedPublicKeys ?? [],
    },
    controls: CONTROLS,
    items: writer.items,
  };
  if (resolved.location.bucket !== options.logBucket) {
    index.items.push({
      path: "trail/get-trail.json",
      kind: "trail-configuration",
      title: "Warning: the trail delivers to a different bucket than the stack's log bucket",
      source: "cloudtrail:GetTrail",
      status: "error",
      note: `trail bucket ${resolved.location.bucket}, stack log bucket ${options.logBucket}`,
      controls: [...ITEM_CONTROLS["trail-configuration"]],
    });
  }
  await writer.writeJson("index.json", index);
  await writer.writeFile("index.md", renderIndexMarkdown(index));
  const files = await writeChecksums(options.out);
  return { out: options.out, items: index.items, verification, files };
}
