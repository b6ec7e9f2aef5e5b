/** How a verification result is shown: the stable JSON shape and a readable report. */
import { formatDisplayDate } from "./digest-key";
import { isFailure, type Finding } from "./findings";
import type { TrustedPublicKey, VerificationResult } from "./verifier";

/**
 * The `--json` output (scripts and the daily review parse it): the verdict, the findings, the
 * counts, and the public keys the verdict trusted with their validity (E13: offline, the auditor
 * must see which keys were taken as CloudTrail's). `trustedPublicKeys` is present whenever the
 * result comes from verifyTrailLogs.
 */
export interface VerificationJson {
  valid: boolean;
  findings: Finding[];
  digestsChecked: number;
  logFilesChecked: number;
  trustedPublicKeys?: TrustedPublicKey[];
}

export function toVerificationJson(result: VerificationResult): VerificationJson {
  return {
    valid: result.valid,
    findings: result.findings.map(({ kind, key, message }) => ({ kind, key, message })),
    digestsChecked: result.digestsChecked,
    logFilesChecked: result.logFilesChecked,
    ...(result.trustedPublicKeys ? { trustedPublicKeys: result.trustedPublicKeys.map((k) => ({ ...k, regions: [...k.regions] })) } : {}),
  };
}

function describeTrustedKey(key: TrustedPublicKey): string {
  const validity = `valid ${key.validityStartTime ?? "(no start)"} to ${key.validityEndTime ?? "(no end)"}`;
  return `${key.fingerprint} (${validity}; ${key.digestsAuthenticated} digest(s) in ${key.regions.join(", ")})`;
}

export interface ReportContext {
  trailArn: string;
  start: Date;
  end: Date;
  source: string;
}

export function formatVerificationReport(result: VerificationResult, context: ReportContext): string {
  const lines: string[] = [];
  lines.push(`Validating log files for trail ${context.trailArn}`);
  lines.push(`  period:  ${formatDisplayDate(context.start)} to ${formatDisplayDate(context.end)}`);
  lines.push(`  source:  ${context.source}`);
  lines.push(`  regions: ${result.regions.length ? result.regions.join(", ") : "(none hold digests)"}`);
  if (result.trustedPublicKeys) {
    const trusted = result.trustedPublicKeys.map(describeTrustedKey);
    lines.push(`  public keys trusted: ${trusted.length ? trusted.join(",\n    ") : "(none authenticated a digest)"}`);
    lines.push(`  public keys available: ${result.publicKeyFingerprints.length ? result.publicKeyFingerprints.join(", ") : "(none)"}`);
  } else {
    lines.push(`  public keys trusted: ${result.publicKeyFingerprints.length ? result.publicKeyFingerprints.join(", ") : "(none)"}`);
  }
  if (result.buckets && result.buckets.length > 1) lines.push(`  buckets: ${result.buckets.join(" <- ")} (the trail's bucket changed)`);
  lines.push("");
  const failures = result.findings.filter(isFailure);
  const informational = result.findings.filter((f) => !isFailure(f));
  if (result.findings.length === 0) {
    lines.push("No findings.");
  } else {
    lines.push(`Findings (${result.findings.length}):`);
    for (const f of result.findings) {
      lines.push(`  [${f.kind}] ${f.key}`);
      lines.push(`      ${f.message}`);
    }
  }
  lines.push("");
  const mib = (result.uncompressedLogBytes / (1024 * 1024)).toFixed(1);
  lines.push(
    `${result.valid ? "VALID" : "INVALID"}: ${result.digestsChecked} digest file(s) and ${result.logFilesChecked} log file(s) checked ` +
      `(${mib} MiB of log content); ${failures.length} finding(s) that fail verification, ${informational.length} informational finding(s) (gaps, bucket changes) to explain.`,
  );
  return lines.join("\n") + "\n";
}
