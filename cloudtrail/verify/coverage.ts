/**
 * Every hour of the period, in every region walked or named, must be covered by a digest (E13).
 *
 * CloudTrail delivers a digest for every hour, whether or not log files were delivered
 * ("CloudTrail digest file structure": an empty `logFiles` array), so an hour no digest covers is
 * either explained by CloudTrail itself (a signed digest that names no predecessor: logging or
 * validation was off before it) or by the trail's status (logging stopped), or digests were
 * removed. aws-cli walks back from the newest digest it finds, so deleting the newest digests of a
 * period, or all of one region's, passes there; here it is an `uncovered-period` failure.
 * Pure: the walk records what it saw, this module judges it.
 */
import { formatDisplayDate } from "./digest-key";
import { finding, type Finding } from "./findings";
import type { TrailDeliveryStatus } from "./store";

const HOUR_MS = 3_600_000;
/** Consecutive real digests share the boundary (previous end = next start); allow clock seams. */
const SEAM_MS = 60_000;
/**
 * CloudTrail delivers an hour's digest within about an hour of its end; the reference tool asks
 * for keys up to two hours past the range for the same reason. Hours closer to `now` than this are
 * not yet required.
 */
export const DIGEST_DELIVERY_GRACE_MS = 2 * HOUR_MS;

export interface TimeSpan {
  start: number;
  end: number;
}

/** What the walk saw in one region (standard digests only: backfill digests cover late log files, not hours). */
export interface RegionCoverage {
  region: string;
  /** Where the region's digests were listed (its digest prefix), named in findings. */
  where: string;
  /** Digest keys listed for the period. */
  listed: number;
  /** [digestStartTime, digestEndTime] of every standard digest that authenticated. */
  covered: TimeSpan[];
  /** The hour before the key time of digests already reported as failing (missing, forged, refused). */
  accounted: TimeSpan[];
  /** digestStartTime of authenticated standard digests that name no previous digest. */
  chainStarts: number[];
}

export interface CoverageContext {
  start: Date;
  end: Date;
  now: Date;
  trailName: string;
  status?: TrailDeliveryStatus;
  /** Why the status could not be read, when the store offers it but the call failed. */
  statusError?: string;
}

function merge(spans: TimeSpan[]): TimeSpan[] {
  const sorted = spans.filter((s) => s.end > s.start).sort((a, b) => a.start - b.start);
  const out: TimeSpan[] = [];
  for (const span of sorted) {
    const last = out[out.length - 1];
    if (last && span.start <= last.end + SEAM_MS) last.end = Math.max(last.end, span.end);
    else out.push({ ...span });
  }
  return out;
}

/** Parts of [from, to] no span covers, ignoring seams shorter than SEAM_MS. */
export function uncoveredSpans(spans: TimeSpan[], from: number, to: number): TimeSpan[] {
  const out: TimeSpan[] = [];
  let cursor = from;
  for (const span of merge(spans)) {
    if (span.end <= cursor) continue;
    if (span.start >= to) break;
    if (span.start - cursor > SEAM_MS) out.push({ start: cursor, end: span.start });
    cursor = Math.max(cursor, span.end);
  }
  if (to - cursor > SEAM_MS) out.push({ start: cursor, end: to });
  return out;
}

function range(span: TimeSpan): string {
  return `${formatDisplayDate(new Date(span.start))}..${formatDisplayDate(new Date(span.end))}`;
}

function statusText(context: CoverageContext): string {
  const { status, statusError } = context;
  if (statusError) return ` The trail's status could not be read (${statusError}).`;
  if (!status) return "";
  const parts: string[] = [];
  if (status.isLogging !== undefined) parts.push(`IsLogging ${status.isLogging}`);
  if (status.latestDigestDeliveryTime) parts.push(`LatestDigestDeliveryTime ${formatDisplayDate(status.latestDigestDeliveryTime)}`);
  if (status.latestDigestDeliveryError) parts.push(`LatestDigestDeliveryError "${status.latestDigestDeliveryError}"`);
  if (status.stopLoggingTime) parts.push(`StopLoggingTime ${formatDisplayDate(status.stopLoggingTime)}`);
  return parts.length ? ` GetTrailStatus: ${parts.join(", ")}.` : "";
}

/** Coverage findings for the walked regions; empty when every required hour is covered or explained. */
export function findCoverageFindings(regions: RegionCoverage[], context: CoverageContext): Finding[] {
  const from = context.start.getTime();
  const to = Math.min(context.end.getTime(), context.now.getTime() - DIGEST_DELIVERY_GRACE_MS);
  if (to - from <= SEAM_MS) return [];
  const findings: Finding[] = [];
  const { status } = context;
  for (const region of regions) {
    const required = { start: from, end: to };
    if (region.listed === 0) {
      findings.push(
        finding(
          "uncovered-period",
          `${region.where} ${range(required)}`,
          `No digest of trail ${context.trailName} in region ${region.region} covers ${range(required)}: CloudTrail delivers one every hour ` +
            `in every region a trail logs, with or without log files, so this region's digests were removed, or the trail does not log in it.` +
            statusText(context),
        ),
      );
      continue;
    }
    for (const span of uncoveredSpans([...region.covered, ...region.accounted], from, to)) {
      const startsChain = region.chainStarts.some((s) => Math.abs(s - span.end) <= SEAM_MS);
      if (startsChain) {
        // CloudTrail's own signed statement: the digest after the span has no predecessor. In the
        // middle of the period the walk already reported the `gap`; at its head, say it here.
        if (span.start === from) {
          findings.push(
            finding(
              "gap",
              `${region.where} ${range(span)}`,
              `No digest of region ${region.region} covers ${range(span)}: the first digest, starting ${formatDisplayDate(new Date(span.end))}, ` +
                `has no previous digest (logging or log file validation started or restarted then). Confirm from the trail's history that nothing was delivered before.`,
            ),
          );
        }
        continue;
      }
      if (span.end === to) {
        const stop = status?.stopLoggingTime?.getTime();
        if (status?.isLogging === false && stop !== undefined && stop <= span.start + HOUR_MS) {
          findings.push(
            finding(
              "gap",
              `${region.where} ${range(span)}`,
              `No digest of region ${region.region} covers ${range(span)}: the trail stopped logging at ${formatDisplayDate(new Date(stop))} (GetTrailStatus), so no digest was due.`,
            ),
          );
          continue;
        }
        const latest = status?.latestDigestDeliveryTime?.getTime();
        const removed =
          latest !== undefined && latest > span.start + HOUR_MS ? " CloudTrail reports delivering a digest after the newest one found: it was removed." : "";
        findings.push(
          finding(
            "uncovered-period",
            `${region.where} ${range(span)}`,
            `No digest of region ${region.region} covers ${range(span)}, up to the end of the period: CloudTrail delivers a digest every hour, ` +
              `so the newest digests were removed or CloudTrail stopped delivering them.${removed}${statusText(context)}`,
          ),
        );
        continue;
      }
      findings.push(
        finding(
          "uncovered-period",
          `${region.where} ${range(span)}`,
          `No digest of region ${region.region} covers ${range(span)}, and the digest after it does not start a new chain: digests of these hours were removed.`,
        ),
      );
    }
  }
  return findings;
}
