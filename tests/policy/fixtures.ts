// Synthetic stacks for the policy tests, in the form the engine sends them (RegisteredResource:
// raw inputs and outputs with unknown sentinels, property dependencies), evaluated through the
// policy SDK's own analyzer by offline/analyze.ts. One compliant trail + log bucket per resource
// style; each test mutates a single field and expects that policy's violation.
import * as path from "path";
import { evaluatePolicies, PolicyPackConfig, Violation } from "../../offline/analyze";
import { RegisteredResource, UNKNOWN_SENTINEL } from "../../offline/runProgram";

export const PACK_DIR = path.resolve(__dirname, "../../policy");
export const UNKNOWN = UNKNOWN_SENTINEL;
const ACCT = "123456789012";

export type Style = "v7" | "v2" | "inline";

interface AddOptions {
  /** prop -> names of resources (in this fixture) the value came from. */
  deps?: Record<string, string[]>;
  protect?: boolean;
  /** Outputs beyond the inputs (known mode). */
  outputs?: Record<string, unknown>;
}

export class StackFixture {
  readonly resources: RegisteredResource[] = [];
  constructor(readonly firstPreview: boolean) {}

  urnOf(name: string): string {
    const r = this.resources.find((x) => x.name === name);
    if (!r) throw new Error(`fixture has no resource ${name}`);
    return r.urn;
  }

  add(type: string, name: string, inputs: Record<string, unknown>, opts: AddOptions = {}): this {
    const urn = `urn:pulumi:test::fixture::${type}::${name}`;
    const propertyDependencies = Object.fromEntries(Object.entries(opts.deps ?? {}).map(([k, names]) => [k, names.map((n) => this.urnOf(n))]));
    const outputs = this.firstPreview
      ? { ...inputs, ...Object.fromEntries(Object.keys(opts.outputs ?? {}).filter((k) => !(k in inputs)).map((k) => [k, UNKNOWN])) }
      : { ...inputs, ...(opts.outputs ?? {}) };
    this.resources.push({
      urn,
      type,
      name,
      custom: true,
      protect: opts.protect ?? false,
      retainOnDelete: opts.protect ?? false,
      deleteBeforeReplace: false,
      ignoreChanges: [],
      aliases: [],
      additionalSecretOutputs: [],
      dependencies: [...new Set(Object.values(propertyDependencies).flat())],
      propertyDependencies,
      rawInputs: inputs,
      inputs,
      rawOutputs: outputs,
    });
    return this;
  }

  /** Sets one field (dotted path, array indexes allowed) of a resource's inputs and outputs. */
  set(name: string, field: string, value: unknown): this {
    const r = this.resources.find((x) => x.name === name);
    if (!r) throw new Error(`fixture has no resource ${name}`);
    for (const obj of [r.rawInputs, r.rawOutputs]) {
      const keys = field.split(".");
      let o: any = obj;
      for (const k of keys.slice(0, -1)) o = o[k] ??= {};
      if (value === undefined) delete o[keys[keys.length - 1]];
      else o[keys[keys.length - 1]] = value;
    }
    return this;
  }

  remove(name: string): this {
    const i = this.resources.findIndex((x) => x.name === name);
    if (i < 0) throw new Error(`fixture has no resource ${name}`);
    this.resources.splice(i, 1);
    return this;
  }

  setProtect(name: string, protect: boolean): this {
    const r = this.resources.find((x) => x.name === name)!;
    r.protect = protect;
    return this;
  }

  evaluate(config?: PolicyPackConfig): Promise<Violation[]> {
    return evaluatePolicies(this.resources, { packDir: PACK_DIR, config });
  }
}

export const LOG_BUCKET = "org-trail-logs";
export const ACCESS_BUCKET = "org-access-logs";
export const DATA_BUCKET = "org-medical-backups";
const TRAIL_ARN = `arn:aws:cloudtrail:ap-northeast-1:${ACCT}:trail/org-trail`;
const KEY_ARN = `arn:aws:kms:ap-northeast-1:${ACCT}:key/11111111-2222-4333-a444-555555555555`;

