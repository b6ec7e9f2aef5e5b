// M5: trail logs are kept at least 365 days: Object Lock default retention >= 365 days (or >= 1
// year), and no lifecycle rule expires current or noncurrent versions earlier.
import { StackValidationPolicy } from "@pulumi/policy";
import { documented, LOG_RETENTION } from "../lib/metadata";
import { linkGaps, trailLogBucketsOrUndetermined } from "../lib/reporting";
import { buildStackModel } from "../lib/stackModel";
import { LIFECYCLE } from "../lib/types";
import { isUnknown, Undetermined } from "../lib/values";

export const MIN_RETENTION_DAYS = 365;

export const trailLogRetention = documented<StackValidationPolicy>(
  {
    name: "aws-s3-bucket-require-retention-365-days",
    description: "Trail log buckets must lock objects for at least 365 days and must not expire any version earlier (M5).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Set the Object Lock default retention to `days: 365` (or more, or `years: 1`) and remove lifecycle expirations of current " +
      "or noncurrent versions shorter than 365 days; transition to colder storage classes instead.",
    validateStack: (args, reportViolation) => {
      const m = buildStackModel(args.resources);
      const u = new Undetermined();
      for (const b of trailLogBucketsOrUndetermined(m, u)) {
        const urn = b.resource.urn;
        for (const r of b.lockRetentions) {
          if (isUnknown(r.days) || isUnknown(r.years)) {
            u.add(`retention of ${b.label} (${r.source})`);
            continue;
          }
          // Provider state zero-fills the unset one of days/years: 0 is "not set", not "0 days".
          const days = r.days !== undefined && r.days > 0 ? r.days : (r.years ?? 0) * 365;
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
            reportViolation(`Trail log bucket "${b.label}" lifecycle rule ${id} expires current versions after ${rule.expirationDays} days (< ${MIN_RETENTION_DAYS}).`, urn);
          }
          if (rule.expirationDate !== undefined) {
            reportViolation(`Trail log bucket "${b.label}" lifecycle rule ${id} expires objects on a fixed date (${rule.expirationDate}), whatever their age.`, urn);
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
