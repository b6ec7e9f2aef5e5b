// E3/E4/E5: the dedicated bucket that receives the trail's logs and digests, and that nobody,
// root included, can alter or delete before the retention ends (M2 COMPLIANCE, M5 >= 365 days).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { RetentionProfile, LifecycleProfile } from "../config/profile";
import { bucketBaseline, evidenceOptions, serverAccessLogging, sseKms } from "../lib/bucket-baseline";
import { denyInsecureTransport, policyJson, Statement } from "../lib/policy-document";

/** Prefix the daily review job (E14) writes its records under. */
import { REVIEW_PREFIX } from "../../cloudtrail/constants";
export { REVIEW_PREFIX };

export interface ImmutableLogBucketArgs {
  bucketName: pulumi.Input<string>;
  accountId: pulumi.Input<string>;
  /** The one trail allowed to write (aws:SourceArn), known before the trail exists. */
  trailArn: pulumi.Input<string>;
  /** E15: an organisation trail also writes under AWSLogs/<organizationId>/. */
  organizationId?: string;
  kmsKeyArn: pulumi.Input<string>;
  retention: RetentionProfile;
  lifecycle: LifecycleProfile;
  accessLogBucketName: pulumi.Input<string>;
  /** Wait for the access-log bucket's policy before enabling logging into it. */
  accessLogReady: pulumi.Resource[];
  /** E14: the only principal besides CloudTrail that may write, and only under `review/`. */
  reviewWriterRoleArns?: pulumi.Input<string>[];
  /**
   * dev2/prd: nobody deletes objects (a delete marker hides a log from every reader even while the
   * version is locked) or touches retention and legal holds. dev keeps them for clean-ups.
   */
  denyObjectDeletion: boolean;
  protect: boolean;
}

