// Shared by the stack policies: the rule that an absent configuration is only a violation when no
// configuration resource of that kind had an unknown, unfollowable link (then it may be the one).
import { BucketModel, StackModel } from "./stack-model";
import { TRAIL } from "./types";
import { Undetermined } from "./values";

/** True (and the gaps are recorded) when a configuration of these types could not be linked. */
export function linkGaps(m: StackModel, types: readonly string[], u: Undetermined): boolean {
  const gaps = m.unresolvedLinks.filter((l) => types.includes(l.type));
  for (const g of gaps) u.add(g.item);
  return gaps.length > 0;
}

/**
 * The trail log buckets of the stack, and, in `u`, what could make another bucket one without the
 * model seeing it on a first preview: a trail whose bucket is unknown and names no resource, or (in
 * a stack without a trail, such as a log-archive account's, E15) a bucket whose policy is not known
 * yet and so may let CloudTrail write. The MUST bucket checks never pass such a bucket silently.
 */
export function trailLogBucketsOrUndetermined(m: StackModel, u: Undetermined): BucketModel[] {
  for (const l of m.unresolvedLinks) if (l.type === TRAIL && l.item.includes("s3BucketName")) u.add(l.item);
  const classified = m.trailLogBuckets();
  if (m.trails.length === 0) {
    for (const b of m.buckets) {
      if (classified.includes(b) || b.accessLogSources.length > 0) continue;
      // Split BucketPolicy resources only: a v7 Bucket's inline `policy` is a provider-computed
      // mirror, unknown on every first preview whether or not a policy will exist.
      if (b.policies.some((p) => !p.source.startsWith("inline on ") && p.json !== undefined && typeof p.json !== "string")) {
        u.add(`bucket ${b.label} may receive CloudTrail logs: its policy is not known until the update`);
      }
    }
  }
  return classified;
}
