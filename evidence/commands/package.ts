/** `evidence package`: the evidence package of a period (trail, verification, protection, compliance, reviews). */
import { promises as fs } from "node:fs";
import { optionalString, parseFlags, parsePeriod, parsePositiveInteger, parseRegionList, requireString, UsageError, type FlagSpec } from "../../cli/args";
import { EXIT_ERROR, EXIT_FINDINGS, EXIT_OK } from "../../cli/exit-codes";
import { digestWalkReporter, StderrProgress } from "../../cli/progress";
import { ArchivedObjectsError, archivedObjectsMessage } from "../../cloudtrail/archived-objects";
import { buildEvidencePackage } from "../package/build";
import type { StackOutputs } from "../package/stack-outputs";
import { archivedFromFindings, requireTrailArn, TRAIL_PERIOD_FLAGS, validateOrgAndAccount, type CliDeps, type CliIO } from "./common";

export const PACKAGE_FLAGS: Record<string, FlagSpec> = {
  ...TRAIL_PERIOD_FLAGS,
  stack: { type: "string", describe: "Pulumi stack name, e.g. prd" },
  out: { type: "string", describe: "empty or new folder for the package" },
  "log-bucket": { type: "string", describe: "name of the trail's log bucket" },
};

export async function runPackage(argv: string[], io: CliIO, deps: CliDeps): Promise<number> {
  const flags = parseFlags("package", argv, PACKAGE_FLAGS);
  const stack = requireString("package", flags, "stack", "Pulumi stack name, e.g. prd");
  if (!/^[A-Za-z0-9._/-]+$/.test(stack)) throw new UsageError(`package: --stack "${stack}" is not a Pulumi stack name (letters, digits, . _ - /)`);
  const { start, end } = parsePeriod("package", flags, true) as { start: Date; end: Date };
  const out = requireString("package", flags, "out", "empty or new folder for the package");
  const regions = parseRegionList("package", optionalString(flags, "regions"));
  const concurrency = parsePositiveInteger("package", "concurrency", optionalString(flags, "concurrency"), 8, 64);
  validateOrgAndAccount("package", flags);
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
  let outputs: StackOutputs | undefined;
  if (trailArn === undefined || logBucket === undefined) {
    // The stack also names the organization id of an organization trail (issue 11).
    outputs = await deps.readStackOutputs(stack);
    trailArn ??= typeof outputs?.trailArn === "string" ? outputs.trailArn : undefined;
    logBucket ??= typeof outputs?.logBucketName === "string" ? outputs.logBucketName : undefined;
    kmsKeyArn = typeof outputs?.kmsKeyArn === "string" ? outputs.kmsKeyArn : undefined;
    if (trailArn === undefined) throw new UsageError(`package: stack ${stack} has no "trailArn" output; pass --trail-arn`);
    if (logBucket === undefined) throw new UsageError(`package: stack ${stack} has no "logBucketName" output; pass --log-bucket`);
    requireTrailArn("package", trailArn, `stack ${stack} output trailArn`);
  }
  const orgAndAccount = validateOrgAndAccount("package", flags, outputs);
  const progress = new StderrProgress(io.stderr, { every: Infinity });
  let result;
  try {
    result = await buildEvidencePackage({
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
      onProgress: digestWalkReporter(progress, deps.progressEvery),
      ...orgAndAccount,
    });
  } finally {
    progress.done();
  }
  const problems = result.items.filter((i) => i.status !== "collected");
  io.stdout.write(
    `Evidence package for ${stack} written to ${out}: ${result.files.length} file(s) listed in SHA256SUMS, index in index.md / index.json.\n` +
      `Integrity verification: ${result.verification.valid ? "VALID" : "INVALID"} (${result.verification.digestsChecked} digests, ${result.verification.logFilesChecked} log files, ${result.verification.findings.length} finding(s)).\n` +
      problems.map((p) => `note: ${p.path}: ${p.status}${p.note ? ` (${p.note})` : ""}\n`).join(""),
  );
  const archived = archivedFromFindings(result.verification);
  if (archived.length > 0) {
    io.stderr.write(`error: the package is incomplete: ${archivedObjectsMessage(new ArchivedObjectsError(archived))}\n`);
    return EXIT_ERROR;
  }
  return result.verification.valid ? EXIT_OK : EXIT_FINDINGS;
}
