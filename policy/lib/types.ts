// Resource type tokens the pack judges. Strings, not `@pulumi/aws` classes: the pack must not load
// the 100 MB provider SDK to evaluate a preview (and must judge programs written against any
// provider version, v6 or v7).
import type { ResourceValidation, StackValidation } from "@pulumi/policy";

export const BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"] as const;
export const TRAIL = "aws:cloudtrail/trail:Trail";
export const KMS_KEY = "aws:kms/key:Key";
export const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
export const EVENT_RULE = "aws:cloudwatch/eventRule:EventRule";
export const BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";
export const PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
export const ACCOUNT_PUBLIC_ACCESS_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock";

/** Split configuration resources, v7 names and the deprecated V2 names. */
export const OBJECT_LOCK = [
  "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
  "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
];
export const ENCRYPTION = [
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
];
export const VERSIONING = ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"];
export const LIFECYCLE = [
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
];
export const LOGGING = ["aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2"];

/** E16: databases whose audit logs must be exported, and tables whose data events a trail records. */
export const RDS_CLUSTER = "aws:rds/cluster:Cluster";
export const RDS_INSTANCE = "aws:rds/instance:Instance";
export const DYNAMODB_TABLE = "aws:dynamodb/table:Table";

/**
 * Marks a validateResource function as applying to one type only, the way the SDK's
 * `validateResourceOfType` does (`__pulumiType`, read by policy.js `getPulumiType`): the analyzer
 * then skips other resources without deserialising their properties for this policy.
 */
export function onlyType<F extends ResourceValidation | StackValidation>(type: string, fn: F): F {
  (fn as unknown as { __pulumiType: string }).__pulumiType = type;
  return fn;
}
