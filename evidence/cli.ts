/**
 * `npm run evidence -- <verify|export|package|who> ...` (E13; who: E7, A1-A6).
 *
 * Exit codes: 0 the chain verifies (gaps alone do not fail it) / the command succeeded;
 * 1 findings other than gaps (or objects that could not be exported); 2 usage errors;
 * 3 the run could not complete (AWS or file system error).
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import {
  optionalString,
  parseFlags,
  parsePeriod,
  parsePositiveInteger,
  parseRegionList,
  requireString,
  UsageError,
  type FlagSpec,
  type ParsedFlags,
} from "../cli/args";
import { defaultAwsClients, resolveTrail, TrailResolutionError, type AwsClients } from "../cloudtrail/aws";
import { exportTrailEvidence, PUBLIC_KEYS_FILE } from "./export";
import { buildEvidencePackage } from "./package/build";
import { readPulumiStackOutputs, type StackOutputReader } from "./package/stack-outputs";
import { digestKeyEndTime, parseTrailArn, trailArnOf, type TrailLocation } from "../cloudtrail/verify/digest-key";
import { discoverExportedTrails, LocalExportStore, PublicKeysFileError, readPublicKeysFile } from "../cloudtrail/verify/local-store";
import { formatVerificationReport, toVerificationJson } from "../cloudtrail/verify/report";
import { S3DigestStore } from "../cloudtrail/verify/s3-store";
import type { DigestStore } from "../cloudtrail/verify/store";
import { verifyTrailLogs, type VerificationResult, type VerifyProgress } from "../cloudtrail/verify/verifier";
import { runWhoCommand, WHO_USAGE } from "./who/command";
import { defaultWhoServices, type WhoServices } from "./who/run";

export { EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE } from "../cli/exit-codes";
import { EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE } from "../cli/exit-codes";

export const USAGE = `Usage: npm run evidence -- <command> [options]

Commands:
  verify   Validate CloudTrail log file integrity (digest chain, signatures, log file hashes)
    Offline, on an export:
      verify --dir <exportRoot> --public-keys <file> [--trail-arn <arn>] [--start <time>] [--end <time>] [--json]
        --public-keys: output of "aws cloudtrail list-public-keys" for the period, obtained
        independently of the export (a key file shipped with an export proves nothing).
        --trail-arn may be left out when the export holds one trail.
    Online, on the trail's S3 bucket:
      verify --trail-arn <arn> --start <time> --end <time> [--json]
    Common options: [--regions r1,r2] [--concurrency 1-64] [--organization-id o-xxx] [--account-id 123456789012]
  export   Copy digests, their log files, signature metadata and public keys for offline verify
      export --trail-arn <arn> --start <time> --end <time> --out <dir> [--regions r1,r2] [--concurrency n]
  package  Write the evidence package of a period (trail config/status, verification, bucket
           protection, Config compliance, review records, index.md/index.json, SHA256SUMS)
      package --stack <name> --start <time> --end <time> --out <dir> [--trail-arn <arn>] [--log-bucket <name>]
        Without --trail-arn/--log-bucket they are read from "pulumi stack output" of --stack.
${WHO_USAGE}

Times are ISO 8601 with a zone: 2024-03-01, 2024-03-01T00:00:00Z, 2024-03-01T09:00:00+09:00.
Exit codes: 0 valid / done, 1 findings other than gaps, 2 usage error, 3 could not run (AWS or I/O error).
`;

export interface CliIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

export interface CliDeps {
  clients: AwsClients;
  readStackOutputs: StackOutputReader;
  now: () => Date;
  /** Digests between progress lines when stderr is not a terminal. */
  progressEvery: number;
  /** Athena and CloudWatch Logs clients, polling and the digest check of `who`. */
  who: WhoServices;
}

