/** The daily review's alert (E14, PCI DSS 10.4.1): the shared DailyReviewAlert type. */
import type { DailyReviewAlert } from "../../../cloudtrail/review-alert";
import type { Notification, NotificationSection, Severity } from "../notification";
import { fact, isObject, scalarText } from "../text";

const DAILY_REVIEW_MAX_FINDINGS = 20;
/** A trail that is not logging, or logs that fail validation, is what E14 exists to catch. */
const CRITICAL_FINDINGS = new Set(["trail-not-logging", "log-file-validation-disabled", "integrity"]);
/** Organisation reviews name the verifier's kind after the colon (`integrity:log-file-hash-mismatch`). */
const isCritical = (kind: string) =>
  CRITICAL_FINDINGS.has(kind) || kind.startsWith("integrity:") || kind === "account-not-delivering" || kind === "region-not-delivering";

export function dailyReviewNotification(review: Partial<DailyReviewAlert> & { findings: unknown[] }): Notification {
  const findings = review.findings;
  // The alert carries at most ALERT_MAX_FINDINGS; findingsTotal is the review's own count.
  const total = typeof review.findingsTotal === "number" && review.findingsTotal >= findings.length ? review.findingsTotal : findings.length;
  const date = scalarText(review.date) ?? "unknown date";
  const recordKey = scalarText(review.recordKey);
  const shown = findings.slice(0, DAILY_REVIEW_MAX_FINDINGS).map((finding: unknown, i) => {
    const kind = isObject(finding) ? scalarText(finding.kind) : undefined;
    const key = isObject(finding) ? scalarText(finding.key) : undefined;
    const message = isObject(finding) ? scalarText(finding.message) : undefined;
    return fact(`${i + 1}. ${kind ?? "finding"}`, `${key === undefined ? "" : `${key}: `}${message ?? "no message"}`);
  });
  if (total > shown.length) shown.push(fact("More", `${total - shown.length} further finding(s) in the review record`));
  const reviewFacts = [
    fact("Review date", date),
    fact("Findings", String(total)),
    fact("Review record", scalarText(review.recordUri) ?? recordKey ?? "not given"),
  ];
  const trail = scalarText(review.trailArn);
  if (trail !== undefined) reviewFacts.push(fact("Trail", trail));
  // Issue 11: the organisation verification's review covers every member account.
  const organization = review.scope === "organization";
  if (organization) {
    reviewFacts.push(fact("Organization", scalarText(review.organizationId) ?? "not given"));
    const s = isObject(review.shards) ? review.shards : undefined;
    if (s)
      reviewFacts.push(
        fact(
          "Shards (account x region x day)",
          `${scalarText(s.planned) ?? "?"} planned, ${scalarText(s.verified) ?? "?"} verified, ${scalarText(s.invalid) ?? "?"} of them invalid, ${scalarText(s.notVerified) ?? "?"} not verified, ${scalarText(s.unreported) ?? "?"} unreported`,
        ),
      );
  }
  const sections: NotificationSection[] = [{ title: "Review", facts: reviewFacts }];
  if (shown.length > 0) sections.push({ title: "Findings", facts: shown });
  const critical = findings.some((f) => isObject(f) && isCritical(String(f.kind)));
  const severity: Severity = total === 0 ? "info" : critical ? "critical" : "medium";
  return {
    kind: "daily-review",
    severity,
    headline: `${organization ? "Organisation review" : "Daily review"} ${date}: ${total} finding(s)`,
    sections,
    links: [],
    reference: recordKey,
  };
}
