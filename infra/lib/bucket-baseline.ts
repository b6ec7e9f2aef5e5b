// What every bucket of the estate has, written once: the full public access block (M3) and
// ownership enforced, so ACLs are disabled and the bucket owner owns every object (E4).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface BucketBaseline {
  publicAccessBlock: aws.s3.BucketPublicAccessBlock;
  ownershipControls: aws.s3.BucketOwnershipControls;
}

export function bucketBaseline(name: string, bucket: aws.s3.Bucket, opts: pulumi.CustomResourceOptions): BucketBaseline {
  const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
    `${name}-public-access-block`,
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    opts,
  );
  const ownershipControls = new aws.s3.BucketOwnershipControls(
    `${name}-ownership`,
    { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
    opts,
  );
  return { publicAccessBlock, ownershipControls };
}

/** dev2/prd evidence cannot be deleted by a `pulumi destroy` or a refactor (issue 2). */
export function evidenceOptions(parent: pulumi.Resource, protect: boolean): pulumi.CustomResourceOptions {
  return { parent, protect, retainOnDelete: protect };
}

/** M4: default encryption with a customer managed key; the bucket key cuts KMS requests. */
export function sseKms(name: string, bucket: aws.s3.Bucket, kmsKeyArn: pulumi.Input<string>, opts: pulumi.CustomResourceOptions) {
  return new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-encryption`,
    { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: kmsKeyArn }, bucketKeyEnabled: true }] },
    opts,
  );
}

/** E6: server access logs into the access-log bucket, date-partitioned (cheap to export a period). */
export function serverAccessLogging(
  name: string,
  bucket: aws.s3.Bucket,
  bucketName: pulumi.Input<string>,
  target: { bucketName: pulumi.Input<string>; ready: pulumi.Resource[] },
  opts: pulumi.CustomResourceOptions,
) {
  return new aws.s3.BucketLogging(
    `${name}-access-logging`,
    {
      bucket: bucket.id,
      targetBucket: target.bucketName,
      targetPrefix: pulumi.interpolate`s3/${bucketName}/`,
      targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: "EventTime" } },
    },
    { ...opts, dependsOn: [bucket, ...target.ready] },
  );
}
