// Shared by the stack policies: the rule that an absent configuration is only a violation when no
// configuration resource of that kind had an unknown, unfollowable link (then it may be the one).
import { StackModel } from "./stackModel";
import { Undetermined } from "./values";

/** True (and the gaps are recorded) when a configuration of these types could not be linked. */
export function linkGaps(m: StackModel, types: readonly string[], u: Undetermined): boolean {
  const gaps = m.unresolvedLinks.filter((l) => types.includes(l.type));
  for (const g of gaps) u.add(g.item);
  return gaps.length > 0;
}
