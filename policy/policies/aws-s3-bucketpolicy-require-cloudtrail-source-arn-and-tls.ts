// E5: the log bucket's policy binds CloudTrail's writes to one trail (aws:SourceArn, the
// confused-deputy guard) and refuses requests without TLS.
import { StackValidationPolicy } from "@pulumi/policy";
import { documented, LOG_PROTECTION } from "../lib/metadata";
import { stackModelOf } from "../lib/stack-model";
import { asArray, isUnknown, PropValue, show, Undetermined } from "../lib/values";

function conditionHas(cond: unknown, key: string): boolean {
  return Object.values(cond && typeof cond === "object" ? cond : {}).some(
    (block: unknown) => block && typeof block === "object" && Object.keys(block).some((k) => k.toLowerCase() === key.toLowerCase()),
  );
}

export const logBucketPolicy = documented<StackValidationPolicy>(
  {
    name: "aws-s3-bucketpolicy-require-cloudtrail-source-arn-and-tls",
    description: "The trail log bucket policy should bind CloudTrail writes with aws:SourceArn and deny requests without TLS (E5).",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps:
      "In the log bucket's aws.s3.BucketPolicy, add a `StringEquals aws:SourceArn <trail ARN>` condition to the statements that allow " +
      "cloudtrail.amazonaws.com, and a Deny of s3:* when `aws:SecureTransport` is false.",
    validateStack: (args, reportViolation) => {
      const m = stackModelOf(args.resources, args.stackTags);
      const u = new Undetermined();
      for (const b of m.trailLogBuckets()) {
        const urn = b.resource.urn;
        if (b.policies.length === 0) {
          reportViolation(`Trail log bucket "${b.label}" has no bucket policy.`, urn);
          continue;
        }
        let tls = false;
        for (const p of b.policies) {
          if (isUnknown(p.json) || p.json === undefined) {
            if (isUnknown(p.json)) u.add(`policy of ${b.label} (${p.source})`);
            continue;
          }
          let doc: PropValue;
          try {
            doc = JSON.parse(p.json);
          } catch {
            reportViolation(`Bucket policy ${p.source} of "${b.label}" is not valid JSON.`, urn);
            continue;
          }
          for (const s of asArray(doc.Statement)) {
            const cloudTrail = asArray(s?.Principal?.Service).includes("cloudtrail.amazonaws.com");
            if (s?.Effect === "Allow" && cloudTrail && !conditionHas(s.Condition, "aws:SourceArn")) {
              reportViolation(
                `Bucket policy ${p.source} of "${b.label}" lets CloudTrail ${asArray(s.Action).map(show).join(",")} without an aws:SourceArn condition.`,
                urn,
              );
            }
            if (s?.Effect === "Deny" && String(s?.Condition?.Bool?.["aws:SecureTransport"]) === "false") tls = true;
          }
        }
        if (!tls && !u.any) reportViolation(`Trail log bucket "${b.label}" policy does not deny requests without TLS (aws:SecureTransport false).`, urn);
      }
      u.raiseIfAny();
    },
  },
  { requirements: ["E5"], controls: LOG_PROTECTION },
);
