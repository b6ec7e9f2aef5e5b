/** How a verification result is shown: the stable JSON shape and a readable report. */
import { formatDisplayDate } from "./digest-key";
import { isFailure, type Finding } from "./findings";
import type { VerificationResult } from "./verifier";

/** The `--json` output, exactly these four fields (scripts and the daily review parse it). */
export interface VerificationJson {
  valid: boolean;
  findings: Finding[];
  digestsChecked: number;
  logFilesChecked: number;
}

export function toVerificationJson(result: VerificationResult): VerificationJson {
  return {
    valid: result.valid,
    findings: result.findings.map(({ kind, key, message }) => ({ kind, key, message })),
    digestsChecked: result.digestsChecked,
    logFilesChecked: result.logFilesChecked,
  };
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
  lines.push(
    `  public keys trusted: ${result.publicKeyFingerprints.length ? result.publicKeyFingerprints.join(", ") : "(none)"}`,
  );
  lines.push("");
  const failures = result.findings.filter(isFailure);
  const gaps = result.findings.filter((f) => !isFailure(f));
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
      `(${mib} MiB of log content); ${failures.length} finding(s) that fail verification, ${gaps.length} gap(s) to explain.`,
  );
  return lines.join("\n") + "\n";
}
