// E10 (001 security monitoring; 002 1.2; 003 5-1): AWS Config with managed rules for the MUST
// items, GuardDuty with S3 protection, Security Hub (AWS FSBP and CIS), Inspector for Lambda and
// IAM Access Analyzer. Each can be off where the organisation already runs it centrally.
// Config delivers to a bucket of its own: it cannot deliver into a bucket with Object Lock.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PostureProfile } from "../config/profile";
import { AlertDestination, routeToAlerts } from "../lib/alertRoute";
import { bucketBaseline, evidenceOptions, sseKms } from "../lib/bucketBaseline";
import { denyInsecureTransport, policyJson } from "../lib/policyDocument";

export interface SecurityPostureArgs {
  namePrefix: string;
  stack: string;
  region: string;
  accountId: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  services: PostureProfile;
  kmsKeyArn: pulumi.Input<string>;
  configBucketName: pulumi.Input<string>;
  logBucketName: pulumi.Input<string>;
  dataBucketNames: pulumi.Input<string>[];
  trailLogGroupName: pulumi.Input<string>;
  minLogRetentionDays: number;
  alerts: AlertDestination;
  protect: boolean;
}

export interface ManagedRule {
  /** Rule name (the managed rule's documented name, with a suffix when scoped to one bucket). */
  name: string;
  identifier: string;
  parameters?: Record<string, pulumi.Input<string>>;
  /** Scope to one S3 bucket. */
  bucket?: pulumi.Input<string>;
}

/** The Config managed rules of the MUST items (M1-M5) and 002's example. */
export function managedRules(a: {
  logBucketName: pulumi.Input<string>;
  dataBucketNames: pulumi.Input<string>[];
  trailLogGroupName: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
  minLogRetentionDays: number;
}): ManagedRule[] {
  return [
    { name: "cloud-trail-log-file-validation-enabled", identifier: "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED" },
    { name: "multi-region-cloudtrail-enabled", identifier: "MULTI_REGION_CLOUD_TRAIL_ENABLED" },
    { name: "cloud-trail-encryption-enabled", identifier: "CLOUD_TRAIL_ENCRYPTION_ENABLED" },
    {
      name: "cloudtrail-s3-dataevents-enabled",
      identifier: "CLOUDTRAIL_S3_DATAEVENTS_ENABLED",
      parameters: { S3BucketNames: pulumi.all(a.dataBucketNames).apply((b) => b.join(",")) },
    },
    // Scoped: only the log bucket is meant to be locked, and locked in COMPLIANCE mode (M2).
    { name: "s3-bucket-default-lock-enabled", identifier: "S3_BUCKET_DEFAULT_LOCK_ENABLED", parameters: { mode: "COMPLIANCE" }, bucket: a.logBucketName },
    { name: "s3-bucket-level-public-access-prohibited", identifier: "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED" },
    // Scoped: the access-log bucket is SSE-S3 by necessity (E6).
    { name: "s3-default-encryption-kms", identifier: "S3_DEFAULT_ENCRYPTION_KMS", parameters: { kmsKeyArns: a.kmsKeyArn }, bucket: a.logBucketName },
    { name: "s3-bucket-versioning-enabled", identifier: "S3_BUCKET_VERSIONING_ENABLED" },
    { name: "cmk-backing-key-rotation-enabled", identifier: "CMK_BACKING_KEY_ROTATION_ENABLED" },
    {
      name: "cw-loggroup-retention-period-check",
      identifier: "CW_LOGGROUP_RETENTION_PERIOD_CHECK",
      parameters: { LogGroupNames: a.trailLogGroupName, MinRetentionTime: String(a.minLogRetentionDays) },
    },
    { name: "s3-bucket-public-read-prohibited", identifier: "S3_BUCKET_PUBLIC_READ_PROHIBITED" },
  ];
}

export class SecurityPosture extends pulumi.ComponentResource {
  readonly configRuleNames: pulumi.Output<string>[] = [];
  readonly configBucketName?: pulumi.Output<string>;

