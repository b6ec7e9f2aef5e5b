/**
 * `evidence verify --all-accounts` and `evidence verify --state-machine <arn> [--wait]` (issue 11,
 * E13/E15): the organisation trail's member chains verified on demand, either in this process
 * (cloudtrail/org/fanout.ts: planner, shard verifier and reducer at bounded concurrency) or by the
 * deployed state machine (cloudtrail/org/remote.ts). Flags are validated before any AWS call, and
 * each module with an AWS SDK loads only on the path that uses it (issue 15).
 *
 * Exit codes (cli/exit-codes.ts): 0 every shard verified clean; 1 findings (tampering, a missing
 * digest, an account or region not delivering); 3 the run could not complete (a shard not verified
 * after its retries and nothing else found, a failed execution, AWS errors); 2 usage.
 */
import { optionalString, parsePeriod, parsePositiveInteger, parseRegionList, requireString, stringList, UsageError, type ParsedFlags } from "../../cli/args";
import { EXIT_ERROR, EXIT_FINDINGS, EXIT_OK } from "../../cli/exit-codes";
import { ACCOUNT_ID_PATTERN, ORGANIZATION_ID_PATTERN } from "../../cloudtrail/aws";
import type { OrgReviewRecord } from "../../cloudtrail/org/reducer";
import { requireTrailArn, type CliDeps, type CliIO } from "./common";

/** Flags that only the organisation modes take. */
export const ORGANIZATION_ONLY_FLAGS = ["expected-accounts", "expected-regions", "file-concurrency", "attempts", "progress", "wait"] as const;
/** Flags of the local fan-out that the deployed state machine takes from its own configuration. */
const LOCAL_ONLY_FLAGS = ["trail-arn", "organization-id", "expected-accounts", "expected-regions", "concurrency", "file-concurrency", "attempts"] as const;

/** arn:<partition>:states:<region>:<account>:stateMachine:<name> (as cloudtrail/org/remote.ts checks it). */
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;
const DAY_MS = 86_400_000;
const MAX_DAYS = 366;

function given(flags: ParsedFlags, name: string): boolean {
  return flags[name] !== undefined;
}

/** The UTC days the period touches, each verified whole (a shard is one UTC day); `--end` is exclusive. */
export function organizationDays(start: Date, end: Date): string[] {
  const first = Math.floor(start.getTime() / DAY_MS);
  const last = Math.max(first, Math.floor((end.getTime() - 1) / DAY_MS));
  if (last - first + 1 > MAX_DAYS) {
    throw new UsageError(`verify: --start/--end span ${last - first + 1} UTC days; at most ${MAX_DAYS} per organisation run (split the period)`);
  }
  const days: string[] = [];
  for (let d = first; d <= last; d++) days.push(new Date(d * DAY_MS).toISOString().slice(0, 10));
  return days;
}

/** `--expected-accounts organizations|listed|<id,id,...>` (repeatable; lists are joined). */
export function parseExpectedAccounts(values: string[]): "organizations" | "listed" | string[] {
  if (values.length === 0) return "listed";
  const items = values.flatMap((v) => v.split(",").map((s) => s.trim()));
  const words = items.filter((i) => i === "organizations" || i === "listed");
  if (words.length > 0) {
    if (items.length > 1)
      throw new UsageError(`verify: --expected-accounts "${values.join(",")}": "${words[0]}" stands alone; give it once, or a list of 12-digit account ids`);
    return words[0] as "organizations" | "listed";
  }
  const bad = items.filter((i) => !ACCOUNT_ID_PATTERN.test(i));
  if (bad.length > 0) {
    throw new UsageError(
      `verify: --expected-accounts: "${bad[0]}" is not a 12-digit account id; allowed: organizations (Organizations ListAccounts), listed (the accounts found in the bucket) or a comma-separated list of account ids`,
    );
  }
  return [...new Set(items)].sort();
}

function parseExpectedRegions(values: string[]): string[] | undefined {
  if (values.length === 0) return undefined;
  const regions = values.flatMap((v) => parseRegionList("verify", v)!.map((r) => r)).filter((r) => r !== "");
  return [...new Set(regions)].sort();
}

