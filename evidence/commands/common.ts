/**
 * What every `evidence` command shares: the IO and dependency shapes, the trail/period flags and
 * their validation, how a verification result is printed, and how archived evidence is reported.
 * Loads no AWS SDK: each command module brings only the clients it uses (issue 15: `--help` must
 * not pay for every client).
 */
import { optionalString, UsageError, type FlagSpec, type ParsedFlags } from "../../cli/args";
import { EXIT_ERROR, EXIT_FINDINGS, EXIT_OK } from "../../cli/exit-codes";
import type { StderrLike } from "../../cli/progress";
import { archivedObjectOfFinding, ArchivedObjectsError, archivedObjectsMessage, type ArchivedObject } from "../../cloudtrail/archived-objects";
import { ACCOUNT_ID_PATTERN, ORGANIZATION_ID_PATTERN, type AwsClients, type TrailInput } from "../../cloudtrail/aws";
import { parseTrailArn } from "../../cloudtrail/verify/digest-key";
import { toVerificationJson } from "../../cloudtrail/verify/report";
import type { VerificationResult } from "../../cloudtrail/verify/verifier";
import type { StackOutputReader, StackOutputs } from "../package/stack-outputs";
import type { WhoServices } from "../who/run";

export interface CliIO {
  stdout: { write(text: string): unknown };
  stderr: StderrLike;
}

export interface CliDeps {
  clients: AwsClients;
  readStackOutputs: StackOutputReader;
  now: () => Date;
  /** Digests between progress lines when stderr is not a terminal. */
  progressEvery: number;
  /** Waits between polls and retries (verify --state-machine --wait, shard retries); tests pass one that does not wait. */
  sleep?: (ms: number) => Promise<void>;
  /** Athena and CloudWatch Logs clients, polling and the digest check of `who` (created on first use). */
  who: () => WhoServices;
}

export type CommandRunner = (argv: string[], io: CliIO, deps: CliDeps) => Promise<number>;

/** The trail and period options of verify, export and package. */
export const TRAIL_PERIOD_FLAGS: Record<string, FlagSpec> = {
  "trail-arn": { type: "string", describe: "trail ARN, arn:aws:cloudtrail:<region>:<account>:trail/<name>" },
  start: { type: "string", describe: "ISO 8601 time" },
  end: { type: "string", describe: "ISO 8601 time" },
  regions: { type: "string", describe: "comma-separated AWS regions" },
  concurrency: { type: "string", describe: "number of log files fetched at once, 1-64" },
  "organization-id": { type: "string", describe: "AWS Organizations id, o-xxxxxxxxxx" },
  "account-id": { type: "string", describe: "12-digit AWS account id" },
};

/** The flag each trail input is given with, for messages from cloudtrail/aws.ts. */
export const FLAG_OF_INPUT: Record<TrailInput, string> = { trailArn: "--trail-arn", organizationId: "--organization-id", accountId: "--account-id" };

export function validateOrgAndAccount(command: string, flags: ParsedFlags, outputs?: StackOutputs): { organizationId?: string; accountId?: string } {
  const given = optionalString(flags, "organization-id");
  const fromStack = typeof outputs?.organizationId === "string" ? outputs.organizationId : undefined;
  const organizationId = given ?? fromStack;
  const accountId = optionalString(flags, "account-id");
  if (organizationId !== undefined && !ORGANIZATION_ID_PATTERN.test(organizationId)) {
    const label = given !== undefined ? "--organization-id" : "stack output organizationId";
    throw new UsageError(`${command}: ${label} "${organizationId}" is not an AWS Organizations id (o- followed by 10-32 lowercase letters or digits)`);
  }
  if (accountId !== undefined && !ACCOUNT_ID_PATTERN.test(accountId)) {
    throw new UsageError(`${command}: --account-id "${accountId}" is not a 12-digit AWS account id`);
  }
  return { ...(organizationId !== undefined ? { organizationId } : {}), ...(accountId !== undefined ? { accountId } : {}) };
}

export function requireTrailArn(command: string, text: string, label = "--trail-arn"): void {
  if (!parseTrailArn(text)) {
    throw new UsageError(`${command}: ${label} "${text}" is not a trail ARN; expected arn:aws:cloudtrail:<region>:<12-digit account>:trail/<name>`);
  }
}

/**
 * Archived objects the verifier met: the S3 store turns S3's InvalidObjectState on GetObject into an
 * ArchivedObjectError (bucket, key, storage class), which the verifier reports as a read error
 * naming it; those findings mean "restore first", not "tampered".
 */
export function archivedFromFindings(result: VerificationResult): ArchivedObject[] {
  const out: ArchivedObject[] = [];
  for (const f of result.findings) {
    const archived = archivedObjectOfFinding(f);
    if (archived) out.push(archived);
  }
  return out;
}

/** Prints the result; archived evidence makes the run incomplete (exit 3 with the restore command). */
export function printVerification(io: CliIO, result: VerificationResult, text: string, json: boolean): number {
  io.stdout.write(json ? JSON.stringify(toVerificationJson(result)) + "\n" : text);
  const archived = archivedFromFindings(result);
  if (archived.length > 0) {
    io.stderr.write(`error: ${archivedObjectsMessage(new ArchivedObjectsError(archived))}\n`);
    return EXIT_ERROR;
  }
  return result.valid ? EXIT_OK : EXIT_FINDINGS;
}
