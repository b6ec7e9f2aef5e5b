// E10 (001 security monitoring; 002 1.2; 003 5-1): AWS Config with managed rules for the MUST
// items, GuardDuty with S3 protection, Security Hub (AWS FSBP and CIS), Inspector for Lambda and
// IAM Access Analyzer. Each can be off where the organisation already runs it centrally.
// Config delivers to a bucket of its own: it cannot deliver into a bucket with Object Lock.
// Every finding source notifies through the alert path (issue 10): Config non-compliance of the
// estate's rules, GuardDuty severity >= 7, Security Hub HIGH/CRITICAL imported findings, active
// Access Analyzer findings, HIGH/CRITICAL Inspector findings. Rules that evaluate resources are
// scoped to the estate's own buckets and keys: an account-wide rule would alert on other teams'
// resources from day one.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PostureProfile } from "../config/profile";
import { AlertDestination, routeToAlerts } from "../lib/alert-route";
import { bucketBaseline, evidenceOptions, sseKms } from "../lib/bucket-baseline";
import { denyInsecureTransport, policyJson } from "../lib/policy-document";

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
  /** Every bucket of the estate but the Config bucket (created here), with a short purpose. */
  estateBuckets: EstateResource[];
  /** Every customer managed key of the estate (id), with a short purpose. */
  estateKeys: EstateResource[];
  trailLogGroupName: pulumi.Input<string>;
  minLogRetentionDays: number;
  alerts: AlertDestination;
  protect: boolean;
}

export interface EstateResource {
  /** Short, stable, lower-case: part of the Config rule name ("trail-logs", "audit-key"). */
  purpose: string;
  /** Bucket name or KMS key id (what Config's scope calls complianceResourceId). */
  id: pulumi.Input<string>;
}

export interface ManagedRule {
  /** Rule name (the managed rule's documented name, with a suffix when scoped to one bucket). */
  name: string;
  identifier: string;
  parameters?: Record<string, pulumi.Input<string>>;
  /** Scope to one resource of the estate. */
  scope?: { type: "AWS::S3::Bucket" | "AWS::KMS::Key"; id: pulumi.Input<string> };
}

/** The Config managed rules of the MUST items (M1-M5) and 002's example. */
export function managedRules(a: {
  logBucketName: pulumi.Input<string>;
  dataBucketNames: pulumi.Input<string>[];
  buckets: EstateResource[];
  keys: EstateResource[];
  trailLogGroupName: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
  minLogRetentionDays: number;
}): ManagedRule[] {
  // One rule per estate bucket / key: a Config rule's scope names one resource (complianceResourceId).
  const perBucket = (name: string, identifier: string): ManagedRule[] =>
    a.buckets.map((b) => ({ name: `${name}-${b.purpose}`, identifier, scope: { type: "AWS::S3::Bucket" as const, id: b.id } }));
  const perKey = (name: string, identifier: string): ManagedRule[] =>
    a.keys.map((k) => ({ name: `${name}-${k.purpose}`, identifier, scope: { type: "AWS::KMS::Key" as const, id: k.id } }));
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
    {
      name: "s3-bucket-default-lock-enabled",
      identifier: "S3_BUCKET_DEFAULT_LOCK_ENABLED",
      parameters: { mode: "COMPLIANCE" },
      scope: { type: "AWS::S3::Bucket", id: a.logBucketName },
    },
    ...perBucket("s3-bucket-level-public-access-prohibited", "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED"),
    // Scoped: the access-log bucket is SSE-S3 by necessity (E6).
    {
      name: "s3-default-encryption-kms",
      identifier: "S3_DEFAULT_ENCRYPTION_KMS",
      parameters: { kmsKeyArns: a.kmsKeyArn },
      scope: { type: "AWS::S3::Bucket", id: a.logBucketName },
    },
    ...perBucket("s3-bucket-versioning-enabled", "S3_BUCKET_VERSIONING_ENABLED"),
    ...perKey("cmk-backing-key-rotation-enabled", "CMK_BACKING_KEY_ROTATION_ENABLED"),
    {
      name: "cw-loggroup-retention-period-check",
      identifier: "CW_LOGGROUP_RETENTION_PERIOD_CHECK",
      parameters: { LogGroupNames: a.trailLogGroupName, MinRetentionTime: String(a.minLogRetentionDays) },
    },
    ...perBucket("s3-bucket-public-read-prohibited", "S3_BUCKET_PUBLIC_READ_PROHIBITED"),
  ];
}

/**
 * The finding sources' EventBridge events (EventBridge events reference): Security Hub
 * "Security Hub Findings - Imported" (findings is an array of ASFF objects: severity, record state
 * and workflow must hold for one finding), Inspector "Inspector2 Finding", Access Analyzer
 * "Access Analyzer Finding".
 */
