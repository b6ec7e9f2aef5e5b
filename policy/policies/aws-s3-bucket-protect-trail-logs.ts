// Issue 2/3: evidence survives a `pulumi destroy` or a refactor: trail log buckets are never
// force-destroyed, and they and the trails' keys carry the `protect` resource option.
import { StackValidationPolicy } from "@pulumi/policy";
import { documented, LOG_PROTECTION } from "../lib/metadata";
import { stackModelOf } from "../lib/stack-model";
import { KMS_KEY } from "../lib/types";

export const protectEvidence = documented<StackValidationPolicy>(
  {
    name: "aws-s3-bucket-protect-trail-logs",
    description: "Trail log buckets must not set forceDestroy, and they and the trails' KMS keys should be protected (`protect: true`).",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps: "Remove `forceDestroy`, and add `{ protect: true, retainOnDelete: true }` to the bucket's and key's resource options.",
    validateStack: (args, reportViolation) => {
      const m = stackModelOf(args.resources, args.stackTags);
      for (const b of m.trailLogBuckets()) {
        if (b.props.forceDestroy === true) reportViolation(`Trail log bucket "${b.label}" sets forceDestroy: a destroy would empty it.`, b.resource.urn);
        if (b.resource.opts?.protect !== true) reportViolation(`Trail log bucket "${b.label}" is not protected (protect: true).`, b.resource.urn);
      }
      for (const trail of m.trails) {
        for (const key of trail.resource.propertyDependencies?.kmsKeyId ?? []) {
          if (key.type === KMS_KEY && key.opts?.protect !== true)
            reportViolation(`KMS key "${key.name}" of trail "${trail.resource.name}" is not protected (protect: true).`, key.urn);
        }
      }
    },
  },
  { requirements: ["E4", "M4"], controls: LOG_PROTECTION },
);
