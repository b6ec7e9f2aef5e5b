// E2: S3 data events are scoped to the data buckets: never every bucket (cost), and never the
// trail's own log bucket (each delivered log file would be logged again: a write loop).
import { StackValidation, StackValidationPolicy } from "@pulumi/policy";
import { documented, LOG_COVERAGE } from "../lib/metadata";
import { stackModelOf } from "../lib/stack-model";
import { onlyType, TRAIL } from "../lib/types";
import { asArray, isUnknown, show, Undetermined } from "../lib/values";

const ALL_BUCKETS = new Set(["arn:aws:s3", "arn:aws:s3:::", "arn:aws-cn:s3", "arn:aws-cn:s3:::", "arn:aws-us-gov:s3", "arn:aws-us-gov:s3:::"]);
const bucketOfArn = (arn: string) => /^arn:[^:]+:s3:::([^/]+)/.exec(arn)?.[1];

export const dataEventScope = documented<StackValidationPolicy>(
  {
    name: "aws-cloudtrail-trail-restrict-data-event-scope",
    description: "S3 data events should be scoped to named data buckets: never all buckets, never the trail's log bucket (E2).",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps: "Use advanced event selectors with `resources.ARN` startsWith `arn:aws:s3:::<data-bucket>/` for each data bucket.",
    // Only stacks with a trail: the SDK skips the policy (and its per-policy deserialisation) elsewhere.
    validateStack: onlyType<StackValidation>(TRAIL, (args, reportViolation) => {
      const m = stackModelOf(args.resources, args.stackTags);
      const u = new Undetermined();
      const logBuckets = new Set(
        m
          .trailLogBuckets()
          .map((b) => b.bucketName)
          .filter((n): n is string => typeof n === "string"),
      );
      for (const trail of m.trails) {
        const urn = trail.resource.urn;
        const name = trail.resource.name;
        const check = (values: unknown[], where: string) => {
          for (const v of values) {
            if (isUnknown(v)) u.add(`data event resource of ${name} (${where})`);
            else if (typeof v === "string" && ALL_BUCKETS.has(v)) reportViolation(`Trail "${name}" records S3 data events of all buckets (${where}).`, urn);
            else if (typeof v === "string" && logBuckets.has(bucketOfArn(v) ?? "")) {
              reportViolation(`Trail "${name}" records S3 data events of its own log bucket ${bucketOfArn(v)} (${where}): a write loop.`, urn);
            }
          }
        };
        for (const sel of asArray(trail.props.advancedEventSelectors)) {
          if (isUnknown(sel)) {
            u.add(`advanced event selector of ${name}`);
            continue;
          }
          const fields = asArray(sel.fieldSelectors);
          const category = fields.find((f) => f?.field === "eventCategory");
          const type = fields.find((f) => f?.field === "resources.type");
          const isS3Data = asArray(category?.equals).includes("Data") && asArray(type?.equals).includes("AWS::S3::Object");
          if (!isS3Data) continue;
          const arnFields = fields.filter((f) => f?.field === "resources.ARN");
          const values = arnFields.flatMap((f) => [...asArray(f.equals), ...asArray(f.startsWiths)]);
          if (values.length === 0)
            reportViolation(`Trail "${name}" selector "${sel.name === undefined ? "(unnamed)" : show(sel.name)}" records S3 data events of all buckets.`, urn);
          check(values, `selector "${sel.name === undefined ? "(unnamed)" : show(sel.name)}"`);
        }
        for (const sel of asArray(trail.props.eventSelectors)) {
          for (const dr of asArray(sel?.dataResources)) {
            if (dr?.type === "AWS::S3::Object") check(asArray(dr.values), "eventSelectors.dataResources");
          }
        }
      }
      u.raiseIfAny();
    }),
  },
  { requirements: ["E2"], controls: LOG_COVERAGE },
);
