// M5: trail logs are kept at least 365 days: Object Lock default retention >= 365 days (or >= 1
// year), and no lifecycle rule expires current or noncurrent versions earlier.
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { documented, LOG_RETENTION } from "../lib/metadata";
import { linkGaps, trailLogBucketsOrUndetermined } from "../lib/reporting";
import { stackModelOf } from "../lib/stack-model";
import { ofTypes, recordingTrailGuard, seenRetentions } from "../lib/trail-guard";
import { LIFECYCLE, OBJECT_LOCK } from "../lib/types";
import { asArray, isUnknown, show, Undetermined } from "../lib/values";
import { objectLockOn } from "./aws-s3-bucket-require-object-lock-compliance";

export const MIN_RETENTION_DAYS = 365;

/** Days a retention keeps objects: provider state zero-fills the unset one of days/years. */
function retentionDays(days: unknown, years: unknown): number {
  return typeof days === "number" && days > 0 ? days : (typeof years === "number" ? years : 0) * 365;
}
const num = (v: unknown) => (typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : undefined);

export const trailLogRetention = documented<StackValidationPolicy & Pick<ResourceValidationPolicy, "validateResource">>(
  {
    name: "aws-s3-bucket-require-retention-365-days",
    description: "Trail log buckets must lock objects for at least 365 days and must not expire any version earlier (M5).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Set the Object Lock default retention to `days: 365` (or more, or `years: 1`) and remove lifecycle expirations of current " +
      "or noncurrent versions shorter than 365 days; transition to colder storage classes instead.",
    // Before the trail is created: a retention or an expiration already seen that is too short.
    validateResource: recordingTrailGuard((_args, t, report) => {
      for (const r of seenRetentions(t)) {
        const d = num(r.days),
          y = num(r.years);
        if ((d !== undefined || y !== undefined) && retentionDays(d, y) < MIN_RETENTION_DAYS)
          report(`it locks objects for ${d ? `${d} day(s)` : `${y ?? 0} year(s)`} (${r.source}); at least ${MIN_RETENTION_DAYS} days are required.`);
      }
      const rules = [
        ...asArray(t.bucket.props.lifecycleRules).map((rule) => ({ rule, source: `inline on ${t.bucket.name}`, enabled: rule?.enabled !== false })),
        ...t.configs
          .filter((c) => ofTypes(LIFECYCLE, c))
          .flatMap((c) => asArray(c.props.rules).map((rule) => ({ rule, source: c.name, enabled: rule?.status !== "Disabled" }))),
      ];
      for (const { rule, source, enabled } of rules) {
        if (!rule || isUnknown(rule) || !enabled) continue;
        const exp = num((rule.expiration ?? asArray(rule.expirations)[0])?.days);
        const nexp = num(
          (rule.noncurrentVersionExpiration ?? asArray(rule.noncurrentVersionExpirations)[0])?.noncurrentDays ??
            (rule.noncurrentVersionExpiration ?? asArray(rule.noncurrentVersionExpirations)[0])?.days,
        );
        if (exp !== undefined && exp < MIN_RETENTION_DAYS) report(`lifecycle rule ${show(rule.id)} (${source}) expires current versions after ${exp} days.`);
        if (nexp !== undefined && nexp < MIN_RETENTION_DAYS)
          report(`lifecycle rule ${show(rule.id)} (${source}) expires noncurrent versions after ${nexp} days.`);
      }
    }),
    validateStack: (args, reportViolation) => {
      const m = stackModelOf(args.resources, args.stackTags);
      const u = new Undetermined();
      for (const b of trailLogBucketsOrUndetermined(m, u)) {
        const urn = b.resource.urn;
        // No retention at all keeps nothing: M2 reports the missing lock, M5 the missing 365 days.
        if (b.lockRetentions.length === 0 && !b.inlineUnknown.objectLock && !linkGaps(m, OBJECT_LOCK, u)) {
          const on = objectLockOn(b, new Undetermined());
          reportViolation(
            `Trail log bucket "${b.label}" ${on === false ? "has no Object Lock" : "has no Object Lock default retention"}: nothing keeps its log files ${MIN_RETENTION_DAYS} days.`,
            urn,
          );
        }
        for (const r of b.lockRetentions) {
          if (isUnknown(r.days) || isUnknown(r.years)) {
            u.add(`retention of ${b.label} (${r.source})`);
            continue;
          }
          // Provider state zero-fills the unset one of days/years: 0 is "not set", not "0 days".
          const days = retentionDays(r.days, r.years);
          if (days < MIN_RETENTION_DAYS) {
            const what = r.days !== undefined && r.days > 0 ? `${r.days} day(s)` : r.years ? `${r.years} year(s)` : "no period";
            reportViolation(`Trail log bucket "${b.label}" locks objects for ${what} (${r.source}); at least ${MIN_RETENTION_DAYS} days are required.`, urn);
          }
        }
        // A lifecycle that cannot be seen may expire logs early: never a silent pass.
        if (b.inlineUnknown.lifecycle && b.splitLifecycles === 0) u.add(`lifecycleRules of ${b.label}`);
        if (b.splitLifecycles === 0) linkGaps(m, LIFECYCLE, u);
        for (const rule of b.lifecycleRules) {
          if (rule.enabled === false) continue;
          const id = typeof rule.id === "string" ? rule.id : "(unnamed)";
          if (isUnknown(rule.expirationDays) || isUnknown(rule.noncurrentExpirationDays) || isUnknown(rule.expirationDate)) {
            u.add(`lifecycle rule ${id} of ${b.label}`);
            continue;
          }
          if (rule.expirationDays !== undefined && rule.expirationDays < MIN_RETENTION_DAYS) {
            reportViolation(
              `Trail log bucket "${b.label}" lifecycle rule ${id} expires current versions after ${rule.expirationDays} days (< ${MIN_RETENTION_DAYS}).`,
              urn,
            );
          }
          if (rule.expirationDate !== undefined) {
            reportViolation(
              `Trail log bucket "${b.label}" lifecycle rule ${id} expires objects on a fixed date (${show(rule.expirationDate)}), whatever their age.`,
              urn,
            );
          }
          if (rule.noncurrentExpirationDays !== undefined && rule.noncurrentExpirationDays < MIN_RETENTION_DAYS) {
            reportViolation(
              `Trail log bucket "${b.label}" lifecycle rule ${id} expires noncurrent versions after ${rule.noncurrentExpirationDays} days (< ${MIN_RETENTION_DAYS}).`,
              urn,
            );
          }
        }
      }
      u.raiseIfAny();
    },
  },
  { requirements: ["M5", "E4"], controls: LOG_RETENTION },
);
