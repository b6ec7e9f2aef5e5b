// M2: the bucket that receives a trail's logs has Object Lock, enabled at creation, with a default
// retention in COMPLIANCE mode: nobody, root included, can shorten it or delete a locked version.
import { StackValidationPolicy } from "@pulumi/policy";
import { documented, LOG_PROTECTION } from "../lib/metadata";
import { linkGaps, trailLogBucketsOrUndetermined } from "../lib/reporting";
import { buildStackModel } from "../lib/stackModel";
import { OBJECT_LOCK } from "../lib/types";
import { isUnknown, Undetermined } from "../lib/values";

export const objectLockCompliance = documented<StackValidationPolicy>(
  {
    name: "aws-s3-bucket-require-object-lock-compliance",
    description: "Buckets that receive CloudTrail logs must have Object Lock enabled at creation with default retention mode COMPLIANCE (M2).",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
      "Create the log bucket with `objectLockEnabled: true` (it cannot be turned on later without AWS Support) and add an " +
      "aws.s3.BucketObjectLockConfiguration with `rule.defaultRetention.mode: \"COMPLIANCE\"`.",
    validateStack: (args, reportViolation) => {
      const m = buildStackModel(args.resources);
      const u = new Undetermined();
      for (const b of trailLogBucketsOrUndetermined(m, u)) {
        if (isUnknown(b.objectLockEnabled)) u.add(`objectLockEnabled of ${b.label}`);
        else if (b.objectLockEnabled !== true) {
          reportViolation(`Trail log bucket "${b.label}" was not created with Object Lock enabled (objectLockEnabled: true).`, b.resource.urn);
        }
        if (b.lockRetentions.length === 0) {
          if (b.inlineUnknown.objectLock) u.add(`objectLockConfiguration of ${b.label}`);
          else if (!linkGaps(m, OBJECT_LOCK, u)) reportViolation(`Trail log bucket "${b.label}" has no Object Lock default retention.`, b.resource.urn);
        }
        for (const r of b.lockRetentions) {
          if (isUnknown(r.mode)) u.add(`retention mode of ${b.label} (${r.source})`);
          else if (r.mode !== "COMPLIANCE") {
            reportViolation(`Trail log bucket "${b.label}" has default retention mode ${r.mode ?? "unset"} (${r.source}); COMPLIANCE is required.`, b.resource.urn);
          }
        }
      }
      u.raiseIfAny();
    },
  },
  { requirements: ["M2", "E4"], controls: LOG_PROTECTION },
);
