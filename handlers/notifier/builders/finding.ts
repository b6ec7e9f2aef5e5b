/**
 * Posture findings (E10) as EventBridge delivers them (EventBridge events reference): GuardDuty
 * "GuardDuty Finding", Security Hub "Security Hub Findings - Imported" (ASFF findings[]), Inspector
 * "Inspector2 Finding", IAM Access Analyzer "Access Analyzer Finding". Titles, descriptions and
 * resource names come from the finding and are shown verbatim.
 */
import type { Notification, NotificationFact, Severity } from "../notification";
import { describeInstant, fact, isObject, isRegionCode, nonEmptyString, path, safeJsonStringify, scalarText, whenFacts, type JsonObject } from "../text";

const FINDING_DETAIL_TYPES = new Set(["GuardDuty Finding", "Security Hub Findings - Imported", "Inspector2 Finding", "Access Analyzer Finding"]);
const SECURITY_HUB_MAX_FINDINGS = 5;

export function isFindingEvent(parsed: JsonObject): boolean {
  return typeof parsed["detail-type"] === "string" && FINDING_DETAIL_TYPES.has(parsed["detail-type"]) && isObject(parsed.detail);
}

/** Security Hub / Inspector labels; GuardDuty's numbers: 7.0-8.9 high, 9.0-10 critical (GuardDuty severity levels). */
function severityOf(label: unknown): Severity {
  if (typeof label === "number") return label >= 9 ? "critical" : label >= 7 ? "high" : label >= 4 ? "medium" : "low";
  const l = String(label).toUpperCase();
  return l === "CRITICAL" ? "critical" : l === "HIGH" ? "high" : l === "MEDIUM" ? "medium" : l === "LOW" ? "low" : "info";
}

export function findingNotification(event: JsonObject): Notification {
  const detail = event.detail as JsonObject;
  const detailType = String(event["detail-type"]);
  const region = nonEmptyString(detail.region) ?? nonEmptyString(event.region);
  const account = nonEmptyString(detail.accountId) ?? nonEmptyString(detail.awsAccountId) ?? nonEmptyString(event.account);
  const where: NotificationFact[] = [fact("Region", region ?? "not recorded"), fact("Account", account ?? "not recorded")];
  let severity: Severity;
  let title: string;
  let what: NotificationFact[];
  let reference: string | undefined;
  let when: string | undefined;
  let url: string | undefined;

  if (detailType === "GuardDuty Finding") {
    severity = severityOf(detail.severity);
    title = scalarText(detail.title) ?? scalarText(detail.type) ?? "GuardDuty finding";
    what = [
      fact("Source", "Amazon GuardDuty"),
      fact("Finding type", scalarText(detail.type) ?? "not recorded"),
      fact("Severity", scalarText(detail.severity) ?? "not recorded"),
      fact("Title", title),
      fact("Description", scalarText(detail.description) ?? "not given"),
      fact("Resource type", scalarText(path(detail, "resource", "resourceType")) ?? "not recorded"),
    ];
    reference = scalarText(detail.id);
    when = nonEmptyString(detail.updatedAt) ?? nonEmptyString(event.time);
    if (region !== undefined && isRegionCode(region) && reference !== undefined && /^[a-z0-9]+$/.test(reference)) {
      url = `https://${region}.console.aws.amazon.com/guardduty/home?region=${region}#/findings?fId=${reference}`;
    }
  } else if (detailType === "Security Hub Findings - Imported") {
    const findings = Array.isArray(detail.findings) ? detail.findings.filter(isObject) : [];
    const first = findings[0] ?? {};
    severity = findings.map((f) => severityOf(path(f, "Severity", "Label"))).sort((a, b) => RANK[a] - RANK[b])[0] ?? "info";
    title = scalarText(first.Title) ?? "Security Hub finding";
    what = [
      fact("Source", `AWS Security Hub${scalarText(first.ProductName) === undefined ? "" : ` (${first.ProductName as string})`}`),
      fact("Findings", String(findings.length)),
    ];
    findings.slice(0, SECURITY_HUB_MAX_FINDINGS).forEach((f, i) => {
      const resource = Array.isArray(f.Resources) && isObject(f.Resources[0]) ? f.Resources[0] : {};
      what.push(
        fact(`${i + 1}. ${scalarText(path(f, "Severity", "Label")) ?? "?"}`, scalarText(f.Title) ?? "untitled"),
        fact(`${i + 1}. resource`, `${scalarText(resource.Type) ?? "?"} ${scalarText(resource.Id) ?? "?"}`),
      );
      const control = scalarText(path(f, "Compliance", "SecurityControlId")) ?? scalarText(path(f, "ProductFields", "ControlId"));
      if (control !== undefined) what.push(fact(`${i + 1}. control`, control));
    });
    if (findings.length > SECURITY_HUB_MAX_FINDINGS)
      what.push(fact("More", `${findings.length - SECURITY_HUB_MAX_FINDINGS} further finding(s) in Security Hub`));
    reference = scalarText(first.Id);
    when = nonEmptyString(first.UpdatedAt) ?? nonEmptyString(event.time);
    if (region !== undefined && isRegionCode(region)) url = `https://${region}.console.aws.amazon.com/securityhub/home?region=${region}#/findings`;
  } else if (detailType === "Inspector2 Finding") {
    severity = severityOf(detail.severity);
    title = scalarText(detail.title) ?? "Inspector finding";
    const resource = Array.isArray(detail.resources) && isObject(detail.resources[0]) ? detail.resources[0] : {};
    what = [
      fact("Source", "Amazon Inspector"),
      fact("Severity", scalarText(detail.severity) ?? "not recorded"),
      fact("Title", title),
      fact("Status", scalarText(detail.status) ?? "not recorded"),
      fact("Resource", `${scalarText(resource.type) ?? "?"} ${scalarText(resource.id) ?? "?"}`),
    ];
    reference = scalarText(detail.findingArn);
    when = nonEmptyString(detail.updatedAt) ?? nonEmptyString(event.time);
  } else {
    // Access Analyzer: a resource shared outside the zone of trust (the account).
    severity = detail.isPublic === true ? "critical" : "high";
    title = `${scalarText(detail.resourceType) ?? "resource"} shared outside the account${detail.isPublic === true ? " (public)" : ""}`;
    what = [
      fact("Source", "IAM Access Analyzer"),
      fact("Resource", `${scalarText(detail.resourceType) ?? "?"} ${scalarText(detail.resource) ?? "?"}`),
      fact("Status", scalarText(detail.status) ?? "not recorded"),
      fact("Public", detail.isPublic === true ? "yes" : "no"),
      fact("Principal", isObject(detail.principal) ? safeJsonStringify(detail.principal) : (scalarText(detail.principal) ?? "not recorded")),
      fact("Actions", Array.isArray(detail.action) ? detail.action.map(String).join(", ") : "not recorded"),
    ];
    reference = scalarText(detail.id);
    when = nonEmptyString(detail.analyzedAt) ?? nonEmptyString(event.time);
  }
  return {
    kind: "security-finding",
    severity,
    headline: `Finding ${severity.toUpperCase()}: ${title}`,
    sections: [
      { title: "What", facts: what },
      { title: "When", facts: whenFacts(describeInstant(when)) },
      { title: "Where", facts: where },
    ],
    links: url === undefined ? [] : [{ label: "Open the finding", url }],
    reference,
  };
}

const RANK: Readonly<Record<Severity, number>> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
