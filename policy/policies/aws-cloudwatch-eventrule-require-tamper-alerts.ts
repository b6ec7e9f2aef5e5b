// E8: a stack with a trail has EventBridge rules that watch the operations that would disable,
// weaken or erase it.
import { StackValidation, StackValidationPolicy } from "@pulumi/policy";
import { documented, MONITORING } from "../lib/metadata";
import { stackModelOf } from "../lib/stack-model";
import { onlyType, TRAIL } from "../lib/types";
import { TAMPER_EVENT_NAMES } from "../lib/tamper-events";
import { asArray, isUnknown, Undetermined } from "../lib/values";

export const tamperAlerts = documented<StackValidationPolicy>(
  {
    name: "aws-cloudwatch-eventrule-require-tamper-alerts",
    description: `A stack with a CloudTrail trail should have EventBridge rules for the tamper operations (${TAMPER_EVENT_NAMES.join(", ")}) (E8).`,
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps:
      'Add aws.cloudwatch.EventRule resources with detail-type "AWS API Call via CloudTrail" and detail.eventName listing the missing operations.',
    // Only stacks with a trail: the SDK skips the policy (and its per-policy deserialisation) elsewhere.
    validateStack: onlyType<StackValidation>(TRAIL, (args, reportViolation) => {
      const m = stackModelOf(args.resources, args.stackTags);
      if (m.trails.length === 0) return;
      const u = new Undetermined();
      const watched = new Set<string>();
      for (const rule of m.eventRules) {
        const pattern = rule.props.eventPattern;
        if (isUnknown(pattern)) {
          u.add(`eventPattern of ${rule.resource.name}`);
          continue;
        }
        if (typeof pattern !== "string") continue;
        try {
          for (const n of asArray(JSON.parse(pattern)?.detail?.eventName)) if (typeof n === "string") watched.add(n);
        } catch {
          // Not JSON: EventBridge would reject it; nothing is watched by this rule.
        }
      }
      const missing = TAMPER_EVENT_NAMES.filter((n) => !watched.has(n));
      if (missing.length > 0 && !u.any) reportViolation(`No EventBridge rule watches: ${missing.join(", ")}.`, m.trails[0].resource.urn);
      u.raiseIfAny();
    }),
  },
  { requirements: ["E8"], controls: MONITORING },
);
