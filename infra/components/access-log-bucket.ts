// E6: the target of S3 server access logs of the log bucket and the data bucket.
// It is a separate bucket because S3 cannot deliver access logs into a bucket with an Object Lock
// default retention, and its default encryption is SSE-S3 because server access logging supports
// no other (S3 docs: "Enabling Amazon S3 server access logging", target bucket requirements).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { bucketBaseline, evidenceOptions } from "../lib/bucket-baseline";
import { denyInsecureTransport, policyJson } from "../lib/policy-document";

export interface AccessLogBucketArgs {
  bucketName: pulumi.Input<string>;
  accountId: pulumi.Input<string>;
  /** Access logs are kept this long, then expire (this bucket is not the trail's evidence). */
  retentionDays: number;
  /** dev2/prd: nobody deletes an access log; only the lifecycle rule expires them (PCI DSS 10.5.1). */
  denyObjectDeletion: boolean;
  protect: boolean;
}

export class AccessLogBucket extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;
  /** Server access logging of other buckets must wait for the policy that lets S3 write here. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: AccessLogBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("auditTrail:storage:AccessLogBucket", name, {}, opts);
    const evidence = evidenceOptions(this, args.protect);
    const bucket = new aws.s3.Bucket(name, { bucket: args.bucketName }, evidence);
    const child = { parent: this, dependsOn: [bucket] };
    const baseline = bucketBaseline(name, bucket, child);
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      child,
    );
    new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, child);
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: bucket.id,
        rules: [
          {
            id: "expire-access-logs",
            status: "Enabled",
            filter: { prefix: "" },
            expiration: { days: args.retentionDays },
            // PCI DSS 10.5.1 (12 months, the last 3 immediately available): a log overwritten or
            // hidden by a delete marker keeps its old version as long as a current one is kept, so
            // no access log disappears before retentionDays (all in STANDARD: immediately
            // available). The price: a version expired at retentionDays stays as long again.
            noncurrentVersionExpiration: { noncurrentDays: args.retentionDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
        ],
      },
      child,
    );
    const policy = new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket: bucket.id,
        policy: policyJson(
          [
            {
              // S3 docs: grant the logging service principal, bound to this account's buckets.
              sid: "S3ServerAccessLogsPolicy",
              effect: "Allow",
              principals: [{ type: "Service", identifiers: ["logging.s3.amazonaws.com"] }],
              actions: ["s3:PutObject"],
              resources: [pulumi.interpolate`${bucket.arn}/*`],
              conditions: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [args.accountId] }],
            },
            denyInsecureTransport(bucket.arn),
            ...(args.denyObjectDeletion
              ? [
                  {
                    // E6/PCI DSS 10.2, 10.3.2: server access logs are erased only by the lifecycle
                    // rule (S3 itself, which a bucket policy does not constrain), never by a principal.
                    sid: "DenyDeletesExceptByLifecycle",
                    effect: "Deny",
                    principals: [{ type: "*", identifiers: ["*"] }],
                    actions: ["s3:DeleteObject", "s3:DeleteObjectVersion"],
                    resources: [pulumi.interpolate`${bucket.arn}/*`],
                  },
                ]
              : []),
          ],
          { parent: this },
        ),
      },
      { parent: this, dependsOn: [baseline.publicAccessBlock] },
    );
    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.ready = [policy, baseline.ownershipControls];
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
  }
}
