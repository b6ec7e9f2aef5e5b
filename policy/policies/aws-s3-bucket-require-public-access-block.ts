// M3: every bucket, not only the estate's, blocks public access with all four flags.
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { documented, LOG_PROTECTION } from "../lib/metadata";
import { linkGaps } from "../lib/reporting";
import { PUBLIC_ACCESS_FLAGS, PublicAccessBlock, PublicAccessFlag, stackModelOf } from "../lib/stack-model";
import { seenAccountPublicAccessBlocks } from "../lib/inputs";
import { ofTypes, recordingTrailGuard } from "../lib/trail-guard";
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

export const publicAccessBlock = documented<StackValidationPolicy & Pick<ResourceValidationPolicy, "validateResource">>(
  {
    name: "aws-s3-bucket-require-public-access-block",
    description:
      "Every S3 bucket must have a public access block with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true (M3).",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps: "Add an aws.s3.BucketPublicAccessBlock for the bucket with all four flags set to true.",
    // Before the trail is created: a block already seen on its log bucket that leaves a flag off
    // (an unset flag is off), which no account-level block seen so far turns on. An account block
    // the trail does not depend on may be created after the trail: until then the flag is off.
    validateResource: recordingTrailGuard((_args, t, report) => {
      const accountOn = (f: PublicAccessFlag) => seenAccountPublicAccessBlocks().some((b) => b.props[f] === true);
      for (const c of t.configs.filter((s) => ofTypes([PUBLIC_ACCESS_BLOCK], s))) {
        const off = PUBLIC_ACCESS_FLAGS.filter((f) => c.props[f] !== true && c.props[f] !== "true" && !isUnknown(c.props[f]) && !accountOn(f));
        if (off.length > 0) report(`public access block ${c.name} leaves ${off.join(", ")} off, and no account-level block seen so far turns them on.`);
      }
    }),
    validateStack: (args, reportViolation) => {
      const m = stackModelOf(args.resources, args.stackTags);
      const u = new Undetermined();
      // S3 applies the most restrictive combination of the account-level and bucket-level settings
      // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html):
      // a flag the account block turns on is on for every bucket, whatever the bucket's block says.
      const account = (f: PublicAccessFlag) => m.accountPublicAccessBlocks.map((b) => b.flags[f]);
      const coveredByAccount = (f: PublicAccessFlag) => account(f).includes(true);
      const accountUnknown = (f: PublicAccessFlag) => account(f).some(isUnknown);
      if (PUBLIC_ACCESS_FLAGS.every(coveredByAccount)) return;
      for (const b of m.buckets) {
        const open = PUBLIC_ACCESS_FLAGS.filter((f) => !coveredByAccount(f));
        if (b.publicAccessBlocks.length === 0) {
          if (open.some(accountUnknown)) {
            u.add(`account public access block flags ${open.filter(accountUnknown).join(", ")}`);
          } else if (!linkGaps(m, [PUBLIC_ACCESS_BLOCK], u)) {
            const what =
              open.length === PUBLIC_ACCESS_FLAGS.length
                ? "has no public access block"
                : `has no public access block, and the account block leaves ${open.join(", ")} off`;
            reportViolation(`Bucket "${b.label}" ${what}.`, b.resource.urn);
          }
          continue;
        }
        for (const block of b.publicAccessBlocks) {
          const off = offFlags(block, u).filter((f) => open.includes(f as PublicAccessFlag));
          const undecided = off.filter((f) => accountUnknown(f as PublicAccessFlag));
          for (const f of undecided) u.add(`account public access block flag ${f}`);
          const definite = off.filter((f) => !undecided.includes(f));
          if (definite.length > 0)
            reportViolation(`Bucket "${b.label}" public access block ${block.source} leaves ${definite.join(", ")} off.`, b.resource.urn);
        }
      }
      u.raiseIfAny();
    },
  },
  { requirements: ["M3"], controls: LOG_PROTECTION },
);
