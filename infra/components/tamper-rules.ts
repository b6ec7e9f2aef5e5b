// E8: EventBridge rules on the tamper operations of policy/lib/tamper-events.ts (the one catalogue),
// each scoped to the estate's own trail, keys, buckets and alert path, sending to the alert path
// (alertDelivery.ts). Rules never filter an event away by who made it: the notifier tells routine
// deployer work apart, for non-critical operations only (001).
//
// What AWS really sends, checked against real CloudTrail records (tests/infra/tamper-rules.test.ts):
// - CloudWatch API calls arrive with source aws.monitoring (EVENTBRIDGE_SOURCES in the catalogue).
// - KMS records may carry `resources: null`: the key is matched by resources[].ARN or by
//   requestParameters.keyId, in ARN and in key-id form.
// - Read-only calls (a denied GetBucketPolicy probe) reach only a rule in state
//   ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS: the log-bucket access-denied rule, and no other.
// - `account` is pinned: the default bus can receive other accounts' events (forwarding).
import * as pulumi from "@pulumi/pulumi";
import { spellingsOf, TAMPER_CATALOGUE, WatchedEventSource } from "../../policy/lib/tamper-events";
import { AlertDestination, routeToAlerts } from "../lib/alert-route";

export const API_CALL_VIA_CLOUDTRAIL = "AWS API Call via CloudTrail";

export interface EstateNames {
  accountId: string;
  /** "<prefix>-<stack>": every rule, topic, alarm, function and recorder of the estate starts so. */
  base: string;
  trailName: string;
  trailArn: string;
  trailLogGroupName: string;
  bucketNames: string[];
  logBucketName: string;
  keyArns: string[];
}

const apiCall = (accountId: string, sources: string[]) => ({ source: sources, "detail-type": [API_CALL_VIA_CLOUDTRAIL], account: [accountId] });

/** The alert-path services of the catalogue, with their EventBridge sources. */
function alertPathServices(): { eventSources: string[]; sources: string[] } {
  const ops = TAMPER_CATALOGUE.filter((op) => op.concern === "alert-path");
  return { eventSources: [...new Set(ops.map((op) => op.eventSource))], sources: [...new Set(ops.map((op) => op.eventBridgeSource))] };
}

/** The EventBridge patterns, one per concern, each scoped to the estate's own resources. */
export const tamperPatterns = {
  // StopLogging, DeleteTrail and UpdateTrail name the trail in `name`; PutEventSelectors and
  // PutInsightSelectors in `trailName` (CloudTrail API reference), by name or ARN.
  trail: (e: Pick<EstateNames, "accountId" | "trailName" | "trailArn">) => ({
    ...apiCall(e.accountId, ["aws.cloudtrail"]),
    detail: {
      eventSource: ["cloudtrail.amazonaws.com"],
      eventName: spellingsOf("trail"),
      $or: [{ requestParameters: { name: [e.trailName, e.trailArn] } }, { requestParameters: { trailName: [e.trailName, e.trailArn] } }],
    },
  }),
  key: (e: Pick<EstateNames, "accountId" | "keyArns">) => ({
    ...apiCall(e.accountId, ["aws.kms"]),
    detail: {
      eventSource: ["kms.amazonaws.com"],
      eventName: spellingsOf("key"),
      $or: [{ resources: { ARN: e.keyArns } }, { requestParameters: { keyId: [...e.keyArns, ...e.keyArns.map((arn) => arn.split("/").pop()!)] } }],
    },
  }),
  bucket: (e: Pick<EstateNames, "accountId" | "bucketNames">) => ({
    ...apiCall(e.accountId, ["aws.s3"]),
    detail: { eventSource: ["s3.amazonaws.com"], eventName: spellingsOf("bucket"), requestParameters: { bucketName: e.bucketNames } },
  }),
  /** Silencing the alert path: the estate's rules, topics, log groups, filters, alarms, Config. */
  alertPath: (e: Pick<EstateNames, "accountId" | "base" | "trailLogGroupName">) => {
    const { eventSources, sources } = alertPathServices();
    const named = [{ prefix: `${e.base}-` }];
    const arn = (service: string) => [{ wildcard: `arn:*:${service}:*:${e.accountId}:${e.base}-*` }];
    return {
      ...apiCall(e.accountId, sources),
      detail: {
        eventSource: eventSources,
        eventName: eventSources.flatMap((s) => spellingsOf("alert-path", s as WatchedEventSource)),
        $or: [
          { requestParameters: { name: named } },
          { requestParameters: { rule: named } },
          { requestParameters: { topicArn: arn("sns") } },
          { requestParameters: { subscriptionArn: arn("sns") } },
          // The trail's log group, and the functions', API's and WAF's (named with the base).
          { requestParameters: { logGroupName: [e.trailLogGroupName, { wildcard: `*${e.base}-*` }] } },
          { requestParameters: { alarmNames: named } },
          { requestParameters: { alarmName: named } },
          { requestParameters: { configurationRecorderName: named } },
          { requestParameters: { deliveryChannelName: named } },
          { requestParameters: { configRuleName: named } },
        ],
      },
    };
  },
  /** Probes of the log bucket, read-only ones included (the rule's state lets them through). */
  logBucketAccessDenied: (e: Pick<EstateNames, "accountId" | "logBucketName">) => ({
    ...apiCall(e.accountId, ["aws.s3"]),
    detail: { eventSource: ["s3.amazonaws.com"], errorCode: ["AccessDenied"], requestParameters: { bucketName: [e.logBucketName] } },
  }),
};