export const LOG_BUCKET_POLICY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Sid: "AclCheck", Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "s3:GetBucketAcl", Resource: `arn:aws:s3:::${LOG_BUCKET}`, Condition: { StringEquals: { "aws:SourceArn": TRAIL_ARN } } },
    { Sid: "Write", Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "s3:PutObject", Resource: `arn:aws:s3:::${LOG_BUCKET}/AWSLogs/${ACCT}/*`, Condition: { StringEquals: { "aws:SourceArn": TRAIL_ARN } } },
    { Sid: "Tls", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [`arn:aws:s3:::${LOG_BUCKET}`, `arn:aws:s3:::${LOG_BUCKET}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } },
  ],
});

const PAB = { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true };
export const TAMPER_PATTERN = JSON.stringify({
  source: ["aws.cloudtrail", "aws.kms", "aws.s3"],
  "detail-type": ["AWS API Call via CloudTrail"],
  detail: {
    eventName: ["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "PutInsightSelectors", "DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy", "PutObjectLockConfiguration", "DeleteBucketPolicy", "PutBucketPolicy", "PutBucketLifecycle", "PutBucketVersioning", "DeleteBucket"],
  },
});

/**
 * A compliant stack: KMS key, immutable log bucket, access-log bucket, data bucket, trail, log
 * group and tamper rule, in the given style. `firstPreview`: ids and ARNs of new resources are
 * unknown, so configuration resources name their bucket only through property dependencies.
 */
export function compliantStack(style: Style, firstPreview = true): StackFixture {
  const f = new StackFixture(firstPreview);
  const bucketRef = (bucket: string) => (firstPreview ? UNKNOWN : bucket);
  const keyRef = firstPreview ? UNKNOWN : KEY_ARN;
  const bucketType = style === "v2" ? "aws:s3/bucketV2:BucketV2" : "aws:s3/bucket:Bucket";
  const sfx = style === "v2" ? "V2" : "";
  const split = (kind: string) => `aws:s3/bucket${kind}${sfx}:Bucket${kind}${sfx}`;
  const bucketOutputs = (b: string) => ({ id: b, arn: `arn:aws:s3:::${b}` });

  f.add("aws:kms/key:Key", "trail-key", { enableKeyRotation: true, deletionWindowInDays: 30 }, { protect: true, outputs: { arn: KEY_ARN, keyId: "k" } });

  if (style === "inline") {
    f.add(
      bucketType,
      "log-bucket",
      {
        bucket: LOG_BUCKET,
        objectLockConfiguration: { objectLockEnabled: "Enabled", rule: { defaultRetention: { mode: "COMPLIANCE", days: 365 } } },
        serverSideEncryptionConfiguration: { rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyRef }, bucketKeyEnabled: true } },
        versioning: { enabled: true },
        lifecycleRules: [{ id: "tier", enabled: true, transitions: [{ days: 90, storageClass: "GLACIER_IR" }] }],
        logging: { targetBucket: ACCESS_BUCKET, targetPrefix: "log-bucket/" },
        policy: LOG_BUCKET_POLICY,
      },
      { protect: true, deps: { serverSideEncryptionConfiguration: ["trail-key"] }, outputs: bucketOutputs(LOG_BUCKET) },
    );
  } else {
    f.add(bucketType, "log-bucket", { bucket: LOG_BUCKET, objectLockEnabled: true, forceDestroy: false }, { protect: true, outputs: bucketOutputs(LOG_BUCKET) });
    const onLog = { deps: { bucket: ["log-bucket"] } };
    f.add(split("ObjectLockConfiguration"), "log-lock", { bucket: bucketRef(LOG_BUCKET), objectLockEnabled: "Enabled", rule: { defaultRetention: { mode: "COMPLIANCE", days: 365 } } }, onLog);
    f.add(
      split("ServerSideEncryptionConfiguration"),
      "log-sse",
      { bucket: bucketRef(LOG_BUCKET), rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyRef }, bucketKeyEnabled: true }] },
      { deps: { bucket: ["log-bucket"], rules: ["trail-key"] } },
    );
    f.add(split("Versioning"), "log-versioning", { bucket: bucketRef(LOG_BUCKET), versioningConfiguration: { status: "Enabled" } }, onLog);
    f.add(
      split("LifecycleConfiguration"),
      "log-lifecycle",
      { bucket: bucketRef(LOG_BUCKET), rules: [{ id: "tier", status: "Enabled", filter: { prefix: "" }, transitions: [{ days: 90, storageClass: "GLACIER_IR" }] }] },
      onLog,
    );
    f.add("aws:s3/bucketPolicy:BucketPolicy", "log-policy", { bucket: bucketRef(LOG_BUCKET), policy: LOG_BUCKET_POLICY }, onLog);
  }
  f.add("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "log-pab", { bucket: bucketRef(LOG_BUCKET), ...PAB }, { deps: { bucket: ["log-bucket"] } });

  // The access-log target: SSE-S3, exempt from SSE-KMS, but not from the public access block.
  f.add(bucketType, "access-bucket", { bucket: ACCESS_BUCKET }, { outputs: bucketOutputs(ACCESS_BUCKET) });
  f.add(split("ServerSideEncryptionConfiguration"), "access-sse", { bucket: bucketRef(ACCESS_BUCKET), rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }, { deps: { bucket: ["access-bucket"] } });
  f.add("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "access-pab", { bucket: bucketRef(ACCESS_BUCKET), ...PAB }, { deps: { bucket: ["access-bucket"] } });
  if (style !== "inline") {
    f.add(split("Logging"), "log-bucket-logging", { bucket: bucketRef(LOG_BUCKET), targetBucket: ACCESS_BUCKET, targetPrefix: "log-bucket/" }, { deps: { bucket: ["log-bucket"], targetBucket: ["access-bucket"] } });
  }

  f.add(bucketType, "data-bucket", { bucket: DATA_BUCKET }, { outputs: bucketOutputs(DATA_BUCKET) });
  f.add("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "data-pab", { bucket: bucketRef(DATA_BUCKET), ...PAB }, { deps: { bucket: ["data-bucket"] } });

  f.add("aws:cloudwatch/logGroup:LogGroup", "trail-log-group", { name: "/aws/cloudtrail/org-trail", retentionInDays: 365, kmsKeyId: keyRef }, { deps: { kmsKeyId: ["trail-key"] }, outputs: { arn: `arn:aws:logs:ap-northeast-1:${ACCT}:log-group:/aws/cloudtrail/org-trail` } });
  f.add(
    "aws:cloudtrail/trail:Trail",
    "trail",
    {
      name: "org-trail",
      s3BucketName: LOG_BUCKET,
      kmsKeyId: keyRef,
      enableLogFileValidation: true,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      cloudWatchLogsGroupArn: firstPreview ? UNKNOWN : `arn:aws:logs:ap-northeast-1:${ACCT}:log-group:/aws/cloudtrail/org-trail:*`,
      advancedEventSelectors: [
        { name: "mgmt", fieldSelectors: [{ field: "eventCategory", equals: ["Management"] }] },
        {
          name: "data",
          fieldSelectors: [
            { field: "eventCategory", equals: ["Data"] },
            { field: "resources.type", equals: ["AWS::S3::Object"] },
            { field: "resources.ARN", startsWiths: [`arn:aws:s3:::${DATA_BUCKET}/`] },
          ],
        },
      ],
    },
    { deps: { s3BucketName: ["log-bucket"], kmsKeyId: ["trail-key"], cloudWatchLogsGroupArn: ["trail-log-group"] }, outputs: { arn: TRAIL_ARN } },
  );
  f.add("aws:cloudwatch/eventRule:EventRule", "tamper-rule", { eventPattern: TAMPER_PATTERN });
  return f;
}

export const byPolicy = (vs: Violation[], policy: string) => vs.filter((v) => v.policy === policy);
