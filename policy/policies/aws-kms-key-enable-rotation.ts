// M4: customer managed keys rotate their key material yearly (or as configured).
import { ResourceValidation, ResourceValidationPolicy } from "@pulumi/policy";
import { documented, LOG_PROTECTION } from "../lib/metadata";
import { onlyType, KMS_KEY } from "../lib/types";
import { isUnknown, plain, Undetermined } from "../lib/values";

export const kmsKeyRotation = documented<ResourceValidationPolicy>(
  {
    name: "aws-kms-key-enable-rotation",
    description: "Symmetric encryption KMS keys must have automatic key rotation enabled (M4).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Set `enableKeyRotation: true` on the aws.kms.Key.",
    validateResource: onlyType<ResourceValidation>(KMS_KEY, (args, reportViolation) => {
      if (args.type !== KMS_KEY) return;
      const p = plain(args.props);
      // KMS rotates only symmetric encryption keys; asymmetric and HMAC keys cannot rotate.
      const spec = p.customerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
      const usage = p.keyUsage ?? "ENCRYPT_DECRYPT";
      if ((typeof spec === "string" && spec !== "SYMMETRIC_DEFAULT") || (typeof usage === "string" && usage !== "ENCRYPT_DECRYPT")) return;
      if (isUnknown(p.enableKeyRotation)) {
        const u = new Undetermined();
        u.add("enableKeyRotation");
        u.raiseIfAny();
      }
      if (p.enableKeyRotation !== true) reportViolation(`KMS key "${args.name}" does not rotate: set enableKeyRotation: true.`);
    }),
  },
  { requirements: ["M4"], controls: LOG_PROTECTION },
);