export type TamperRuleKind = "trail" | "key" | "bucket" | "alert-path" | "log-bucket-access-denied";

/** Each rule: its old logical/physical suffix (kept: a renamed rule would be replaced) and routing. */
const RULES: { kind: TamperRuleKind; legacy: string; outOfBand: boolean; readOnlyToo: boolean }[] = [
  { kind: "trail", legacy: "cloudtrail", outOfBand: false, readOnlyToo: false },
  // Keys and the alert path also go out of band: disabling the alert key or deleting the topic
  // breaks the path that would report it (alertDelivery.ts).
  { kind: "key", legacy: "kms", outOfBand: true, readOnlyToo: false },
  { kind: "bucket", legacy: "s3", outOfBand: false, readOnlyToo: false },
  { kind: "alert-path", legacy: "alert-path", outOfBand: true, readOnlyToo: false },
  { kind: "log-bucket-access-denied", legacy: "log-bucket-access-denied", outOfBand: false, readOnlyToo: true },
];

export interface TamperRulesArgs {
  namePrefix: string;
  stack: string;
  accountId: pulumi.Input<string>;
  trailName: pulumi.Input<string>;
  trailArn: pulumi.Input<string>;
  trailLogGroupName: pulumi.Input<string>;
  /** Every bucket of the estate: log, access-log, data, Config, Athena results. */
  bucketNames: pulumi.Input<string>[];
  logBucketName: pulumi.Input<string>;
  /** Every key of the estate: audit, alert, out-of-band, data. */
  keyArns: pulumi.Input<string>[];
  alerts: AlertDestination;
  outOfBand: AlertDestination;
}

const LEGACY_PARENT = pulumi.createUrn("tamper-alerting", "auditTrail:alerting:TamperAlerting");

export class TamperRules extends pulumi.ComponentResource {
  readonly ruleNames: pulumi.Output<string>[] = [];

  constructor(name: string, args: TamperRulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("auditTrail:alerting:TamperRules", name, {}, opts);
    const base = `${args.namePrefix}-${args.stack}`;
    // Each pattern depends only on what it names, so most are known at the first preview (the
    // policy pack reads them then).
    const account = pulumi.output(args.accountId);
    const patterns: Record<TamperRuleKind, pulumi.Output<object>> = {
      trail: pulumi
        .all([account, args.trailName, args.trailArn])
        .apply(([accountId, trailName, trailArn]) => tamperPatterns.trail({ accountId, trailName, trailArn })),
      key: pulumi.all([account, pulumi.all(args.keyArns)]).apply(([accountId, keyArns]) => tamperPatterns.key({ accountId, keyArns })),
      bucket: pulumi.all([account, pulumi.all(args.bucketNames)]).apply(([accountId, bucketNames]) => tamperPatterns.bucket({ accountId, bucketNames })),
      "alert-path": pulumi
        .all([account, args.trailLogGroupName])
        .apply(([accountId, trailLogGroupName]) => tamperPatterns.alertPath({ accountId, base, trailLogGroupName })),
      "log-bucket-access-denied": pulumi
        .all([account, args.logBucketName])
        .apply(([accountId, logBucketName]) => tamperPatterns.logBucketAccessDenied({ accountId, logBucketName })),
    };
    for (const rule of RULES) {
      const legacyName = `tamper-alerting-${rule.legacy}`;
      const r = routeToAlerts(
        this,
        `${name}-${rule.kind}`,
        {
          // Physical names as deployed before: renaming a rule would replace it.
          name: `${base}-tamper-${rule.legacy}`,
          description: `E8: ${rule.kind} operations that could disable, erase or silence the audit trail`,
          eventPattern: patterns[rule.kind].apply((p) => JSON.stringify(p)),
          state: rule.readOnlyToo ? "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS" : "ENABLED",
        },
        args.alerts,
        {
          alsoTo: rule.outOfBand ? [{ id: "out-of-band", destination: args.outOfBand }] : [],
          aliases: { rule: [{ name: legacyName, parent: LEGACY_PARENT }], target: [{ name: legacyName, parent: LEGACY_PARENT }] },
        },
      );
      this.ruleNames.push(r.name);
    }
    this.registerOutputs({});
  }
}
