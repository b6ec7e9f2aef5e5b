// The resource-phase half of the MUST bucket checks (M2, M4, M5): when `Analyze` shows a trail, the
// inputs of its log bucket and of that bucket's configuration resources, already seen in this run,
// may break a MUST item. A resource policy's mandatory violation stops `pulumi up` before the trail
// is created (stack policies only run after every resource was created), so no trail ever starts
// writing into a bucket the stack policies would reject afterwards. Only definite violations of
// what was seen are reported here; an absent configuration may still come later in the run, and is
// the stack policies' to judge.
import { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { recordInputs, SeenInputs, seenInputsNamingBucket } from "./inputs";
import * as T from "./types";
import { asArray, isUnknown, Props } from "./values";

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

/**
 * A `validateResource` that records every input the pack reads, and on a trail runs `check` on its
 * log bucket's seen inputs. Each MUST bucket policy has one, so recording goes on while any of them
 * is enabled; when all are disabled, nothing reads the record.
 */
export function recordingTrailGuard(check: TrailCheck): NonNullable<ResourceValidationPolicy["validateResource"]> {
  return (args, reportViolation) => {
    recordInputs(args);
    if (args.type !== T.TRAIL) return;
    const seen = trailBucketInputs(args.props.s3BucketName === undefined ? {} : { s3BucketName: safeRead(args.props, "s3BucketName") });
    if (!seen) return;
    check(args, seen, (message) =>
      reportViolation(`Trail "${args.name}" would write into bucket "${seen.bucketName}", whose inputs already break this policy: ${message}`),
    );
  };
}

function safeRead(props: Props, key: string): unknown {
  try {
    return props[key];
  } catch {
    return undefined; // unknown during preview: the trail's bucket cannot be named here
  }
}
