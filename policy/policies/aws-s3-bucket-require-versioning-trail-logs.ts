// E4: trail log buckets are versioned (Object Lock needs it; an overwrite keeps the old version).
import { StackValidationPolicy } from "@pulumi/policy";
import { documented, LOG_PROTECTION } from "../lib/metadata";
import { linkGaps } from "../lib/reporting";
import { stackModelOf } from "../lib/stack-model";
import { VERSIONING } from "../lib/types";
import { isUnknown, Undetermined } from "../lib/values";

export const trailLogBucketVersioning = documented<StackValidationPolicy>(
  {
    name: "aws-s3-bucket-require-versioning-trail-logs",
    description: "Buckets that receive CloudTrail logs should have versioning enabled (E4).",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps: 'Add an aws.s3.BucketVersioning with `versioningConfiguration.status: "Enabled"`.',
    validateStack: (args, reportViolation) => {
      const m = stackModelOf(args.resources, args.stackTags);
      const u = new Undetermined();
      for (const b of m.trailLogBuckets()) {
        // S3 enables versioning with Object Lock and never lets it be suspended.
        if (b.objectLockEnabled === true) continue;
        const statuses = b.versioningStatuses;
        if (statuses.some((s) => isUnknown(s.status))) u.add(`versioning of ${b.label}`);
        else if (!statuses.some((s) => s.status === "Enabled") && !linkGaps(m, VERSIONING, u)) {
          reportViolation(`Trail log bucket "${b.label}" is not versioned.`, b.resource.urn);
        }
      }
      u.raiseIfAny();
    },
  },
  { requirements: ["E4"], controls: LOG_PROTECTION },
);
