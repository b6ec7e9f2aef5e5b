// M1: every trail signs hourly digests, so any change to a delivered log file can be proven.
import { ResourceValidation, ResourceValidationPolicy } from "@pulumi/policy";
import { documented, LOG_INTEGRITY } from "../lib/metadata";
import { onlyType, TRAIL } from "../lib/types";
import { isUnknown, plain, Undetermined } from "../lib/values";

export const trailLogFileValidation = documented<ResourceValidationPolicy>(
  {
    name: "aws-cloudtrail-trail-enable-log-file-validation",
    description: "CloudTrail trails must have log file integrity validation enabled (M1).",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps: "Set `enableLogFileValidation: true` on the aws.cloudtrail.Trail.",
    validateResource: onlyType<ResourceValidation>(TRAIL, (args, reportViolation) => {
      if (args.type !== TRAIL) return;
      const value = plain(args.props).enableLogFileValidation;
      if (isUnknown(value)) {
        const u = new Undetermined();
        u.add("enableLogFileValidation");
        u.raiseIfAny();
      }
      if (value !== true) {
        reportViolation(
          `Trail "${args.name}" has log file validation ${value === false ? "disabled" : "unset (off by default)"}: digests are not signed, integrity cannot be proven.`,
        );
      }
    }),
  },
  { requirements: ["M1"], controls: LOG_INTEGRITY },
);