function rethrowAsUsage(err: unknown, flag: string): never {
  if ((err as { name?: string })?.name === "OrgVerificationInputError") throw new UsageError(`verify: ${flag}: ${(err as Error).message}`);
  throw err;
}

function shardLine(id: string, done: number, total: number, status: string): string {
  return `shard ${String(done).padStart(String(total).length)}/${total} ${id} ${status}\n`;
}

function printRecord(io: CliIO, record: OrgReviewRecord, json: boolean): void {
  if (json) {
    io.stdout.write(JSON.stringify(record) + "\n");
    return;
  }
  const s = record.shards;
  const lines = [
    `Organisation ${record.organizationId}, trail ${record.trail.trailName} (s3://${record.trail.bucket}${record.trail.prefix ? `/${record.trail.prefix}` : ""}), days ${record.reviewedPeriod.days[0]} to ${record.reviewedPeriod.days[record.reviewedPeriod.days.length - 1]}`,
    `Outcome: ${record.outcome === "clean" ? "CLEAN" : "ATTENTION"}`,
    `Shards: ${s.planned} planned, ${s.verified} verified, ${s.invalid} invalid, ${s.notVerified} not verified, ${s.unreported} unreported`,
    `Checked: ${record.totals.digestsChecked} digests, ${record.totals.logFilesChecked} log files`,
    ...(record.findings.length > 0 ? [`Findings (${record.findings.length}):`] : []),
    ...record.findings.map((f) => `  ${f.kind}${f.verifierKind ? ` (${f.verifierKind})` : ""} ${f.key}: ${f.message}`),
  ];
  io.stdout.write(lines.join("\n") + "\n");
}

/** 1 for any finding about the logs; 3 when shards could not be verified and nothing else was found. */
export function organizationExitCode(record: OrgReviewRecord): number {
  if (record.outcome === "clean") return EXIT_OK;
  const incomplete = new Set(["shard-not-verified", "shard-unreported", "verification-failed"]);
  return record.findings.some((f) => !incomplete.has(f.kind)) ? EXIT_FINDINGS : EXIT_ERROR;
}

export async function runOrganizationVerify(flags: ParsedFlags, io: CliIO, deps: CliDeps): Promise<number> {
  const allAccounts = flags["all-accounts"] === true;
  const stateMachineArn = optionalString(flags, "state-machine");
  if (allAccounts && stateMachineArn !== undefined) {
    throw new UsageError("verify: give --all-accounts (verify here) or --state-machine <arn> (the deployed state machine verifies), not both");
  }
  for (const name of ["dir", "public-keys", "account-id", "regions"]) {
    if (given(flags, name)) {
      const instead = name === "regions" ? "; use --expected-regions" : name === "account-id" ? "; every member account is verified" : "";
      throw new UsageError(`verify: --${name} does not apply with ${allAccounts ? "--all-accounts" : "--state-machine"}${instead}`);
    }
  }
  const json = flags.json === true;
  const progress = flags.progress === true;
  const { start, end } = parsePeriod("verify", flags, true) as { start: Date; end: Date };
  const days = organizationDays(start, end);
  return stateMachineArn !== undefined ? runRemote(stateMachineArn, days, flags, io, deps, json, progress) : runLocal(days, flags, io, deps, json, progress);
}

