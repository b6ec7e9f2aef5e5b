// E6 (CIS AWS Foundations 3.6, "Ensure S3 bucket access logging is enabled on the CloudTrail S3
// bucket"): every trail log bucket delivers S3 server access logs to a separate bucket. Not
// demanded of the access-log target itself (it would log into itself or need yet another bucket),
// and the target cannot be the log bucket: S3 cannot deliver access logs into a bucket with Object
// Lock default retention (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
import { StackValidationPolicy } from "@pulumi/policy";
import { documented, LOG_PROTECTION } from "../lib/metadata";
import { linkGaps, trailLogBucketsOrUndetermined } from "../lib/reporting";
import { stackModelOf } from "../lib/stack-model";
import { LOGGING } from "../lib/types";
import { isUnknown, Undetermined } from "../lib/values";

export const trailLogBucketAccessLogging = documented<StackValidationPolicy>(
  {
    name: "aws-s3-bucket-require-access-logging-trail-logs",
    description: "Buckets that receive CloudTrail logs should deliver S3 server access logs to a separate access-log bucket (E6, CIS 3.6).",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps:
      "Add an aws.s3.BucketLogging with `bucket` the trail log bucket and `targetBucket` a separate SSE-S3 access-log bucket without Object Lock.",
    validateStack: (args, reportViolation) => {
      const m = stackModelOf(args.resources, args.stackTags);
      const u = new Undetermined();
      for (const b of trailLogBucketsOrUndetermined(m, new Undetermined())) {
        // An access-log target that also receives trail logs is the SSE policy's finding.
        if (b.accessLogSources.length > 0) continue;
        if (b.accessLogTargets.length === 0) {
          if (b.inlineUnknown.logging) u.add(`logging of ${b.label}`);
          else if (!linkGaps(m, LOGGING, u)) reportViolation(`Trail log bucket "${b.label}" has no server access logging (E6, CIS 3.6).`, b.resource.urn);
          continue;
        }
        for (const t of b.accessLogTargets) {
          if (isUnknown(t.target)) u.add(`targetBucket of ${t.source}`);
          else if (t.target === b || t.target === b.bucketName) {
            reportViolation(
              `Trail log bucket "${b.label}" delivers its access logs into itself (${t.source}); use a separate access-log bucket.`,
              b.resource.urn,
            );
          }
        }
      }
      u.raiseIfAny();
    },
  },
  { requirements: ["E6"], controls: LOG_PROTECTION },
);
