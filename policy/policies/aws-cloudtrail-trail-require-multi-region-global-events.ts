// E1: one trail sees every region and the global services (IAM, STS, CloudFront).
import { ResourceValidation, ResourceValidationPolicy } from "@pulumi/policy";
import { documented, LOG_COVERAGE } from "../lib/metadata";
import { onlyType, TRAIL } from "../lib/types";
import { isUnknown, plain } from "../lib/values";

export const trailMultiRegion = documented<ResourceValidationPolicy>(
  {
    name: "aws-cloudtrail-trail-require-multi-region-global-events",
    description: "CloudTrail trails should be multi-region and include global service events (E1).",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps: "Set `isMultiRegionTrail: true` and leave `includeGlobalServiceEvents` true.",
    validateResource: onlyType<ResourceValidation>(TRAIL, (args, reportViolation) => {
      if (args.type !== TRAIL) return;
      const p = plain(args.props);
      if (p.isMultiRegionTrail !== true && !isUnknown(p.isMultiRegionTrail)) reportViolation(`Trail "${args.name}" records one region only.`);
      if (p.includeGlobalServiceEvents === false) reportViolation(`Trail "${args.name}" excludes global service events (IAM, STS).`);
    }),
  },
  { requirements: ["E1"], controls: LOG_COVERAGE },
);