  constructor(name: string, args: SecurityPostureArgs, opts?: pulumi.ComponentResourceOptions) {
    super("auditTrail:posture:SecurityPosture", name, {}, opts);
    const base = `${args.namePrefix}-${args.stack}`;
    const { services } = args;

    if (services.config) {
      const evidence = evidenceOptions(this, args.protect);
      const bucket = new aws.s3.Bucket(`${name}-config-bucket`, { bucket: args.configBucketName, forceDestroy: false }, evidence);
      const child = { parent: this, dependsOn: [bucket] };
      const baseline = bucketBaseline(`${name}-config-bucket`, bucket, child);
      new aws.s3.BucketVersioning(`${name}-config-bucket-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, child);
      sseKms(`${name}-config-bucket`, bucket, args.kmsKeyArn, child);
      const configWrites = [{ test: "StringEquals", variable: "aws:SourceAccount", values: [args.accountId] }];
      const bucketPolicy = new aws.s3.BucketPolicy(
        `${name}-config-bucket-policy`,
        {
          bucket: bucket.id,
          policy: policyJson(
            [
              {
                // Config docs: "Permissions for the Amazon S3 Bucket for the AWS Config Delivery Channel".
                sid: "AWSConfigBucketPermissionsCheck",
                effect: "Allow",
                principals: [{ type: "Service", identifiers: ["config.amazonaws.com"] }],
                actions: ["s3:GetBucketAcl", "s3:ListBucket"],
                resources: [bucket.arn],
                conditions: configWrites,
              },
              {
                sid: "AWSConfigBucketDelivery",
                effect: "Allow",
                principals: [{ type: "Service", identifiers: ["config.amazonaws.com"] }],
                actions: ["s3:PutObject"],
                resources: [pulumi.interpolate`${bucket.arn}/AWSLogs/${args.accountId}/Config/*`],
                conditions: [...configWrites, { test: "StringEquals", variable: "s3:x-amz-acl", values: ["bucket-owner-full-control"] }],
              },
              denyInsecureTransport(bucket.arn),
            ],
            { parent: this },
          ),
        },
        { parent: this, dependsOn: [baseline.publicAccessBlock] },
      );
      const role = new aws.iam.Role(
        `${name}-config-role`,
        {
          description: "AWS Config records this account's resources",
          assumeRolePolicy: policyJson(
            [
              {
                effect: "Allow",
                principals: [{ type: "Service", identifiers: ["config.amazonaws.com"] }],
                actions: ["sts:AssumeRole"],
                conditions: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [args.accountId] }],
              },
            ],
            { parent: this },
          ),
        },
        { parent: this },
      );
      const managedPolicy = new aws.iam.RolePolicyAttachment(`${name}-config-role-managed`, { role: role.name, policyArn: pulumi.interpolate`arn:${args.partition}:iam::aws:policy/service-role/AWS_ConfigRole` }, { parent: this });
      const deliveryPolicy = new aws.iam.RolePolicy(
        `${name}-config-role-delivery`,
        {
          role: role.id,
          policy: policyJson(
            [
              { sid: "DeliverToConfigBucket", effect: "Allow", actions: ["s3:PutObject"], resources: [pulumi.interpolate`${bucket.arn}/AWSLogs/${args.accountId}/Config/*`] },
              { sid: "CheckConfigBucket", effect: "Allow", actions: ["s3:GetBucketAcl"], resources: [bucket.arn] },
              {
                sid: "EncryptDeliveries",
                effect: "Allow",
                actions: ["kms:GenerateDataKey", "kms:Decrypt"],
                resources: [args.kmsKeyArn],
                conditions: [{ test: "StringEquals", variable: "kms:ViaService", values: [`s3.${args.region}.amazonaws.com`] }],
              },
            ],
            { parent: this },
          ),
        },
        { parent: this },
      );
      const recorder = new aws.cfg.Recorder(
        `${name}-recorder`,
        {
          name: `${base}-recorder`,
          roleArn: role.arn,
          // All resource types; IAM and other global types are recorded in the home region only.
          recordingGroup: { allSupported: true, includeGlobalResourceTypes: true },
        },
        { parent: this },
      );
      const channel = new aws.cfg.DeliveryChannel(
        `${name}-delivery`,
        { name: `${base}-delivery`, s3BucketName: bucket.bucket, s3KmsKeyArn: args.kmsKeyArn, snapshotDeliveryProperties: { deliveryFrequency: "TwentyFour_Hours" } },
        // PutDeliveryChannel checks delivery through the role: its permissions must exist first.
        { parent: this, dependsOn: [recorder, bucketPolicy, managedPolicy, deliveryPolicy] },
      );
      const status = new aws.cfg.RecorderStatus(`${name}-recorder-status`, { name: recorder.name, isEnabled: true }, { parent: this, dependsOn: [channel] });
      for (const rule of managedRules(args)) {
        const r = new aws.cfg.Rule(
          `${name}-${rule.name}`,
          {
            name: `${base}-${rule.name}`,
            description: `Managed rule ${rule.identifier} (E10)`,
            source: { owner: "AWS", sourceIdentifier: rule.identifier },
            inputParameters: rule.parameters ? pulumi.jsonStringify(rule.parameters) : undefined,
            scope: rule.bucket ? { complianceResourceTypes: ["AWS::S3::Bucket"], complianceResourceId: rule.bucket } : undefined,
          },
          { parent: this, dependsOn: [status] },
        );
        this.configRuleNames.push(r.name);
      }
      // E10: non-compliance notifies through the same path as tamper alerts.
      routeToAlerts(
        this,
        `${name}-config-noncompliant`,
        {
          name: `${base}-config-noncompliant`,
          description: "E10: a Config rule of the estate found a non-compliant resource",
          eventPattern: pulumi.jsonStringify({
            source: ["aws.config"],
            "detail-type": ["Config Rules Compliance Change"],
            detail: { configRuleName: this.configRuleNames, newEvaluationResult: { complianceType: ["NON_COMPLIANT"] } },
          }),
        },
        args.alerts,
      );
      this.configBucketName = bucket.bucket;
    }

    if (services.guardDuty) {
      const detector = new aws.guardduty.Detector(`${name}-guardduty`, { enable: true, findingPublishingFrequency: "FIFTEEN_MINUTES" }, { parent: this });
      // S3 protection: GuardDuty watches the data events of every bucket for anomalies.
      new aws.guardduty.DetectorFeature(`${name}-guardduty-s3`, { detectorId: detector.id, name: "S3_DATA_EVENTS", status: "ENABLED" }, { parent: this });
      routeToAlerts(
        this,
        `${name}-guardduty-findings`,
        {
          name: `${base}-guardduty-findings`,
          description: "E10: GuardDuty findings of high severity (7 and above)",
          eventPattern: JSON.stringify({ source: ["aws.guardduty"], "detail-type": ["GuardDuty Finding"], detail: { severity: [{ numeric: [">=", 7] }] } }),
        },
        args.alerts,
      );
    }

    if (services.securityHub) {
      const hub = new aws.securityhub.Account(`${name}-securityhub`, { enableDefaultStandards: false, autoEnableControls: true }, { parent: this });
      for (const [id, arn] of [
        ["fsbp", pulumi.interpolate`arn:${args.partition}:securityhub:${args.region}::standards/aws-foundational-security-best-practices/v/1.0.0`],
        ["cis", pulumi.interpolate`arn:${args.partition}:securityhub:${args.region}::standards/cis-aws-foundations-benchmark/v/3.0.0`],
      ] as const) {
        new aws.securityhub.StandardsSubscription(`${name}-securityhub-${id}`, { standardsArn: arn }, { parent: this, dependsOn: [hub] });
      }
    }

    if (services.inspector) {
      new aws.inspector2.Enabler(`${name}-inspector`, { accountIds: [args.accountId], resourceTypes: ["LAMBDA"] }, { parent: this });
    }

    if (services.accessAnalyzer) {
      new aws.accessanalyzer.Analyzer(`${name}-access-analyzer`, { analyzerName: `${base}-account`, type: "ACCOUNT" }, { parent: this });
    }
    this.registerOutputs({});
  }
}
