// The resource-phase half of the MUST bucket and log group checks (M2, M3, M4, M5): when `Analyze`
// shows a trail, the inputs of its log bucket, of that bucket's configuration resources and of its
// log group, already seen in this run, may break a MUST item. A resource policy's mandatory
// violation stops `pulumi up` before the trail is created (stack policies only run after every
// resource was created), so no trail ever starts writing into a bucket the stack policies would
// reject afterwards. Only definite violations of
// what was seen are reported here; an absent configuration may still come later in the run, and is
// the stack policies' to judge. The engine calls Analyze in registration order, and a program's
// resource is registered only after everything it depends on: the estate's trail depends on its
// log bucket component (every configuration resource of the bucket) and on its log group
// (infra/components/audit-trail.ts), so all of them are seen before the trail.
import { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { recordInputs, SeenInputs, seenInputsNamingBucket, seenLogGroup } from "./inputs";
import * as T from "./types";
import { asArray, isUnknown, plain, Props } from "./values";

export interface TrailBucketInputs {
  bucketName: string;
  bucket: SeenInputs;
  /** Configuration resources whose `bucket` input names the bucket. */
  configs: SeenInputs[];
}

const BUCKETS: ReadonlySet<string> = new Set(T.BUCKET_TYPES);

/** The log bucket of a trail shown to Analyze, when its name is known and its inputs were seen. */
export function trailBucketInputs(trailProps: Props | undefined): TrailBucketInputs | undefined {
  const name = trailProps?.s3BucketName;
  if (typeof name !== "string") return undefined;
  let bucket: SeenInputs | undefined;
  const configs: SeenInputs[] = [];
  for (const s of seenInputsNamingBucket(name)) {
    if (BUCKETS.has(s.type)) bucket = s;
    else if (s.type !== T.TRAIL) configs.push(s);
  }
  return bucket ? { bucketName: name, bucket, configs } : undefined;
}

export const ofTypes = (types: readonly string[], s: SeenInputs) => types.includes(s.type);

/** The Object Lock default retentions the seen inputs set (inline or split). */
export function seenRetentions(t: TrailBucketInputs): { mode: unknown; days: unknown; years: unknown; source: string }[] {
  const out: { mode: unknown; days: unknown; years: unknown; source: string }[] = [];
  const inline = t.bucket.props.objectLockConfiguration;
  if (inline && !isUnknown(inline)) {
    const rules = inline.rule ? [inline.rule] : asArray(inline.rules);
    for (const rule of rules) {
      if (!rule || isUnknown(rule)) continue;
      for (const r of rule.defaultRetention ? [rule.defaultRetention] : asArray(rule.defaultRetentions)) {
        if (r && !isUnknown(r)) out.push({ mode: r.mode, days: r.days, years: r.years, source: `inline on ${t.bucket.name}` });
      }
    }
  }
  for (const c of t.configs.filter((s) => ofTypes(T.OBJECT_LOCK, s))) {
    const r = c.props.rule?.defaultRetention;
    if (r && !isUnknown(r)) out.push({ mode: r.mode, days: r.days, years: r.years, source: c.name });
  }
  return out;
}

export type TrailCheck = (args: ResourceValidationArgs, t: TrailBucketInputs, report: (message: string) => void) => void;
type Validate = NonNullable<ResourceValidationPolicy["validateResource"]>;
type ValidateFn = Extract<Validate, (...a: never[]) => unknown>;

/**
 * A `validateResource` that records every input the pack reads, and on a trail runs `onTrail` with
 * the trail's inputs as plain values (unknowns as UNKNOWN: a trail whose bucket or log group is not
 * known yet is the stack policies' to judge, never a "can't run" note here). Each MUST policy with a
 * bucket or log group item has one, so recording goes on while any of them is enabled; when all are
 * disabled, nothing reads the record.
 */
export function recordingOnTrail(onTrail: (args: ResourceValidationArgs, trail: Props, reportViolation: Parameters<ValidateFn>[1]) => void): Validate {
  return (args, reportViolation) => {
    recordInputs(args);
    if (args.type !== T.TRAIL) return;
    onTrail(args, plain(args.props), reportViolation);
  };
}

/** A recording guard that runs `check` on the trail's log bucket's seen inputs (M2, M3, M4, M5). */
export function recordingTrailGuard(check: TrailCheck): Validate {
  return recordingOnTrail((args, trail, reportViolation) => {
    const seen = trailBucketInputs(trail);
    if (!seen) return;
    check(args, seen, (message) =>
      reportViolation(`Trail "${args.name}" would write into bucket "${seen.bucketName}", whose inputs already break this policy: ${message}`),
    );
  });
}

/** The log group a trail shown to Analyze delivers to, when its ARN is known and the group's inputs were seen. */
export function trailLogGroupInputs(trail: Props): { name: string; group: SeenInputs } | undefined {
  const arn = trail.cloudWatchLogsGroupArn;
  if (typeof arn !== "string") return undefined;
  // arn:aws:logs:<region>:<account>:log-group:<name>[:*] (CloudTrail wants the ":*" form).
  const name = /:log-group:([^:]+)/.exec(arn)?.[1];
  const group = name === undefined ? undefined : seenLogGroup(name);
  return name !== undefined && group ? { name, group } : undefined;
}
