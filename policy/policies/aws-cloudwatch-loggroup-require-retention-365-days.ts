// M5 / E7: the trail's CloudWatch log group keeps events at least 365 days (or never expires).
import { ResourceValidationPolicy, StackValidation, StackValidationPolicy } from "@pulumi/policy";
import { documented, LOG_RETENTION } from "../lib/metadata";
import { stackModelOf } from "../lib/stack-model";
import { recordingOnTrail, trailLogGroupInputs } from "../lib/trail-guard";
import { onlyType, TRAIL } from "../lib/types";
import { isUnknown, labelOf, Undetermined } from "../lib/values";
import { MIN_RETENTION_DAYS } from "./aws-s3-bucket-require-retention-365-days";

export const trailLogGroupRetention = documented<StackValidationPolicy & Pick<ResourceValidationPolicy, "validateResource">>(
  {
    name: "aws-cloudwatch-loggroup-require-retention-365-days",
    description: "The CloudWatch log group a trail delivers to must keep events at least 365 days (M5).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Set `retentionInDays` of the trail's aws.cloudwatch.LogGroup to 365 or more (or leave it unset: never expire).",
    // Before the trail is created: its log group (named by the trail's known cloudWatchLogsGroupArn)
    // was already seen keeping too few days.
    validateResource: recordingOnTrail((args, trail, reportViolation) => {
      const seen = trailLogGroupInputs(trail);
      const days = seen?.group.props.retentionInDays;
      if (seen && typeof days === "number" && days > 0 && days < MIN_RETENTION_DAYS) {
        reportViolation(
          `Trail "${args.name}" would deliver to log group "${seen.name}", whose inputs already break this policy: it keeps events ${days} days; at least ${MIN_RETENTION_DAYS} are required.`,
        );
      }
    }),
    // Only stacks with a trail: the SDK skips the policy (and its per-policy deserialisation) elsewhere.
    validateStack: onlyType<StackValidation>(TRAIL, (args, reportViolation) => {
      const m = stackModelOf(args.resources, args.stackTags);
      const u = new Undetermined();
      for (const trail of m.trails) {
        if (trail.props.cloudWatchLogsGroupArn === undefined) continue;
        for (const group of m.logGroupsOf(trail)) {
          const days = group.props.retentionInDays;
          if (isUnknown(days)) u.add(`retentionInDays of ${group.resource.name}`);
          // 0 or unset: CloudWatch Logs never expires the events.
          else if (typeof days === "number" && days > 0 && days < MIN_RETENTION_DAYS) {
            reportViolation(
              `Log group "${labelOf(group.resource.name, group.props.name)}" of trail "${trail.resource.name}" keeps events ${days} days; at least ${MIN_RETENTION_DAYS} are required.`,
              group.resource.urn,
            );
          }
        }
      }
      // A trail whose log group cannot be followed may deliver to one kept for a week.
      for (const l of m.unresolvedLinks) if (l.item.includes("cloudWatchLogsGroupArn")) u.add(l.item);
      u.raiseIfAny();
    }),
  },
  { requirements: ["M5", "E7"], controls: LOG_RETENTION },
);