async function runLocal(days: string[], flags: ParsedFlags, io: CliIO, deps: CliDeps, json: boolean, progress: boolean): Promise<number> {
  if (given(flags, "wait")) throw new UsageError("verify: --wait only applies with --state-machine <arn>");
  const organizationId = requireString(
    "verify",
    flags,
    "organization-id",
    "with --all-accounts: the organisation's id, o-xxxxxxxxxx (its member accounts' logs are under AWSLogs/<o-id>/)",
  );
  if (!ORGANIZATION_ID_PATTERN.test(organizationId)) {
    throw new UsageError(`verify: --organization-id "${organizationId}" is not an AWS Organizations id (o- followed by 10-32 lowercase letters or digits)`);
  }
  const trailArn = requireString("verify", flags, "trail-arn", "with --all-accounts: the ARN of the organisation trail");
  requireTrailArn("verify", trailArn);
  const concurrency = parsePositiveInteger("verify", "concurrency", optionalString(flags, "concurrency"), 8, 1000);
  const fileConcurrency = parsePositiveInteger("verify", "file-concurrency", optionalString(flags, "file-concurrency"), 4, 64);
  const maxAttempts = parsePositiveInteger("verify", "attempts", optionalString(flags, "attempts"), 3, 10);
  const expected = parseExpectedAccounts(stringList(flags, "expected-accounts"));
  const expectedRegionsGiven = parseExpectedRegions(stringList(flags, "expected-regions"));

  /* eslint-disable @typescript-eslint/no-require-imports -- the SDK-backed modules load only on this path */
  const { resolveTrail } = require("../../cloudtrail/aws") as typeof import("../../cloudtrail/aws");
  const { S3DigestStore } = require("../../cloudtrail/verify/s3-store") as typeof import("../../cloudtrail/verify/s3-store");
  const { S3OrganizationListing, OrganizationsAccountSource } = require("../../cloudtrail/org/s3-ports") as typeof import("../../cloudtrail/org/s3-ports");
  const { verifyOrganization } = require("../../cloudtrail/org/fanout") as typeof import("../../cloudtrail/org/fanout");
  const { shardId } = require("../../cloudtrail/org/shards") as typeof import("../../cloudtrail/org/shards");
  const { verifyShard } = require("../../cloudtrail/org/shard-verifier") as typeof import("../../cloudtrail/org/shard-verifier");
  const { isRetryableReadError } = require("../../cloudtrail/org/retryable") as typeof import("../../cloudtrail/org/retryable");
  /* eslint-enable @typescript-eslint/no-require-imports */

  const resolved = await resolveTrail(deps.clients, trailArn, { organizationId });
  if (!resolved.trail.IsOrganizationTrail) {
    throw new UsageError(
      `verify: --all-accounts: ${trailArn} is not an organization trail (GetTrail IsOrganizationTrail is false); verify it without --all-accounts`,
    );
  }
  const { location } = resolved;
  const trail = { bucket: location.bucket, prefix: location.prefix, organizationId, trailName: location.trailName, homeRegion: location.homeRegion };
  let expectedAccounts: string[] | undefined;
  if (expected === "organizations") {
    if (!deps.clients.organizations)
      throw new UsageError("verify: --expected-accounts organizations needs AWS Organizations access; give listed or the account ids");
    expectedAccounts = await new OrganizationsAccountSource(deps.clients.organizations()).listExpectedAccounts(new Date(`${days[days.length - 1]}T23:59:59Z`));
  } else if (expected !== "listed") {
    expectedAccounts = expected;
  }
  const s3 = deps.clients.s3(location.homeRegion);
  const run = await verifyOrganization({
    store: new S3DigestStore({ s3, cloudTrailFor: (r) => deps.clients.cloudTrail(r) }),
    listing: new S3OrganizationListing(s3),
    trail,
    days,
    expectedAccounts,
    // A single-region trail's region; a multi-region trail: every region found.
    expectedRegions: expectedRegionsGiven ?? resolved.regions ?? undefined,
    concurrency,
    fileConcurrency,
    maxAttempts,
    sleep: deps.sleep,
    now: deps.now,
    // As the shard Lambda does: a read the verifier could not make because of throttling or a
    // transient fault is retried as a whole shard, not reported as unreadable evidence.
    verify: async (o) => {
      const out = await verifyShard(o);
      const retryable = out.result.findings.find((f) => f.kind === "read-error" && isRetryableReadError(f.message) !== null);
      if (retryable)
        throw Object.assign(new Error(retryable.message), { name: isRetryableReadError(retryable.message) === "throttled" ? "Throttled" : "Transient" });
      return out;
    },
    onPlan: progress
      ? (plan) =>
          io.stderr.write(
            `planned ${plan.shards.length} shard(s): ${plan.accounts.listed.length} account(s) found${plan.accounts.missing.length ? `, ${plan.accounts.missing.length} expected but absent` : ""}, ${plan.regions.length} region(s), ${days.length} day(s)\n`,
          )
      : undefined,
    onShard: progress
      ? (p) => {
          const id = shardId(p.shard);
          if (p.phase === "retry") io.stderr.write(`shard ${id} retry ${p.attempt}/${maxAttempts} after: ${p.error}\n`);
          if (p.phase !== "done" || !p.result) return;
          const r = p.result;
          const status =
            r.status === "error"
              ? `NOT VERIFIED (${r.error?.error ?? "error"})`
              : r.valid
                ? `valid (${r.digestsChecked} digests, ${r.logFilesChecked} log files)`
                : `INVALID (${r.findingsTotal} finding(s): ${Object.keys(r.findingCounts).join(", ")})`;
          io.stderr.write(shardLine(id, p.done, p.total, status));
        }
      : undefined,
  }).catch((err: unknown) => rethrowAsUsage(err, "--all-accounts"));
  printRecord(io, run.record, json);
  return organizationExitCode(run.record);
}

