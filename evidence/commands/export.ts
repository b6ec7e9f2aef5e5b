/** `evidence export`: copy digests, their log files, signature metadata and public keys for an offline verify. */
import * as path from "node:path";
import { optionalString, parseFlags, parsePeriod, parsePositiveInteger, parseRegionList, requireString, type FlagSpec } from "../../cli/args";
import { EXIT_ERROR, EXIT_FINDINGS, EXIT_OK } from "../../cli/exit-codes";
import { ArchiveDetectingStore, ArchivedObjectsError, archivedObjectsMessage } from "../../cloudtrail/archived-objects";
import { StderrProgress } from "../../cli/progress";
import { resolveTrail } from "../../cloudtrail/aws";
import { S3DigestStore } from "../../cloudtrail/verify/s3-store";
import { exportTrailEvidence, PUBLIC_KEYS_FILE } from "../export";
import { requireTrailArn, TRAIL_PERIOD_FLAGS, validateOrgAndAccount, type CliDeps, type CliIO } from "./common";

export const EXPORT_FLAGS: Record<string, FlagSpec> = {
  ...TRAIL_PERIOD_FLAGS,
  out: { type: "string", describe: "folder to write the export to" },
};

export async function runExport(argv: string[], io: CliIO, deps: CliDeps): Promise<number> {
  const flags = parseFlags("export", argv, EXPORT_FLAGS);
  const trailArn = requireString("export", flags, "trail-arn", "the ARN of the trail to export");
  requireTrailArn("export", trailArn);
  const { start, end } = parsePeriod("export", flags, true) as { start: Date; end: Date };
  const out = requireString("export", flags, "out", "folder to write the export to");
  const regions = parseRegionList("export", optionalString(flags, "regions"));
  const concurrency = parsePositiveInteger("export", "concurrency", optionalString(flags, "concurrency"), 8, 64);
  const resolved = await resolveTrail(deps.clients, trailArn, validateOrgAndAccount("export", flags));
  const store = new ArchiveDetectingStore(
    new S3DigestStore({ s3: deps.clients.s3(resolved.location.homeRegion), cloudTrailFor: (r) => deps.clients.cloudTrail(r) }),
  );
  const progress = new StderrProgress(io.stderr, { every: Infinity });
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
      const milestone = copied >= lastShown + deps.progressEvery * 10;
      if (milestone) lastShown = copied;
      progress.update(`${copied} objects copied`, milestone);
    },
  });
  progress.done();
  for (const missing of result.missing) io.stderr.write(`warning: not found (the offline verify will report it): ${missing}\n`);
  for (const failed of result.failed) io.stderr.write(`error: could not copy ${failed}\n`);
  io.stdout.write(
    `Exported ${result.digests} digest file(s) and ${result.logFiles} log file(s) of ${trailArn} (${result.regions.join(", ") || "no region"}) to ${out}\n` +
      `Public keys (${result.publicKeys}) in ${path.join(out, PUBLIC_KEYS_FILE)}.\n` +
      `Verify offline with keys obtained independently of this export:\n` +
      `  aws cloudtrail list-public-keys --region <home region> --start-time ${start.toISOString()} --end-time ${new Date(end.getTime() + 2 * 3600_000).toISOString()} > keys.json\n` +
      `  npm run evidence -- verify --dir ${out} --public-keys keys.json --start ${start.toISOString()} --end ${end.toISOString()}\n`,
  );
  if (store.archived.length > 0) {
    io.stderr.write(`error: the export is incomplete: ${archivedObjectsMessage(new ArchivedObjectsError(store.archived))}\n`);
    return EXIT_ERROR;
  }
  return result.failed.length > 0 ? EXIT_FINDINGS : EXIT_OK;
}