const COMMON_VERIFY_FLAGS: Record<string, FlagSpec> = {
  "trail-arn": { type: "string", describe: "trail ARN, arn:aws:cloudtrail:<region>:<account>:trail/<name>" },
  start: { type: "string", describe: "ISO 8601 time" },
  end: { type: "string", describe: "ISO 8601 time" },
  regions: { type: "string", describe: "comma-separated AWS regions" },
  concurrency: { type: "string", describe: "number of log files fetched at once, 1-64" },
  "organization-id": { type: "string", describe: "AWS Organizations id, o-xxxxxxxxxx" },
  "account-id": { type: "string", describe: "12-digit AWS account id" },
};

const VERIFY_FLAGS: Record<string, FlagSpec> = {
  ...COMMON_VERIFY_FLAGS,
  dir: { type: "string", describe: "export folder laid out as <dir>/<bucket>/<key>" },
  "public-keys": { type: "string", describe: "JSON file shaped like the ListPublicKeys response" },
  json: { type: "boolean", describe: "print one JSON object" },
};

const EXPORT_FLAGS: Record<string, FlagSpec> = {
  ...COMMON_VERIFY_FLAGS,
  out: { type: "string", describe: "folder to write the export to" },
};

const PACKAGE_FLAGS: Record<string, FlagSpec> = {
  ...COMMON_VERIFY_FLAGS,
  stack: { type: "string", describe: "Pulumi stack name, e.g. prd" },
  out: { type: "string", describe: "empty or new folder for the package" },
  "log-bucket": { type: "string", describe: "name of the trail's log bucket" },
};

function validateOrgAndAccount(command: string, flags: ParsedFlags): { organizationId?: string; accountId?: string } {
  const organizationId = optionalString(flags, "organization-id");
  const accountId = optionalString(flags, "account-id");
  if (organizationId !== undefined && !/^o-[a-z0-9]{10,32}$/.test(organizationId)) {
    throw new UsageError(`${command}: --organization-id "${organizationId}" is not an AWS Organizations id (o- followed by 10-32 lowercase letters or digits)`);
  }
  if (accountId !== undefined && !/^\d{12}$/.test(accountId)) {
    throw new UsageError(`${command}: --account-id "${accountId}" is not a 12-digit AWS account id`);
  }
  return { organizationId, accountId };
}

function requireTrailArn(command: string, text: string): void {
  if (!parseTrailArn(text)) {
    throw new UsageError(`${command}: --trail-arn "${text}" is not a trail ARN; expected arn:aws:cloudtrail:<region>:<12-digit account>:trail/<name>`);
  }
}

class Progress {
  private lastTty = 0;
  private lastReportedDigests = 0;
  private wrote = false;

  constructor(
    private readonly io: CliIO,
    private readonly every: number,
  ) {}

  update = (p: VerifyProgress): void => {
    const mib = (p.uncompressedLogBytes / (1024 * 1024)).toFixed(1);
    const line = `${p.region}: ${p.digestsChecked} digests, ${p.logFilesChecked} log files, ${mib} MiB verified`;
    if (this.io.stderr.isTTY) {
      const now = Date.now();
      if (now - this.lastTty < 200) return;
      this.lastTty = now;
      this.io.stderr.write(`\r${line}\u001b[K`);
      this.wrote = true;
    } else if (p.digestsChecked >= this.lastReportedDigests + this.every) {
      this.lastReportedDigests = p.digestsChecked;
      this.io.stderr.write(`progress: ${line}\n`);
    }
  };

  done(): void {
    if (this.wrote) this.io.stderr.write("\r\u001b[K");
  }
}

