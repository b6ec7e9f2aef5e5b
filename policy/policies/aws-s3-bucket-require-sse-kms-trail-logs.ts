// M4: trail log buckets encrypt by default with SSE-KMS and a customer managed key, bucket key on.
// Access-log target buckets are exempt (S3 server access logging accepts SSE-S3 only) and are
// recognised by the logging configurations that point at them.
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { documented, LOG_PROTECTION } from "../lib/metadata";
import { linkGaps, trailLogBucketsOrUndetermined } from "../lib/reporting";
import { stackModelOf } from "../lib/stack-model";
import { ofTypes, recordingTrailGuard } from "../lib/trail-guard";
import { ENCRYPTION } from "../lib/types";
import { asArray, isUnknown, show, Undetermined } from "../lib/values";

const KMS_ALGORITHMS = ["aws:kms", "aws:kms:dsse"];

const isAwsManagedKey = (key: unknown) => key === undefined || key === "" || (typeof key === "string" && /(^|[:/])alias\/aws\/s3$/.test(key));

export const trailLogBucketSseKms = documented<StackValidationPolicy & Pick<ResourceValidationPolicy, "validateResource">>(
  {
    name: "aws-s3-bucket-require-sse-kms-trail-logs",
    description: "Buckets that receive CloudTrail logs must use SSE-KMS (aws:kms or aws:kms:dsse) with a customer managed key and the S3 bucket key (M4).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      'Add an aws.s3.BucketServerSideEncryptionConfiguration with `sseAlgorithm: "aws:kms"`, `kmsMasterKeyId` set to a customer ' +
      "managed aws.kms.Key, and `bucketKeyEnabled: true`. Deliver S3 server access logs to a separate SSE-S3 bucket.",
    // Before the trail is created: an encryption default already seen that is not SSE-KMS.
    validateResource: recordingTrailGuard((_args, t, report) => {
      const inline = t.bucket.props.serverSideEncryptionConfiguration;
      const rules = [
        ...(inline && !isUnknown(inline) ? [{ rule: inline.rule, source: `inline on ${t.bucket.name}` }] : []),
        ...t.configs.filter((c) => ofTypes(ENCRYPTION, c)).flatMap((c) => asArray(c.props.rules).map((rule) => ({ rule, source: c.name }))),
      ];
      for (const { rule, source } of rules) {
        const d = rule && !isUnknown(rule) ? rule.applyServerSideEncryptionByDefault : undefined;
        if (!d || isUnknown(d) || isUnknown(d.sseAlgorithm)) continue;
        if (!KMS_ALGORITHMS.includes(d.sseAlgorithm)) report(`it encrypts with ${show(d.sseAlgorithm)} (${source}); SSE-KMS is required.`);
        else if (!isUnknown(d.kmsMasterKeyId) && isAwsManagedKey(d.kmsMasterKeyId)) report(`it uses the AWS managed key aws/s3 (${source}).`);
      }
    }),
    validateStack: (args, reportViolation) => {
      const m = stackModelOf(args.resources, args.stackTags);
      const u = new Undetermined();
      for (const b of trailLogBucketsOrUndetermined(m, u)) {
        const urn = b.resource.urn;
        if (b.accessLogSources.length > 0) {
          reportViolation(
            `Bucket "${b.label}" receives both trail logs and S3 server access logs: access logs need SSE-S3 and no Object Lock; use a separate access-log bucket.`,
            urn,
          );
        }
        if (b.encryptions.length === 0) {
          if (b.inlineUnknown.encryption) u.add(`serverSideEncryptionConfiguration of ${b.label}`);
          else if (!linkGaps(m, ENCRYPTION, u))
            reportViolation(`Trail log bucket "${b.label}" has no default encryption configuration (SSE-KMS required).`, urn);
          continue;
        }
        for (const e of b.encryptions) {
          if (isUnknown(e.sseAlgorithm)) {
            u.add(`sseAlgorithm of ${b.label} (${e.source})`);
            continue;
          }
          if (!KMS_ALGORITHMS.includes(e.sseAlgorithm ?? "")) {
            reportViolation(
              `Trail log bucket "${b.label}" encrypts with ${e.sseAlgorithm ?? "nothing"} (${e.source}); SSE-KMS (aws:kms or aws:kms:dsse) is required.`,
              urn,
            );
            continue;
          }
          if (!isUnknown(e.kmsMasterKeyId) && isAwsManagedKey(e.kmsMasterKeyId)) {
            reportViolation(`Trail log bucket "${b.label}" uses the AWS managed key aws/s3 (${e.source}); a customer managed key is required.`, urn);
          }
          // S3 Bucket Keys do not apply to DSSE-KMS (S3 docs), so only aws:kms must turn it on.
          if (e.sseAlgorithm === "aws:kms") {
            if (isUnknown(e.bucketKeyEnabled)) u.add(`bucketKeyEnabled of ${b.label} (${e.source})`);
            else if (e.bucketKeyEnabled !== true) reportViolation(`Trail log bucket "${b.label}" has the S3 bucket key off (${e.source}).`, urn);
          }
        }
      }
      u.raiseIfAny();
    },
  },
  { requirements: ["M4", "E4"], controls: LOG_PROTECTION },
);
