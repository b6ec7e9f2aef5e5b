/**
 * `evidence verify`: the digest chain of a trail (E13), offline on an export (`--dir`) or online
 * on the trail's bucket (`--trail-arn`), or every member account of an organisation trail
 * (`--all-accounts`, `--state-machine`: ./verify-organization.ts). The S3 client loads only on the online paths.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { optionalString, parseFlags, parsePeriod, parsePositiveInteger, parseRegionList, requireString, UsageError, type FlagSpec } from "../../cli/args";
import { digestWalkReporter, StderrProgress } from "../../cli/progress";
import { digestKeyEndTime, formatDisplayDate, parseTrailArn, trailArnOf, type TrailLocation } from "../../cloudtrail/verify/digest-key";
import {
  discoverExportedTrails,
  LocalExportStore,
  publicKeysFileInsideExport,
  PublicKeysFileError,
  readPublicKeysFile,
} from "../../cloudtrail/verify/local-store";
import { formatVerificationReport } from "../../cloudtrail/verify/report";
import type { DigestStore } from "../../cloudtrail/verify/store";
import { verifyTrailLogs } from "../../cloudtrail/verify/verifier";
import { printVerification, requireTrailArn, TRAIL_PERIOD_FLAGS, validateOrgAndAccount, type CliDeps, type CliIO } from "./common";
import { ORGANIZATION_ONLY_FLAGS, runOrganizationVerify } from "./verify-organization";

export const VERIFY_FLAGS: Record<string, FlagSpec> = {
  ...TRAIL_PERIOD_FLAGS,
  dir: { type: "string", describe: "export folder laid out as <dir>/<bucket>/<key>" },
  "public-keys": { type: "string", describe: "JSON file shaped like the ListPublicKeys response" },
  json: { type: "boolean", describe: "print one JSON object" },
  // Organisation trails (issue 11): evidence/commands/verify-organization.ts.
  "all-accounts": { type: "boolean", describe: "verify every member account of --organization-id here, one shard per account, region and UTC day" },
  "expected-accounts": { type: "strings", describe: "organizations, listed, or comma-separated 12-digit account ids" },
  "expected-regions": { type: "strings", describe: "comma-separated AWS regions every account must deliver" },
  "file-concurrency": { type: "string", describe: "log files fetched at once per shard, 1-64" },
  attempts: { type: "string", describe: "attempts per shard, 1-10" },
  progress: { type: "boolean", describe: "one line per shard on stderr" },
  "state-machine": { type: "string", describe: "organisation verification state machine ARN, arn:aws:states:<region>:<account>:stateMachine:<name>" },
  wait: { type: "boolean", describe: "wait for the execution started by --state-machine and exit with its outcome" },
};

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
  if (trails.length === 0)
    throw new UsageError(`verify: --dir ${dir} holds no CloudTrail digest files (expected <dir>/<bucket>/.../AWSLogs/<account>/CloudTrail-Digest/...)`);
  throw new UsageError(`verify: --dir ${dir} holds ${trails.length} trails; choose one with --trail-arn: ${arns(trails)}`);
}

/** End times of the first and last digest in the export; null when it holds none with a dated name. */
export async function exportedDigestSpan(
  store: DigestStore,
  trail: TrailLocation,
  regions: string[] | undefined,
  now: Date,
): Promise<{ first: Date; last: Date } | null> {
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
  return Number.isFinite(first) ? { first: new Date(first), last: new Date(last) } : null;
}

const HOUR_MS = 3_600_000;

/**
 * The period of an offline verify. Missing bounds come from the export: a digest covers the hour
 * before its end time, so the export covers (first - 1 h, last]. A bound that leaves nothing of
 * the export to verify is a usage error naming that bound (issue 15: `--start` after the last
 * digest verified an empty window; `--end` before the first digest blamed `--start`).
 */
export function offlinePeriod(given: { start?: Date; end?: Date }, span: { first: Date; last: Date } | null, now: Date): { start: Date; end: Date } {
  if (!span) return { start: given.start ?? new Date(0), end: given.end ?? now };
  const exportStart = new Date(span.first.getTime() - HOUR_MS);
  const covered = `the export's digests cover ${formatDisplayDate(exportStart)} to ${formatDisplayDate(span.last)}`;
  if (given.start && given.start.getTime() > span.last.getTime()) {
    throw new UsageError(
      `verify: --start ${formatDisplayDate(given.start)} is after the last digest of the export; ${covered}, so nothing would be verified; give an earlier --start`,
    );
  }
  if (given.end && given.end.getTime() < span.first.getTime() - HOUR_MS) {
    throw new UsageError(
      `verify: --end ${formatDisplayDate(given.end)} is before the first digest of the export; ${covered}, so nothing would be verified; give a later --end`,
    );
  }
  return { start: given.start ?? exportStart, end: given.end ?? span.last };
}

