// M4: the trail encrypts its log files with a customer managed key (SSE-KMS by CloudTrail).
import { ResourceValidation, ResourceValidationPolicy } from "@pulumi/policy";
import { documented, LOG_PROTECTION } from "../lib/metadata";
import { onlyType, TRAIL } from "../lib/types";
import { isSet, plain } from "../lib/values";

export const trailKmsKey = documented<ResourceValidationPolicy>(
  {
    name: "aws-cloudtrail-trail-require-kms-key",
    description: "CloudTrail trails must encrypt log files with a customer managed KMS key (`kmsKeyId`) (M4).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Create an aws.kms.Key with rotation on, allow CloudTrail in its key policy, and set `kmsKeyId` on the trail.",
    validateResource: onlyType<ResourceValidation>(TRAIL, (args, reportViolation) => {
      if (args.type !== TRAIL) return;
      // An unknown id is the output of a key resource: it is set.
      if (!isSet(plain(args.props).kmsKeyId)) {
        reportViolation(`Trail "${args.name}" sets no kmsKeyId: its log files are only SSE-S3 encrypted.`);
      }
    }),
  },
  { requirements: ["M4"], controls: LOG_PROTECTION },
);
