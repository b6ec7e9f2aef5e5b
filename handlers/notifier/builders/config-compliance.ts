/** AWS Config compliance changes of the estate's rules (E10). */
import type { Notification, NotificationFact, Severity } from "../notification";
import { describeInstant, fact, isObject, isRegionCode, nonEmptyString, path, scalarText, whenFacts, type JsonObject } from "../text";

export function isConfigComplianceChange(parsed: JsonObject): boolean {
  return parsed["detail-type"] === "Config Rules Compliance Change" && isObject(parsed.detail) && nonEmptyString(parsed.detail.configRuleName) !== undefined;
}

export function configComplianceNotification(detail: JsonObject, envelope: JsonObject): Notification {
  const rule = nonEmptyString(detail.configRuleName) ?? "unknown rule";
  const resourceType = nonEmptyString(detail.resourceType) ?? "unknown type";
  const resourceId = nonEmptyString(detail.resourceId) ?? "unknown resource";
  const compliance = nonEmptyString(path(detail, "newEvaluationResult", "complianceType")) ?? "UNKNOWN";
  const previous = nonEmptyString(path(detail, "oldEvaluationResult", "complianceType"));
  const annotation = scalarText(path(detail, "newEvaluationResult", "annotation"));
  const region = nonEmptyString(detail.awsRegion) ?? nonEmptyString(envelope.region);
  const account = nonEmptyString(detail.awsAccountId) ?? nonEmptyString(envelope.account);
  const severity: Severity = compliance === "NON_COMPLIANT" ? "high" : compliance === "COMPLIANT" ? "info" : "low";

  const what: NotificationFact[] = [
    fact("Config rule", rule),
    fact("Resource", `${resourceType} ${resourceId}`),
    fact("Compliance", previous === undefined ? compliance : `${previous} -> ${compliance}`),
  ];
  if (annotation !== undefined) what.push(fact("Annotation", annotation));
  const where: NotificationFact[] = [fact("Region", region ?? "not recorded")];
  if (account !== undefined) where.push(fact("Account", account));

  const instant = describeInstant(nonEmptyString(path(detail, "newEvaluationResult", "resultRecordedTime")) ?? nonEmptyString(envelope.time));
  const url =
    region !== undefined && isRegionCode(region)
      ? `https://${region}.console.aws.amazon.com/config/home?region=${region}#/rules/details?configRuleName=${encodeURIComponent(rule)}`
      : undefined;

  return {
    kind: "config-compliance",
    severity,
    headline: `Config ${compliance}: ${rule} - ${resourceType} ${resourceId}`,
    sections: [
      { title: "What", facts: what },
      { title: "When", facts: whenFacts(instant) },
      { title: "Where", facts: where },
    ],
    links: url === undefined ? [] : [{ label: "Open rule in AWS Config", url }],
    reference: `${rule}/${resourceId}`,
  };
}