export const findingPatterns = {
  guardDuty: { source: ["aws.guardduty"], "detail-type": ["GuardDuty Finding"], detail: { severity: [{ numeric: [">=", 7] }] } },
  securityHub: {
    source: ["aws.securityhub"],
    "detail-type": ["Security Hub Findings - Imported"],
    detail: { findings: { Severity: { Label: ["HIGH", "CRITICAL"] }, RecordState: ["ACTIVE"], Workflow: { Status: ["NEW"] } } },
  },
  inspector: { source: ["aws.inspector2"], "detail-type": ["Inspector2 Finding"], detail: { severity: ["HIGH", "CRITICAL"], status: ["ACTIVE"] } },
  accessAnalyzer: { source: ["aws.access-analyzer"], "detail-type": ["Access Analyzer Finding"], detail: { status: ["ACTIVE"] } },
};

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
      const managedPolicy = new aws.iam.RolePolicyAttachment(
        `${name}-config-role-managed`,
        { role: role.name, policyArn: pulumi.interpolate`arn:${args.partition}:iam::aws:policy/service-role/AWS_ConfigRole` },
        { parent: this },
      );
      const deliveryPolicy = new aws.iam.RolePolicy(
        `${name}-config-role-delivery`,
        {
          role: role.id,
          policy: policyJson(
            [
              {
                sid: "DeliverToConfigBucket",
                effect: "Allow",
                actions: ["s3:PutObject"],
                resources: [pulumi.interpolate`${bucket.arn}/AWSLogs/${args.accountId}/Config/*`],
              },
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
        {
          name: `${base}-delivery`,
          s3BucketName: bucket.bucket,
          s3KmsKeyArn: args.kmsKeyArn,
          snapshotDeliveryProperties: { deliveryFrequency: "TwentyFour_Hours" },
        },
        // PutDeliveryChannel checks delivery through the role: its permissions must exist first.
        { parent: this, dependsOn: [recorder, bucketPolicy, managedPolicy, deliveryPolicy] },
      );
      const status = new aws.cfg.RecorderStatus(`${name}-recorder-status`, { name: recorder.name, isEnabled: true }, { parent: this, dependsOn: [channel] });
      const buckets = [...args.estateBuckets, { purpose: "config", id: args.configBucketName }];
      for (const rule of managedRules({ ...args, buckets, keys: args.estateKeys })) {
        const r = new aws.cfg.Rule(
          `${name}-${rule.name}`,
          {
            name: `${base}-${rule.name}`,
            description: `Managed rule ${rule.identifier} (E10)`,
            source: { owner: "AWS", sourceIdentifier: rule.identifier },
            inputParameters: rule.parameters ? pulumi.jsonStringify(rule.parameters) : undefined,
            scope: rule.scope ? { complianceResourceTypes: [rule.scope.type], complianceResourceId: rule.scope.id } : undefined,
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
            // Every rule of the estate is named "<base>-...": a prefix keeps the pattern short and known at preview.
            detail: { configRuleName: [{ prefix: `${base}-` }], newEvaluationResult: { complianceType: ["NON_COMPLIANT"] } },
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
          eventPattern: JSON.stringify(findingPatterns.guardDuty),
        },
        args.alerts,
      );
    }

    if (services.securityHub) {
      const hub = new aws.securityhub.Account(`${name}-securityhub`, { enableDefaultStandards: false, autoEnableControls: true }, { parent: this });
      // CIS: v3.0.0 for its IAM, storage and logging controls; v1.4.0 because its monitoring
      // section is what the estate's metric filters satisfy. Security Hub implements CIS v1.4.0's
      // 4.3-4.14 as CloudWatch.1 and CloudWatch.4-14; CIS v3.0.0 has no CloudWatch.x control, and
      // CloudWatch.2/.3 (unauthorized calls, sign-in without MFA) belong to v1.2.0 only
      // (https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html).
      for (const [id, arn] of [
        ["fsbp", pulumi.interpolate`arn:${args.partition}:securityhub:${args.region}::standards/aws-foundational-security-best-practices/v/1.0.0`],
        ["cis", pulumi.interpolate`arn:${args.partition}:securityhub:${args.region}::standards/cis-aws-foundations-benchmark/v/3.0.0`],
        ["cis-v1-4", pulumi.interpolate`arn:${args.partition}:securityhub:${args.region}::standards/cis-aws-foundations-benchmark/v/1.4.0`],
      ] as const) {
        new aws.securityhub.StandardsSubscription(`${name}-securityhub-${id}`, { standardsArn: arn }, { parent: this, dependsOn: [hub] });
      }
      routeToAlerts(
        this,
        `${name}-securityhub-findings`,
        {
          name: `${base}-securityhub-findings`,
          description: "E10: Security Hub findings of HIGH or CRITICAL severity, new and active",
          eventPattern: JSON.stringify(findingPatterns.securityHub),
        },
        args.alerts,
      );
    }

    if (services.inspector) {
      new aws.inspector2.Enabler(`${name}-inspector`, { accountIds: [args.accountId], resourceTypes: ["LAMBDA"] }, { parent: this });
      routeToAlerts(
        this,
        `${name}-inspector-findings`,
        {
          name: `${base}-inspector-findings`,
          description: "E10: Inspector findings of HIGH or CRITICAL severity, active",
          eventPattern: JSON.stringify(findingPatterns.inspector),
        },
        args.alerts,
      );
    }

    if (services.accessAnalyzer) {
      new aws.accessanalyzer.Analyzer(`${name}-access-analyzer`, { analyzerName: `${base}-account`, type: "ACCOUNT" }, { parent: this });
      routeToAlerts(
        this,
        `${name}-access-analyzer-findings`,
        {
          name: `${base}-access-analyzer-findings`,
          description: "E10: active IAM Access Analyzer findings (a resource shared outside the account)",
          eventPattern: JSON.stringify(findingPatterns.accessAnalyzer),
        },
        args.alerts,
      );
    }
    this.registerOutputs({});
  }
}
