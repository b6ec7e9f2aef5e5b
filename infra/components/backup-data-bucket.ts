// E11: the bucket that holds the backups with medical data. Encrypted with its own key (not the
// estate's audit key): the people and services that read medical data and those that read audit
// logs are different, and disabling one key must not take the other data down with it.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { bucketBaseline, evidenceOptions, serverAccessLogging, sseKms } from "../lib/bucket-baseline";
import { denyInsecureTransport, policyJson } from "../lib/policy-document";

export interface BackupDataBucketArgs {
  bucketName: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
  accessLogBucketName: pulumi.Input<string>;
  accessLogReady: pulumi.Resource[];
  protect: boolean;
}

export class BackupDataBucket extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;

  constructor(name: string, args: BackupDataBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("auditTrail:storage:BackupDataBucket", name, {}, opts);
    const evidence = evidenceOptions(this, args.protect);
    const bucket = new aws.s3.Bucket(name, { bucket: args.bucketName, forceDestroy: false }, evidence);
    const child = { ...evidence, dependsOn: [bucket] };
    const baseline = bucketBaseline(name, bucket, child);
    new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, child);
    sseKms(name, bucket, args.kmsKeyArn, child);
    serverAccessLogging(name, bucket, args.bucketName, { bucketName: args.accessLogBucketName, ready: args.accessLogReady }, child);
    new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket: bucket.id,
        policy: policyJson(
          [
            denyInsecureTransport(bucket.arn),
            {
              // An upload that names another key (or SSE-S3) would escape this key's audit trail.
              sid: "DenyOtherEncryptionKeys",
              effect: "Deny",
              principals: [{ type: "*", identifiers: ["*"] }],
              actions: ["s3:PutObject"],
              resources: [pulumi.interpolate`${bucket.arn}/*`],
              conditions: [{ test: "StringNotEqualsIfExists", variable: "s3:x-amz-server-side-encryption-aws-kms-key-id", values: [args.kmsKeyArn] }],
            },
            {
              sid: "DenyNonKmsEncryption",
              effect: "Deny",
              principals: [{ type: "*", identifiers: ["*"] }],
              actions: ["s3:PutObject"],
              resources: [pulumi.interpolate`${bucket.arn}/*`],
              conditions: [{ test: "StringNotEqualsIfExists", variable: "s3:x-amz-server-side-encryption", values: ["aws:kms"] }],
            },
          ],
          { parent: this },
        ),
      },
      { ...evidence, dependsOn: [baseline.publicAccessBlock] },
    );
    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
  }
}
