// M2-M5 can only be judged on a bucket the program declares: a trail that writes into a bucket of
// another stack (a log-archive account's, E15) gets no verdict here, and says so instead of
// passing silently.
import { StackValidation, StackValidationPolicy } from "@pulumi/policy";
import { documented, LOG_PROTECTION } from "../lib/metadata";
import { stackModelOf } from "../lib/stack-model";
import { onlyType, TRAIL } from "../lib/types";

export const trailBucketInStack = documented<StackValidationPolicy>(
  {
    name: "aws-cloudtrail-trail-require-log-bucket-in-stack",
    description: "A trail whose log bucket is not declared in this stack is reported: the MUST bucket checks (M2-M5) cannot judge it here.",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps:
      "Run this pack on the stack that declares the bucket (for an organisation trail, the log-archive account's stack), or declare the bucket here.",
    // Only stacks with a trail: the SDK skips the policy (and its per-policy deserialisation) elsewhere.
    validateStack: onlyType<StackValidation>(TRAIL, (args, reportViolation) => {
      const m = stackModelOf(args.resources, args.stackTags);
      for (const { trail, bucketName } of m.externalTrailBuckets) {
        reportViolation(
          `Trail "${trail.resource.name}" writes into bucket "${bucketName}", which is not in this program: Object Lock, SSE-KMS and retention (M2-M5) are not checked here; check the bucket in its own stack.`,
          trail.resource.urn,
        );
      }
    }),
  },
  { requirements: ["M2", "M4", "M5", "E15"], controls: LOG_PROTECTION },
);
