/**
 * `npm run evidence -- who ...`: the auditor's question in one command. Parses and validates the
 * flags, fills what is missing from the stack outputs, runs (run.ts), prints (format.ts).
 *
 * Exit codes (cli/exit-codes.ts): 0 answered (also when there are no events); 1 --verify-digests
 * left at least one row's log file unverified; 2 usage error, or the period is outside what the
 * source keeps; 3 the query failed, was cancelled or timed out, AWS could not be reached, or log
 * files of the period are archived (Glacier) and must be restored first.
 */
import { EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE } from "../../cli/exit-codes";
import {
  optionalString,
  parseChoice,
  parseFlags,
  parsePeriod,
  parsePositiveInteger,
  requireString,
  UsageError,
  type FlagSpec,
  type ParsedFlags,
} from "../../cli/args";
import { ArchivedObjectsError, archivedObjectsMessage } from "../../cloudtrail/archived-objects";
import { ACCOUNT_ID_PATTERN, ORGANIZATION_ID_PATTERN, type AwsClients } from "../../cloudtrail/aws";
import type { StackOutputReader, StackOutputs } from "../package/stack-outputs";
import { parseTrailArn } from "../../cloudtrail/verify/digest-key";
import { DIGEST_VERIFIED } from "./digests";
import { formatReport, noEventsMessage, type WhoFormat } from "./format";
import {
  eventTimeText,
  periodToSeconds,
  validateBucket,
  validateGlueName,
  validateKey,
  validateLogGroup,
  validatePrincipal,
  validateRegion,
  validateStack,
  validateWorkgroup,
} from "./inputs";
import { StderrProgress, silentProgress, WhoQueryError, runWho, type AthenaTarget, type WhoPlan, type WhoServices } from "./run";

export const WHO_EXIT = { OK: EXIT_OK, UNVERIFIED: EXIT_FINDINGS, USAGE: EXIT_USAGE, ERROR: EXIT_ERROR } as const;

export { WHO_USAGE } from "../commands/help";

export const WHO_FLAGS: Record<string, FlagSpec> = {
  bucket: { type: "string", describe: "S3 bucket name" },
  key: { type: "string", describe: "object key, or a key prefix followed by *" },
  principal: { type: "string", describe: "IAM or STS principal ARN" },
  start: { type: "string", describe: "ISO 8601 time" },
  end: { type: "string", describe: "ISO 8601 time, exclusive" },
  stack: { type: "string", describe: "Pulumi stack name, e.g. prd" },
  format: { type: "string", describe: "table, csv or json" },
  source: { type: "string", describe: "auto, athena or logs" },
  "verify-digests": { type: "boolean", describe: "verify each row's log file against the digest chain" },
  region: { type: "string", describe: "the bucket's AWS region" },
  workgroup: { type: "string", describe: "Athena workgroup" },
  database: { type: "string", describe: "Athena (Glue) database" },
  table: { type: "string", describe: "Athena table over the trail's logs" },
  "log-group": { type: "string", describe: "the trail's CloudWatch Logs log group" },
  "home-region": { type: "string", describe: "AWS region of the workgroup and log group" },
  "trail-arn": { type: "string", describe: "trail ARN, arn:aws:cloudtrail:<region>:<account>:trail/<name>" },
  timeout: { type: "string", describe: "seconds to wait for the query, 1-3600" },
  account: { type: "string", describe: "12-digit AWS account id whose logs to read" },
  "organization-id": { type: "string", describe: "AWS Organizations id, o-xxxxxxxxxx" },
};

export interface WhoCommandIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

export interface WhoCommandDeps {
  clients: AwsClients;
  readStackOutputs: StackOutputReader;
  now: () => Date;
  services: WhoServices;
}

const COMMAND = "who";

function stackString(outputs: StackOutputs, path: string): string | undefined {
  let value: unknown = outputs;
  for (const name of path.split(".")) {
    value = value && typeof value === "object" ? (value as Record<string, unknown>)[name] : undefined;
  }
  return typeof value === "string" && value !== "[secret]" ? value : undefined;
}

/** Flag value, else the stack output, validated with a label saying which one it was. */
function pick(
  flags: ParsedFlags,
  flag: string,
  outputs: StackOutputs | undefined,
  stack: string | undefined,
  outputPath: string,
  validate: (command: string, label: string, text: string) => string,
): string | undefined {
  const given = optionalString(flags, flag);
  if (given !== undefined) return validate(COMMAND, `--${flag}`, given);
  const fromStack = outputs ? stackString(outputs, outputPath) : undefined;
  return fromStack !== undefined ? validate(COMMAND, `stack ${stack} output ${outputPath}`, fromStack) : undefined;
}