function printVerification(io: CliIO, result: VerificationResult, json: boolean, trailArn: string, start: Date, end: Date, source: string): number {
  if (json) io.stdout.write(JSON.stringify(toVerificationJson(result)) + "\n");
  else io.stdout.write(formatVerificationReport(result, { trailArn, start, end, source }));
  return result.valid ? EXIT_OK : EXIT_FINDINGS;
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await fs.stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

async function chooseExportedTrail(dir: string, trailArn: string | undefined): Promise<TrailLocation> {
  const trails = await discoverExportedTrails(dir);
  const arns = (list: TrailLocation[]) => list.map((t) => `${trailArnOf(t)} (s3://${t.bucket}/${t.prefix ? `${t.prefix}/` : ""})`).join("; ");
  if (trailArn !== undefined) {
    const wanted = parseTrailArn(trailArn)!;
    const matching = trails.filter((t) => t.trailName === wanted.trailName && t.homeRegion === wanted.homeRegion && t.accountId === wanted.accountId);
    if (matching.length === 1) return matching[0];
    if (matching.length === 0) {
      throw new UsageError(`verify: --dir ${dir} holds no digest files of --trail-arn ${trailArn}` + (trails.length ? `; it holds: ${arns(trails)}` : ""));
    }
    throw new UsageError(`verify: --dir ${dir} holds trail ${trailArn} in several places (${arns(matching)}); export them to separate folders`);
  }
  if (trails.length === 1) return trails[0];
  if (trails.length === 0) throw new UsageError(`verify: --dir ${dir} holds no CloudTrail digest files (expected <dir>/<bucket>/.../AWSLogs/<account>/CloudTrail-Digest/...)`);
  throw new UsageError(`verify: --dir ${dir} holds ${trails.length} trails; choose one with --trail-arn: ${arns(trails)}`);
}

/** Period of everything in the export, for an offline verify without --start/--end. */
async function exportedPeriod(store: DigestStore, trail: TrailLocation, regions: string[] | undefined, now: Date): Promise<{ start: Date; end: Date }> {
  let first = Infinity;
  let last = -Infinity;
  for (const region of regions ?? (await store.listDigestRegions(trail))) {
    for (const key of await store.listDigestKeys(trail, region, new Date(0), now)) {
      const time = digestKeyEndTime(key)?.getTime();
      if (time === undefined) continue;
      first = Math.min(first, time);
      last = Math.max(last, time);
    }
  }
  if (!Number.isFinite(first)) return { start: new Date(0), end: now };
  return { start: new Date(first - 3_600_000), end: new Date(last) };
}

async function runVerify(argv: string[], io: CliIO, deps: CliDeps): Promise<number> {
  const flags = parseFlags("verify", argv, VERIFY_FLAGS);
  const json = flags.json === true;
  const regions = parseRegionList("verify", optionalString(flags, "regions"));
  const concurrency = parsePositiveInteger("verify", "concurrency", optionalString(flags, "concurrency"), 8, 64);
  const orgAndAccount = validateOrgAndAccount("verify", flags);
  const trailArnText = optionalString(flags, "trail-arn");
  if (trailArnText !== undefined) requireTrailArn("verify", trailArnText);
  const dir = optionalString(flags, "dir");
  const progress = new Progress(io, deps.progressEvery);

  if (dir !== undefined) {
    const keysFile = requireString("verify", flags, "public-keys", `with --dir: a file shaped like the ListPublicKeys response, e.g. ${path.join(dir, PUBLIC_KEYS_FILE)}`);
    const period = parsePeriod("verify", flags, false);
    if (!(await isDirectory(dir))) throw new UsageError(`verify: --dir ${dir} is not an existing folder`);
    let publicKeys;
    try {
      publicKeys = await readPublicKeysFile(keysFile);
    } catch (err) {
      if (err instanceof PublicKeysFileError) throw new UsageError(`verify: --public-keys: ${err.message}`);
      throw err;
    }
    const trail = await chooseExportedTrail(dir, trailArnText);
    const store = new LocalExportStore(dir, publicKeys);
    const fallback = await exportedPeriod(store, trail, regions, deps.now());
    const start = period.start ?? fallback.start;
    const end = period.end ?? (period.start && period.start > fallback.end ? period.start : fallback.end);
    if (start > end) throw new UsageError(`verify: --start is after the last digest of the export (${end.toISOString()}); give --end as well`);
    const result = await verifyTrailLogs({ store, trail, start, end, regions, concurrency, now: deps.now, onProgress: progress.update });
    progress.done();
    return printVerification(io, result, json, trailArnText ?? trailArnOf(trail), start, end, `export ${path.resolve(dir)}`);
  }

  if (flags["public-keys"] !== undefined) throw new UsageError("verify: --public-keys only applies with --dir (online, keys come from CloudTrail ListPublicKeys)");
  const trailArn = requireString("verify", flags, "trail-arn", "without --dir: the ARN of the trail to verify online, or give --dir <exportRoot> to verify an export");
  const { start, end } = parsePeriod("verify", flags, true) as { start: Date; end: Date };
  const resolved = await resolveTrail(deps.clients, trailArn, orgAndAccount);
  const store = new S3DigestStore({ s3: deps.clients.s3(resolved.location.homeRegion), cloudTrailFor: (r) => deps.clients.cloudTrail(r) });
  const result = await verifyTrailLogs({
    store,
    trail: resolved.location,
    start,
    end,
    regions: regions ?? resolved.regions ?? undefined,
    concurrency,
    now: deps.now,
    onProgress: progress.update,
  });
  progress.done();
  return printVerification(io, result, json, trailArn, start, end, `s3://${resolved.location.bucket}`);
}

async function runExport(argv: string[], io: CliIO, deps: CliDeps): Promise<number> {
  const flags = parseFlags("export", argv, EXPORT_FLAGS);
  const trailArn = requireString("export", flags, "trail-arn", "the ARN of the trail to export");
  requireTrailArn("export", trailArn);
  const { start, end } = parsePeriod("export", flags, true) as { start: Date; end: Date };
  const out = requireString("export", flags, "out", "folder to write the export to");
  const regions = parseRegionList("export", optionalString(flags, "regions"));
  const concurrency = parsePositiveInteger("export", "concurrency", optionalString(flags, "concurrency"), 8, 64);
  const resolved = await resolveTrail(deps.clients, trailArn, validateOrgAndAccount("export", flags));
  const store = new S3DigestStore({ s3: deps.clients.s3(resolved.location.homeRegion), cloudTrailFor: (r) => deps.clients.cloudTrail(r) });
  let lastShown = 0;
  const result = await exportTrailEvidence({
    store,
    trail: resolved.location,
    start,
    end,
    out,
    regions: regions ?? resolved.regions ?? undefined,
    concurrency,
    now: deps.now,
    onProgress: (copied) => {
      if (copied >= lastShown + deps.progressEvery * 10) {
        lastShown = copied;
        io.stderr.write(`progress: ${copied} objects copied\n`);
      }
    },
  });
  for (const missing of result.missing) io.stderr.write(`warning: not found (the offline verify will report it): ${missing}\n`);
  for (const failed of result.failed) io.stderr.write(`error: could not copy ${failed}\n`);
  io.stdout.write(
    `Exported ${result.digests} digest file(s) and ${result.logFiles} log file(s) of ${trailArn} (${result.regions.join(", ") || "no region"}) to ${out}\n` +
      `Public keys (${result.publicKeys}) in ${path.join(out, PUBLIC_KEYS_FILE)}.\n` +
      `Verify offline with: npm run evidence -- verify --dir ${out} --public-keys <independently obtained keys, e.g. ${path.join(out, PUBLIC_KEYS_FILE)}> --start ${start.toISOString()} --end ${end.toISOString()}\n`,
  );
  return result.failed.length > 0 ? EXIT_FINDINGS : EXIT_OK;
}

async function runPackage(argv: string[], io: CliIO, deps: CliDeps): Promise<number> {
  const flags = parseFlags("package", argv, PACKAGE_FLAGS);
  const stack = requireString("package", flags, "stack", "Pulumi stack name, e.g. prd");
  if (!/^[A-Za-z0-9._/-]+$/.test(stack)) throw new UsageError(`package: --stack "${stack}" is not a Pulumi stack name (letters, digits, . _ - /)`);
  const { start, end } = parsePeriod("package", flags, true) as { start: Date; end: Date };
  const out = requireString("package", flags, "out", "empty or new folder for the package");
  const regions = parseRegionList("package", optionalString(flags, "regions"));
  const concurrency = parsePositiveInteger("package", "concurrency", optionalString(flags, "concurrency"), 8, 64);
  const orgAndAccount = validateOrgAndAccount("package", flags);
  let trailArn = optionalString(flags, "trail-arn");
  let logBucket = optionalString(flags, "log-bucket");
  if (trailArn !== undefined) requireTrailArn("package", trailArn);
  try {
    const existing = await fs.readdir(out);
    if (existing.length > 0) throw new UsageError(`package: --out ${out} is not empty; give a new or empty folder so SHA256SUMS covers only this package`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new UsageError(`package: --out ${out} cannot be used: ${(err as Error).message}`);
  }
  let kmsKeyArn: string | undefined;
  if (trailArn === undefined || logBucket === undefined) {
    const outputs = await deps.readStackOutputs(stack);
    trailArn ??= typeof outputs.trailArn === "string" ? outputs.trailArn : undefined;
    logBucket ??= typeof outputs.logBucketName === "string" ? outputs.logBucketName : undefined;
    kmsKeyArn = typeof outputs.kmsKeyArn === "string" ? outputs.kmsKeyArn : undefined;
    if (trailArn === undefined) throw new UsageError(`package: stack ${stack} has no "trailArn" output; pass --trail-arn`);
    if (logBucket === undefined) throw new UsageError(`package: stack ${stack} has no "logBucketName" output; pass --log-bucket`);
    requireTrailArn("package", trailArn);
  }
  const progress = new Progress(io, deps.progressEvery);
  const result = await buildEvidencePackage({
    clients: deps.clients,
    stack,
    trailArn,
    logBucket,
    kmsKeyArn,
    start,
    end,
    out,
    regions,
    concurrency,
    now: deps.now,
    onProgress: progress.update,
    ...orgAndAccount,
  });
  progress.done();
  const problems = result.items.filter((i) => i.status !== "collected");
  io.stdout.write(
    `Evidence package for ${stack} written to ${out}: ${result.files.length} file(s) listed in SHA256SUMS, index in index.md / index.json.\n` +
      `Integrity verification: ${result.verification.valid ? "VALID" : "INVALID"} (${result.verification.digestsChecked} digests, ${result.verification.logFilesChecked} log files, ${result.verification.findings.length} finding(s)).\n` +
      problems.map((p) => `note: ${p.path}: ${p.status}${p.note ? ` (${p.note})` : ""}\n`).join(""),
  );
  return result.verification.valid ? EXIT_OK : EXIT_FINDINGS;
}

const COMMANDS: Record<string, (argv: string[], io: CliIO, deps: CliDeps) => Promise<number>> = {
  verify: runVerify,
  export: runExport,
  package: runPackage,
  who: (argv, io, deps) =>
    runWhoCommand(argv, io, { clients: deps.clients, readStackOutputs: deps.readStackOutputs, now: deps.now, services: deps.who }),
};

export async function main(argv: string[], io: CliIO = process, overrides: Partial<CliDeps> = {}): Promise<number> {
  const deps: CliDeps = {
    clients: overrides.clients ?? defaultAwsClients(),
    readStackOutputs: overrides.readStackOutputs ?? readPulumiStackOutputs,
    now: overrides.now ?? (() => new Date()),
    progressEvery: overrides.progressEvery ?? 100,
    who: overrides.who ?? defaultWhoServices(),
  };
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    (command === undefined ? io.stderr : io.stdout).write(USAGE);
    return command === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const run = COMMANDS[command];
  if (!run) {
    io.stderr.write(`error: unknown command "${command}"; allowed: ${Object.keys(COMMANDS).join(", ")}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  try {
    return await run(rest, io, deps);
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TrailResolutionError && err.isUsageError)) {
      io.stderr.write(`error: ${err.message}\n\nRun "npm run evidence -- help" for usage.\n`);
      return EXIT_USAGE;
    }
    const e = err as Error & { name?: string };
    io.stderr.write(`error: ${command} could not complete: ${e.name && !e.message?.startsWith(e.name) ? `${e.name}: ` : ""}${e.message ?? String(err)}\n`);
    return EXIT_ERROR;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`error: ${String(err)}\n`);
      process.exitCode = EXIT_ERROR;
    },
  );
}
