// M3: every bucket, not only the estate's, blocks public access with all four flags.
import { StackValidationPolicy } from "@pulumi/policy";
import { documented, LOG_PROTECTION } from "../lib/metadata";
import { linkGaps } from "../lib/reporting";
import { buildStackModel, PUBLIC_ACCESS_FLAGS, PublicAccessBlock } from "../lib/stackModel";
import { PUBLIC_ACCESS_BLOCK } from "../lib/types";
import { isUnknown, Undetermined } from "../lib/values";

function offFlags(block: PublicAccessBlock, u: Undetermined): string[] {
  const off: string[] = [];
  for (const f of PUBLIC_ACCESS_FLAGS) {
    const v = block.flags[f];
    if (isUnknown(v)) u.add(`${f} of ${block.source}`);
    else if (v !== true) off.push(f);
  }
  return off;
}

export const publicAccessBlock = documented<StackValidationPolicy>(
  {
    name: "aws-s3-bucket-require-public-access-block",
    description: "Every S3 bucket must have a public access block with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true (M3).",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps: "Add an aws.s3.BucketPublicAccessBlock for the bucket with all four flags set to true.",
    validateStack: (args, reportViolation) => {
      const m = buildStackModel(args.resources);
      const u = new Undetermined();
      // An account-level block with all four flags covers every bucket of the account.
      const accountWide = m.accountPublicAccessBlocks.some((b) => offFlags(b, new Undetermined()).length === 0 && !PUBLIC_ACCESS_FLAGS.some((f) => isUnknown(b.flags[f])));
      for (const b of m.buckets) {
        if (b.publicAccessBlocks.length === 0) {
          if (!accountWide && !linkGaps(m, [PUBLIC_ACCESS_BLOCK], u)) {
            reportViolation(`Bucket "${b.label}" has no public access block.`, b.resource.urn);
          }
          continue;
        }
        for (const block of b.publicAccessBlocks) {
          const off = offFlags(block, u);
          if (off.length > 0) reportViolation(`Bucket "${b.label}" public access block ${block.source} leaves ${off.join(", ")} off.`, b.resource.urn);
        }
      }
      u.raiseIfAny();
    },
  },
  { requirements: ["M3"], controls: LOG_PROTECTION },
);
