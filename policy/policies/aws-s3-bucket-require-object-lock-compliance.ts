// M2: the bucket that receives a trail's logs has Object Lock on, with a default retention in
// COMPLIANCE mode: nobody, root included, can shorten it or delete a locked version. Object Lock
// is on when the bucket was created with `objectLockEnabled: true`, or when a lock configuration
// (ObjectLockEnabled "Enabled", the default) is put on the versioned bucket: S3 allows that on
// existing buckets since November 2023 (S3 user guide, "Enable Object Lock on an existing bucket",
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html).
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { documented, LOG_PROTECTION } from "../lib/metadata";
import { linkGaps, trailLogBucketsOrUndetermined } from "../lib/reporting";
import { BucketModel, stackModelOf } from "../lib/stack-model";
import { recordingTrailGuard, seenRetentions } from "../lib/trail-guard";
import { OBJECT_LOCK } from "../lib/types";
import { isUnknown, show, Undetermined } from "../lib/values";

/** true / false / UNKNOWN: whether Object Lock ends up on, from the bucket and its configurations. */
export function objectLockOn(b: BucketModel, u: Undetermined): boolean | undefined {
  if (b.objectLockEnabled === true) return true;
  const enabling = b.lockConfigurations.filter((c) => c.enabled === "Enabled");
  if (enabling.length > 0) {
    const statuses = b.versioningStatuses.map((s) => s.status);
    if (statuses.includes("Enabled")) return true;
    if (statuses.some(isUnknown)) {
      u.add(`versioning of ${b.label} (its lock configuration enables Object Lock only on a versioned bucket)`);
      return undefined;
    }
    return false;
  }
  if (b.lockConfigurations.some((c) => isUnknown(c.enabled))) {
    u.add(`objectLockEnabled of ${b.lockConfigurations.map((c) => c.source).join(", ")}`);
    return undefined;
  }
  if (isUnknown(b.objectLockEnabled)) {
    u.add(`objectLockEnabled of ${b.label}`);
    return undefined;
  }
  return false;
}

export const objectLockCompliance = documented<StackValidationPolicy & Pick<ResourceValidationPolicy, "validateResource">>(
  {
    name: "aws-s3-bucket-require-object-lock-compliance",
    description: "Buckets that receive CloudTrail logs must have Object Lock enabled with default retention mode COMPLIANCE (M2).",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
      "Create the log bucket with `objectLockEnabled: true`, or version it (aws.s3.BucketVersioning, status Enabled) and let its " +
      "aws.s3.BucketObjectLockConfiguration enable Object Lock (S3 allows that on an existing versioned bucket since 2023); set " +
      '`rule.defaultRetention.mode: "COMPLIANCE"`. Once on, Object Lock cannot be turned off.',
    // Before the trail is created (pulumi up stops here): a retention mode other than COMPLIANCE.
    validateResource: recordingTrailGuard((_args, t, report) => {
      for (const r of seenRetentions(t)) {
        if (typeof r.mode === "string" && r.mode !== "COMPLIANCE") report(`default retention mode ${r.mode} (${r.source}); COMPLIANCE is required.`);
      }
    }),
    validateStack: (args, reportViolation) => {
      const m = stackModelOf(args.resources, args.stackTags);
      const u = new Undetermined();
      for (const b of trailLogBucketsOrUndetermined(m, u)) {
        const on = objectLockOn(b, u);
        if (on === false) {
          const enabling = b.lockConfigurations.filter((c) => c.enabled === "Enabled");
          reportViolation(
            enabling.length > 0
              ? `Trail log bucket "${b.label}" is not versioned, so its lock configuration (${enabling.map((c) => c.source).join(", ")}) cannot enable Object Lock.`
              : `Trail log bucket "${b.label}" has no Object Lock: neither objectLockEnabled: true nor a lock configuration on the versioned bucket.`,
            b.resource.urn,
          );
        }
        if (b.lockRetentions.length === 0) {
          if (b.inlineUnknown.objectLock) u.add(`objectLockConfiguration of ${b.label}`);
          else if (!linkGaps(m, OBJECT_LOCK, u)) reportViolation(`Trail log bucket "${b.label}" has no Object Lock default retention.`, b.resource.urn);
        }
        for (const r of b.lockRetentions) {
          if (isUnknown(r.mode)) u.add(`retention mode of ${b.label} (${r.source})`);
          else if (r.mode !== "COMPLIANCE") {
            reportViolation(`Trail log bucket "${b.label}" has default retention mode ${show(r.mode)} (${r.source}); COMPLIANCE is required.`, b.resource.urn);
          }
        }
      }
      u.raiseIfAny();
    },
  },
  { requirements: ["M2", "E4"], controls: LOG_PROTECTION },
);