export async function runVerify(argv: string[], io: CliIO, deps: CliDeps): Promise<number> {
  const flags = parseFlags("verify", argv, VERIFY_FLAGS);
  if (flags["all-accounts"] !== undefined || flags["state-machine"] !== undefined) {
    return runOrganizationVerify(flags, io, deps);
  }
  for (const name of ORGANIZATION_ONLY_FLAGS) {
    if (flags[name] !== undefined) throw new UsageError(`verify: --${name} only applies with --all-accounts or --state-machine <arn>`);
  }
  const json = flags.json === true;
  const regions = parseRegionList("verify", optionalString(flags, "regions"));
  const concurrency = parsePositiveInteger("verify", "concurrency", optionalString(flags, "concurrency"), 8, 64);
  const orgAndAccount = validateOrgAndAccount("verify", flags);
  const trailArnText = optionalString(flags, "trail-arn");
  if (trailArnText !== undefined) requireTrailArn("verify", trailArnText);
  const dir = optionalString(flags, "dir");
  const progress = new StderrProgress(io.stderr, { every: Infinity });
  const onProgress = digestWalkReporter(progress, deps.progressEvery);

  if (dir !== undefined) {
    const keysFile = requireString(
      "verify",
      flags,
      "public-keys",
      "with --dir: the output of `aws cloudtrail list-public-keys` for the period, obtained from CloudTrail yourself",
    );
    const period = parsePeriod("verify", flags, false);
    if (!(await isDirectory(dir))) throw new UsageError(`verify: --dir ${dir} is not an existing folder`);
    let publicKeys;
    try {
      publicKeys = await readPublicKeysFile(keysFile);
    } catch (err) {
      if (err instanceof PublicKeysFileError) throw new UsageError(`verify: --public-keys: ${err.message}`);
      throw err;
    }
    // Issue 15: keys shipped inside the export were written by whoever wrote the export; a verdict
    // resting on them proves nothing to an auditor. Verify anyway (it still finds broken chains), but say so.
    if (await publicKeysFileInsideExport(keysFile, dir)) {
      io.stderr.write(
        `warning: --public-keys ${keysFile} lies inside --dir ${dir}: keys shipped with an export prove nothing about it; ` +
          "take them from CloudTrail yourself (aws cloudtrail list-public-keys --start-time <start> --end-time <end>)\n",
      );
    }
    const trail = await chooseExportedTrail(dir, trailArnText);
    const store = new LocalExportStore(dir, publicKeys);
    const { start, end } = offlinePeriod(period, await exportedDigestSpan(store, trail, regions, deps.now()), deps.now());
    const result = await verifyTrailLogs({ store, trail, start, end, regions, concurrency, now: deps.now, onProgress });
    progress.done();
    const arn = trailArnText ?? trailArnOf(trail);
    return printVerification(io, result, formatVerificationReport(result, { trailArn: arn, start, end, source: `export ${path.resolve(dir)}` }), json);
  }

  if (flags["public-keys"] !== undefined)
    throw new UsageError("verify: --public-keys only applies with --dir (online, keys come from CloudTrail ListPublicKeys)");
  const trailArn = requireString(
    "verify",
    flags,
    "trail-arn",
    "without --dir: the ARN of the trail to verify online, or give --dir <exportRoot> to verify an export",
  );
  const { start, end } = parsePeriod("verify", flags, true) as { start: Date; end: Date };
  const { verifyTrailOnS3 } = await import("../../cloudtrail/trail-verification");
  const { resolved, result } = await verifyTrailOnS3({
    clients: deps.clients,
    trailArn,
    ...orgAndAccount,
    start,
    end,
    regions,
    concurrency,
    now: deps.now,
    onProgress,
  });
  progress.done();
  return printVerification(io, result, formatVerificationReport(result, { trailArn, start, end, source: `s3://${resolved.location.bucket}` }), json);
}