export async function buildWhoPlan(argv: string[], deps: WhoCommandDeps): Promise<{ plan: WhoPlan; format: WhoFormat }> {
  const flags = parseFlags(COMMAND, argv, WHO_FLAGS);
  const bucket = validateBucket(COMMAND, requireString(COMMAND, flags, "bucket", "the S3 bucket whose objects were accessed"));
  const keyText = optionalString(flags, "key");
  const key = keyText !== undefined ? validateKey(COMMAND, keyText) : undefined;
  const principalText = optionalString(flags, "principal");
  const principal = principalText !== undefined ? validatePrincipal(COMMAND, principalText) : undefined;
  const parsed = parsePeriod(COMMAND, flags, true) as { start: Date; end: Date };
  const period = periodToSeconds(parsed.start, parsed.end);
  if (period.start.getTime() >= period.end.getTime()) {
    throw new UsageError(`${COMMAND}: --start and --end are the same second; the period is empty (--end is exclusive)`);
  }
  if (period.start.getTime() > deps.now().getTime()) {
    throw new UsageError(
      `${COMMAND}: --start ${eventTimeText(period.start)} is in the future (now ${eventTimeText(deps.now())}); no event can be recorded yet`,
    );
  }
  const format = parseChoice(COMMAND, "format", optionalString(flags, "format"), ["table", "csv", "json"] as const, "table");
  const source = parseChoice(COMMAND, "source", optionalString(flags, "source"), ["auto", "athena", "logs"] as const, "auto");
  const verifyDigests = flags["verify-digests"] === true;
  if (verifyDigests && source === "logs") {
    throw new UsageError(`${COMMAND}: --verify-digests needs the log file of each event, which only Athena gives; use --source athena or auto`);
  }
  const timeoutSeconds = parsePositiveInteger(COMMAND, "timeout", optionalString(flags, "timeout"), 900, 3600);

  const stackText = optionalString(flags, "stack");
  const stack = stackText !== undefined ? validateStack(COMMAND, stackText) : undefined;
  const outputs = stack !== undefined ? await deps.readStackOutputs(stack) : undefined;
  const from = (flag: string, path: string, validate: (c: string, l: string, t: string) => string) => pick(flags, flag, outputs, stack, path, validate);

  const workgroup = from("workgroup", "athena.workgroup", validateWorkgroup);
  const database = from("database", "athena.database", validateGlueName);
  const table = from("table", "athena.table", validateGlueName);
  const athenaParts = { workgroup, database, table };
  const missingAthena = Object.entries(athenaParts)
    .filter(([, v]) => v === undefined)
    .map(([k]) => `--${k}`);
  let athena: AthenaTarget | undefined;
  if (missingAthena.length === 0) athena = athenaParts as AthenaTarget;
  else if (source === "athena" || (source === "auto" && missingAthena.length < 3)) {
    const where =
      stack !== undefined
        ? `stack ${stack} has no athena.{workgroup,database,table} output for them`
        : "give all three, or --stack <name> whose outputs name them";
    throw new UsageError(`${COMMAND}: Athena needs ${missingAthena.join(", ")} (${where})`);
  }
  const logGroup = from("log-group", "trailLogGroup", validateLogGroup);
  if (source === "logs" && logGroup === undefined) {
    throw new UsageError(
      `${COMMAND}: --source logs needs --log-group <name>${stack !== undefined ? ` (stack ${stack} has no trailLogGroup output)` : " or --stack <name>"}`,
    );
  }
  if (athena === undefined && logGroup === undefined) {
    throw new UsageError(
      `${COMMAND}: nothing to query: give --stack <name>, or --workgroup, --database and --table (Athena), or --log-group <name> (Logs Insights)`,
    );
  }
  if (verifyDigests && athena === undefined) {
    throw new UsageError(`${COMMAND}: --verify-digests needs the Athena table (--workgroup, --database, --table, or --stack)`);
  }

  const trailFlag = optionalString(flags, "trail-arn");
  let trailArnText = trailFlag ?? (outputs ? stackString(outputs, "trailArn") : undefined);
  if (trailArnText !== undefined && !parseTrailArn(trailArnText)) {
    const label = trailFlag !== undefined ? "--trail-arn" : `stack ${stack} output trailArn`;
    if (trailFlag !== undefined || verifyDigests) {
      throw new UsageError(`${COMMAND}: ${label} "${trailArnText}" is not a trail ARN; expected arn:aws:cloudtrail:<region>:<12-digit account>:trail/<name>`);
    }
    trailArnText = undefined;
  }
  if (verifyDigests && trailArnText === undefined) {
    throw new UsageError(`${COMMAND}: --verify-digests needs --trail-arn <arn> (or --stack <name> with a trailArn output)`);
  }

  const homeRegion =
    from("home-region", "homeRegion", validateRegion) ??
    (trailArnText !== undefined ? parseTrailArn(trailArnText)?.homeRegion : undefined) ??
    (() => {
      const env = deps.services.defaultRegion();
      return env !== undefined ? validateRegion(COMMAND, "AWS_REGION", env) : undefined;
    })();
  if (homeRegion === undefined) {
    throw new UsageError(`${COMMAND}: --home-region is required without --stack (the region of the Athena workgroup and the log group), or set AWS_REGION`);
  }

  const accountText = optionalString(flags, "account");
  if (accountText !== undefined && !ACCOUNT_ID_PATTERN.test(accountText)) {
    throw new UsageError(`${COMMAND}: --account "${accountText}" is not a 12-digit AWS account id`);
  }
  const organizationId = pick(flags, "organization-id", outputs, stack, "organizationId", (c, label, text) => {
    if (!ORGANIZATION_ID_PATTERN.test(text))
      throw new UsageError(`${c}: ${label} "${text}" is not an AWS Organizations id (o- followed by 10-32 lowercase letters or digits)`);
    return text;
  });

  let bucketRegion: string | undefined;
  const regionText = optionalString(flags, "region");
  if (regionText !== undefined) bucketRegion = validateRegion(COMMAND, "--region", regionText);
  else if (outputs && Array.isArray(outputs.dataBucketNames) && outputs.dataBucketNames.includes(bucket)) bucketRegion = homeRegion;

  return {
    format,
    plan: {
      query: { bucket, key, principal, start: period.start, end: period.end },
      source,
      homeRegion,
      athena,
      logGroup,
      bucketRegion,
      account: accountText ?? (trailArnText !== undefined ? parseTrailArn(trailArnText)?.accountId : undefined),
      trailArn: trailArnText,
      organizationId,
      verifyDigests,
      timeoutMs: timeoutSeconds * 1000,
    },
  };
}

