// E1/E2/E7/E15 and M1/M4/M5: the trail itself, and its delivery to CloudWatch Logs.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { evidenceOptions } from "../lib/bucket-baseline";
import { policyJson } from "../lib/policy-document";

export interface AuditTrailArgs {
  trailName: string;
  /** Known before creation, used in the delivery role's trust policy. */
  trailArn: pulumi.Input<string>;
  accountId: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  logBucketName: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
  logGroupName: string;
  logGroupRetentionDays: number;
  /** E2: the buckets whose object-level events are recorded (never all buckets, never the log bucket). */
  dataBucketNames: pulumi.Input<string>[];
  /** E15 */
  organizationTrail: boolean;
  /**
   * Created after these: CloudTrail checks the bucket and key policies, and no log may land before
   * the bucket's Object Lock retention and encryption are in force. A component here stands for
   * all its custom resources (the Node SDK waits for every child of a component in dependsOn).
   */
  dependsOn: pulumi.Resource[];
  protect: boolean;
}

/** E1: every management event, read and write, nothing excluded (no readOnly or eventSource filter). */
export const MANAGEMENT_EVENTS_SELECTOR = {
  name: "All management events (read and write)",
  fieldSelectors: [{ field: "eventCategory", equals: ["Management"] }],
};

/**
 * E2: object-level events of the data buckets only. No eventName filter: GetObject, PutObject and
 * DeleteObject are recorded, and so are DeleteObjects (batch delete), CopyObject and multipart
 * uploads, which a filter on those three names would silently miss.
 */
export function dataEventsSelector(partition: pulumi.Input<string>, bucketNames: pulumi.Input<string>[]) {
  return {
    name: "S3 object-level events of the backup-data buckets (read and write)",
    fieldSelectors: [
      { field: "eventCategory", equals: ["Data"] },
      { field: "resources.type", equals: ["AWS::S3::Object"] },
      { field: "resources.ARN", startsWiths: bucketNames.map((b) => pulumi.interpolate`arn:${partition}:s3:::${b}/`) },
    ],
  };
}

export class AuditTrail extends pulumi.ComponentResource {
  readonly trailArn: pulumi.Output<string>;
  readonly trailName: pulumi.Output<string>;
  readonly logGroupName: pulumi.Output<string>;
  readonly logGroupArn: pulumi.Output<string>;

  constructor(name: string, args: AuditTrailArgs, opts?: pulumi.ComponentResourceOptions) {
    super("auditTrail:logging:AuditTrail", name, {}, opts);
    const evidence = evidenceOptions(this, args.protect);

    // E7: Logs Insights over the trail; KMS-encrypted, kept >= 365 days in dev2/prd (M5).
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-log-group`,
      { name: args.logGroupName, retentionInDays: args.logGroupRetentionDays, kmsKeyId: args.kmsKeyArn },
      evidence,
    );

    const deliveryRole = new aws.iam.Role(
      `${name}-cloudwatch-delivery`,
      {
        description: `CloudTrail ${args.trailName} delivers events to ${args.logGroupName}`,
        assumeRolePolicy: policyJson(
          [
            {
              // AWS's documented form, without conditions: "Confused deputy prevention is not
              // applicable to the role policy for CloudWatch Logs monitoring. The role policy doesn't
              // support the use of aws:SourceArn and aws:SourceAccount."
              // https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html
              // What the role can do is bounded instead: this one log group's streams.
              sid: "CloudTrailAssumesToDeliverToCloudWatchLogs",
              effect: "Allow",
              principals: [{ type: "Service", identifiers: ["cloudtrail.amazonaws.com"] }],
              actions: ["sts:AssumeRole"],
            },
          ],
          { parent: this },
        ),
      },
      { parent: this },
    );
    const deliveryPolicy = new aws.iam.RolePolicy(
      `${name}-cloudwatch-delivery`,
      {
        role: deliveryRole.id,
        policy: policyJson(
          [
            {
              sid: "DeliverToThisLogGroupOnly",
              effect: "Allow",
              actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
              resources: [pulumi.interpolate`${logGroup.arn}:log-stream:*`],
            },
          ],
          { parent: this },
        ),
      },
      { parent: this },
    );

    const trail = new aws.cloudtrail.Trail(
      name,
      {
        name: args.trailName,
        s3BucketName: args.logBucketName,
        kmsKeyId: args.kmsKeyArn, // M4
        enableLogFileValidation: true, // M1: hourly signed digests
        enableLogging: true,
        isMultiRegionTrail: true, // E1
        includeGlobalServiceEvents: true, // E1: IAM, STS, CloudFront ...
        isOrganizationTrail: args.organizationTrail, // E15
        // CloudTrail wants the log group ARN with the ":*" suffix.
        cloudWatchLogsGroupArn: pulumi.interpolate`${logGroup.arn}:*`,
        cloudWatchLogsRoleArn: deliveryRole.arn,
        advancedEventSelectors: [MANAGEMENT_EVENTS_SELECTOR, dataEventsSelector(args.partition, args.dataBucketNames)],
      },
      // The log group explicitly, not only through the interpolated ARN: the engine shows the pack
      // a resource only after what it depends on, and the trail's resource policies refuse a trail
      // whose log bucket or log group they have already seen break M2-M5 (policy/lib/trail-guard.ts).
      { ...evidence, dependsOn: [...args.dependsOn, deliveryPolicy, logGroup] },
    );

    this.trailArn = trail.arn;
    this.trailName = trail.name;
    this.logGroupName = logGroup.name;
    this.logGroupArn = logGroup.arn;
    this.registerOutputs({ trailArn: this.trailArn, logGroupName: this.logGroupName });
  }
}