async function runRemote(
  stateMachineArn: string,
  days: string[],
  flags: ParsedFlags,
  io: CliIO,
  deps: CliDeps,
  json: boolean,
  progress: boolean,
): Promise<number> {
  const region = STATE_MACHINE_ARN.exec(stateMachineArn)?.[1];
  if (region === undefined) {
    throw new UsageError(
      `verify: --state-machine "${stateMachineArn}" is not a state machine ARN; expected arn:aws:states:<region>:<12-digit account>:stateMachine:<name>`,
    );
  }
  for (const name of LOCAL_ONLY_FLAGS) {
    if (given(flags, name))
      throw new UsageError(
        `verify: --${name} does not apply with --state-machine (the state machine takes the trail and expected accounts from its configuration)`,
      );
  }
  if (!deps.clients.stepFunctions) throw new UsageError("verify: --state-machine needs a Step Functions client; none is configured");
  /* eslint-disable-next-line @typescript-eslint/no-require-imports -- @aws-sdk/client-sfn loads only on this path */
  const { runStateMachineAndWait, sfnExecutionPort, RemoteRunError } = require("../../cloudtrail/org/remote") as typeof import("../../cloudtrail/org/remote");
  const port = sfnExecutionPort(deps.clients.stepFunctions(region));
  const first = days[0];
  const last = days[days.length - 1];
  if (flags.wait !== true) {
    const stamp = deps.now().toISOString().replace(/[:.]/g, "-");
    const executionArn = await port.start(stateMachineArn, `cli-${first}-${last}-${stamp}`.slice(0, 80), JSON.stringify({ first, last }));
    io.stdout.write(
      json
        ? JSON.stringify({ executionArn, status: "RUNNING", first, last }) + "\n"
        : `Started ${executionArn} (${first} to ${last}); its record will appear under review/\n`,
    );
    return EXIT_OK;
  }
  try {
    const result = await runStateMachineAndWait(port, {
      stateMachineArn,
      first,
      last,
      now: deps.now,
      sleep: deps.sleep,
      onPoll: progress ? (status, poll, executionArn) => io.stderr.write(`execution ${executionArn} ${status} (poll ${poll})\n`) : undefined,
    });
    const { summary } = result;
    io.stdout.write(
      json
        ? JSON.stringify({ executionArn: result.executionArn, status: result.status, ...summary }) + "\n"
        : `Execution ${result.executionArn} SUCCEEDED: outcome ${summary.outcome === "clean" ? "CLEAN" : "ATTENTION"}, ${summary.findings} finding(s), shards ${JSON.stringify(summary.shards)}; record s3 key ${summary.recordKey}\n`,
    );
    return summary.outcome === "clean" ? EXIT_OK : EXIT_FINDINGS;
  } catch (err) {
    if (err instanceof RemoteRunError) {
      io.stderr.write(`error: verify --state-machine: ${err.message}\n`);
      return EXIT_ERROR;
    }
    return rethrowAsUsage(err, "--state-machine");
  }
}