export async function runWhoCommand(argv: string[], io: WhoCommandIO, deps: WhoCommandDeps): Promise<number> {
  const { plan, format } = await buildWhoPlan(argv, deps);
  const progressOn = format !== "json" || io.stderr.isTTY === true;
  const ctx = {
    clients: deps.clients,
    services: deps.services,
    now: deps.now,
    note: (text: string) => void io.stderr.write(`note: ${text}\n`),
    progress: progressOn ? new StderrProgress(io.stderr) : silentProgress,
  };
  let outcome;
  try {
    outcome = await runWho(plan, ctx);
  } catch (err) {
    if (err instanceof WhoQueryError) {
      io.stderr.write(`error: ${COMMAND}: ${err.message}\n`);
      return WHO_EXIT.ERROR;
    }
    if (err instanceof ArchivedObjectsError) {
      io.stderr.write(`error: ${COMMAND}: ${archivedObjectsMessage(err)}\n`);
      return WHO_EXIT.ERROR;
    }
    throw err;
  }
  const { report, verificationError } = outcome;
  io.stdout.write(formatReport(report, format));
  if (report.rows.length === 0 && format !== "table") io.stderr.write(`${noEventsMessage(report.query)}\n`);
  if (report.stats.truncated && format !== "table") {
    io.stderr.write(`warning: Logs Insights returns at most ${report.rows.length} rows; the list is cut off. Run with --source athena for every event.\n`);
  }
  if (verificationError !== undefined) {
    io.stderr.write(`error: ${COMMAND}: the digest check could not run: ${verificationError}\n`);
    return WHO_EXIT.ERROR;
  }
  if (plan.verifyDigests && report.rows.some((r) => r.digest !== DIGEST_VERIFIED)) {
    const count = report.rows.filter((r) => r.digest !== DIGEST_VERIFIED).length;
    io.stderr.write(`${count} of ${report.rows.length} event(s) come from a log file that did not verify; see the DIGEST column.\n`);
    return WHO_EXIT.UNVERIFIED;
  }
  return WHO_EXIT.OK;
}