export class ImmutableLogBucket extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;
  /** The trail must be created after the policy that lets CloudTrail write (CloudTrail checks it). */
  readonly policy: aws.s3.BucketPolicy;

  constructor(name: string, args: ImmutableLogBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("auditTrail:storage:ImmutableLogBucket", name, {}, opts);
    const evidence = evidenceOptions(this, args.protect);
    // M2: Object Lock can only be turned on when the bucket is created. Never forceDestroy.
    const bucket = new aws.s3.Bucket(name, { bucket: args.bucketName, objectLockEnabled: true, forceDestroy: false }, evidence);
    const child = { ...evidence, dependsOn: [bucket] };
    const baseline = bucketBaseline(name, bucket, child);

    // Object Lock needs versioning; S3 turns it on with Object Lock, this keeps it declared.
    const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, child);
    new aws.s3.BucketObjectLockConfiguration(
      `${name}-object-lock`,
      {
        bucket: bucket.id,
        objectLockEnabled: "Enabled",
        // M2/M5: COMPLIANCE retention cannot be shortened or removed by anyone until it ends.
        rule: { defaultRetention: { mode: args.retention.mode, days: args.retention.days } },
      },
      { ...child, dependsOn: [versioning] },
    );
    // M4: SSE-KMS with the estate's customer managed key.
    sseKms(name, bucket, args.kmsKeyArn, child);
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: bucket.id,
        transitionDefaultMinimumObjectSize: "all_storage_classes_128K",
        rules: [
          {
            // E4: cheaper storage over time, and no expiration of current or noncurrent versions.
            // Issue 15: GLACIER_IR is read instantly (GetObject, Athena) and DEEP_ARCHIVE only after
            // a restore, so DEEP_ARCHIVE starts after the first year (profile: >= 366 days in
            // dev2/prd). Objects under 128 KB, i.e. most CloudTrail log files and every digest, are
            // never transitioned: S3's default minimum (stated explicitly below) is cheaper for
            // them than any transition (README "Storage classes and cost", with the figures).
            id: "tier-logs-never-expire",
            status: "Enabled",
            filter: { prefix: "" },
            transitions: [
              { days: args.lifecycle.glacierIrAfterDays, storageClass: "GLACIER_IR" },
              { days: args.lifecycle.deepArchiveAfterDays, storageClass: "DEEP_ARCHIVE" },
            ],
            noncurrentVersionTransitions: [
              { noncurrentDays: args.lifecycle.glacierIrAfterDays, storageClass: "GLACIER_IR" },
              { noncurrentDays: args.lifecycle.deepArchiveAfterDays, storageClass: "DEEP_ARCHIVE" },
            ],
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
        ],
      },
      child,
    );
    serverAccessLogging(name, bucket, args.bucketName, { bucketName: args.accessLogBucketName, ready: args.accessLogReady }, child);

    const objects = pulumi.interpolate`${bucket.arn}/*`;
    // AWS's documented bucket policy, statement for statement ("Amazon S3 bucket policy for
    // CloudTrail", https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html,
    // and its organisation-trail example): CloudTrail bound to this trail by aws:SourceArn only. For
    // an organisation trail the member accounts' logs are delivered under AWSLogs/<o-id>/<account>/
    // with aws:SourceArn = the management account's trail ARN, so a condition on aws:SourceAccount =
    // a member account, or a path per member, would refuse them; the example has neither.
    const thisTrail = { test: "StringEquals", variable: "aws:SourceArn", values: [args.trailArn] };
    const ownerFullControl = { test: "StringEquals", variable: "s3:x-amz-acl", values: ["bucket-owner-full-control"] };
    const cloudtrail = [{ type: "Service", identifiers: ["cloudtrail.amazonaws.com"] }];
    const statements: pulumi.Input<Statement>[] = [
      {
        sid: "AWSCloudTrailAclCheck",
        effect: "Allow",
        principals: cloudtrail,
        actions: ["s3:GetBucketAcl"],
        resources: [bucket.arn],
        conditions: [thisTrail],
      },
      {
        // Also what keeps delivery working if the trail stops being an organisation trail.
        sid: "AWSCloudTrailWrite",
        effect: "Allow",
        principals: cloudtrail,
        actions: ["s3:PutObject"],
        resources: [pulumi.interpolate`${bucket.arn}/AWSLogs/${args.accountId}/*`],
        conditions: [ownerFullControl, thisTrail],
      },
      ...(args.organizationId
        ? [
            {
              // E15: every member account's logs and digests, under the organisation's prefix.
              sid: "AWSCloudTrailOrganizationWrite",
              effect: "Allow",
              principals: cloudtrail,
              actions: ["s3:PutObject"],
              resources: [pulumi.interpolate`${bucket.arn}/AWSLogs/${args.organizationId}/*`],
              conditions: [ownerFullControl, thisTrail],
            },
          ]
        : []),
      denyInsecureTransport(bucket.arn),
      {
        // E5: nobody but CloudTrail writes logs. A missing aws:PrincipalServiceName (any IAM
        // principal) matches StringNotEquals, so only the CloudTrail service principal passes.
        sid: "DenyWritesByOthers",
        effect: "Deny",
        principals: [{ type: "*", identifiers: ["*"] }],
        actions: ["s3:PutObject"],
        ...(args.reviewWriterRoleArns?.length ? { notResources: [pulumi.interpolate`${bucket.arn}/${REVIEW_PREFIX}*`] } : { resources: [objects] }),
        conditions: [{ test: "StringNotEquals", variable: "aws:PrincipalServiceName", values: ["cloudtrail.amazonaws.com"] }],
      },
    ];
    if (args.denyObjectDeletion) {
      statements.push({
        sid: "DenyDeletesAndRetentionChanges",
        effect: "Deny",
        principals: [{ type: "*", identifiers: ["*"] }],
        actions: ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:PutObjectLegalHold", "s3:BypassGovernanceRetention"],
        resources: [objects],
      });
    }
    if (args.reviewWriterRoleArns?.length) {
      statements.push({
        // E14: under review/ only the review jobs' roles may write (the daily review; on an
        // organisation trail also the organisation verification's reducer, issue 11).
        sid: "DenyReviewWritesByOthers",
        effect: "Deny",
        principals: [{ type: "*", identifiers: ["*"] }],
        actions: ["s3:PutObject"],
        resources: [pulumi.interpolate`${bucket.arn}/${REVIEW_PREFIX}*`],
        conditions: [{ test: "ArnNotEquals", variable: "aws:PrincipalArn", values: args.reviewWriterRoleArns }],
      });
    }
    this.policy = new aws.s3.BucketPolicy(
      `${name}-policy`,
      { bucket: bucket.id, policy: policyJson(statements, { parent: this }) },
      // S3 rejects a policy while the public access block is being created: order them.
      { ...evidence, dependsOn: [baseline.publicAccessBlock] },
    );

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
  }
}
