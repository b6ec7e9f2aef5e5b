// E7 (001 No.56; 002 4.2): the auditor's questions, ready to ask. Saved Logs Insights queries on
// the trail's log group for the 5W1H questions, and an Athena table over the trail's S3 logs with
// partition projection (only the days and regions asked for are scanned), in a workgroup that
// encrypts results with the estate key and caps the bytes one query may scan.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { savedQueryDefinitions } from "../../cloudtrail/queries";
import { bucketBaseline, sseKms } from "../lib/bucket-baseline";
import { denyInsecureTransport, policyJson } from "../lib/policy-document";

export interface AuditQueriesArgs {
  namePrefix: string;
  stack: string;
  accountId: pulumi.Input<string>;
  /** The account whose logs the table reads (the organisation path differs: E15). */
  logPathAccount: pulumi.Input<string>;
  organizationId?: string;
  regions: pulumi.Input<string[]>;
  logBucketName: pulumi.Input<string>;
  trailLogGroupName: pulumi.Input<string>;
  resultsBucketName: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
  deployerRoleArns: string[];
  /** The first day of logs the projection serves (yyyy/MM/dd). */
  projectionStart: string;
  /** Per-query scan limit (bytes): a runaway query cannot scan a year of logs by accident. */
  bytesScannedCutoffPerQuery: number;
}

/** Fallback when the account's regions cannot be listed (a multi-region trail writes a prefix each). */
export const DEFAULT_TRAIL_REGIONS = [
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-south-1",
  "ap-southeast-1",
  "ap-southeast-2",
  "ca-central-1",
  "eu-central-1",
  "eu-north-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "sa-east-1",
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
];

/** The CloudTrail record schema of AWS's "Query AWS CloudTrail logs" page (Athena docs). */
export const CLOUDTRAIL_COLUMNS: { name: string; type: string }[] = [
  { name: "eventversion", type: "string" },
  {
    name: "useridentity",
    type:
      "struct<type:string,principalid:string,arn:string,accountid:string,invokedby:string,accesskeyid:string,username:string," +
      "onbehalfof:struct<userid:string,identitystorearn:string>," +
      "sessioncontext:struct<attributes:struct<mfaauthenticated:string,creationdate:string>,sessionissuer:struct<type:string,principalid:string,arn:string,accountid:string,username:string>,sourceidentity:string,ec2roledelivery:string,webidfederationdata:struct<federatedprovider:string,attributes:map<string,string>>>>",
  },
  { name: "eventtime", type: "string" },
  { name: "eventsource", type: "string" },
  { name: "eventname", type: "string" },
  { name: "awsregion", type: "string" },
  { name: "sourceipaddress", type: "string" },
  { name: "useragent", type: "string" },
  { name: "errorcode", type: "string" },
  { name: "errormessage", type: "string" },
  { name: "requestparameters", type: "string" },
  { name: "responseelements", type: "string" },
  { name: "additionaleventdata", type: "string" },
  { name: "requestid", type: "string" },
  { name: "eventid", type: "string" },
  { name: "readonly", type: "string" },
  { name: "resources", type: "array<struct<arn:string,accountid:string,type:string>>" },
  { name: "eventtype", type: "string" },
  { name: "apiversion", type: "string" },
  { name: "recipientaccountid", type: "string" },
  { name: "serviceeventdetails", type: "string" },
  { name: "sharedeventid", type: "string" },
  { name: "vpcendpointid", type: "string" },
  { name: "vpcendpointaccountid", type: "string" },
  { name: "eventcategory", type: "string" },
  { name: "sessioncredentialfromconsole", type: "string" },
  { name: "edgedevicedetails", type: "string" },
  { name: "tlsdetails", type: "struct<tlsversion:string,ciphersuite:string,clientprovidedhostheader:string>" },
];

/** Partition columns, in the order of the key layout. */
export const CLOUDTRAIL_PARTITION_KEYS = [
  { name: "account", type: "string" },
  { name: "region", type: "string" },
  { name: "timestamp", type: "string" },
];

/** Table parameter naming the account a query reads when it names none (the trail's own). */
export const DEFAULT_ACCOUNT_PARAMETER = "audit_trail.default_account";

/**
 * The table's parameters: partition projection as in AWS's "Create the table for CloudTrail logs
 * in Athena using partition projection"
 * (https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html:
 * region enum, timestamp date yyyy/MM/dd from a start to NOW), plus the account as an `injected`
 * partition (https://docs.aws.amazon.com/athena/latest/ug/partition-projection-dynamic-id-partitioning.html):
 * an organization's accounts are not known at deploy time and change, and an injected column makes
 * every query name its account(s), so a query never lists the whole organization by accident.
 */
export function cloudTrailTableParameters(input: {
  logRoot: pulumi.Input<string>;
  regions: pulumi.Input<string[]>;
  projectionStart: string;
  defaultAccount: pulumi.Input<string>;
}): Record<string, pulumi.Input<string>> {
  return {
    EXTERNAL: "TRUE",
    classification: "cloudtrail",
    // Partition projection: partitions computed from the query, no crawler, no MSCK REPAIR.
    "projection.enabled": "true",
    "projection.account.type": "injected",
    "projection.region.type": "enum",
    "projection.region.values": pulumi.output(input.regions).apply((r) => r.join(",")),
    "projection.timestamp.type": "date",
    "projection.timestamp.format": "yyyy/MM/dd",
    "projection.timestamp.interval": "1",
    "projection.timestamp.interval.unit": "DAYS",
    "projection.timestamp.range": `${input.projectionStart},NOW`,
    "storage.location.template": pulumi.interpolate`${input.logRoot}/\${account}/CloudTrail/\${region}/\${timestamp}`,
    // Logs moved to S3 Glacier Flexible Retrieval / Deep Archive are skipped by Athena unless
    // this is set, and then only their restored copies are read
    // (https://docs.aws.amazon.com/athena/latest/ug/querying-glacier.html). `who` lists the
    // partitions it reads and refuses to answer while any object there is still archived.
    read_restored_glacier_objects: "true",
    [DEFAULT_ACCOUNT_PARAMETER]: input.defaultAccount,
  };
}

export class AuditQueries extends pulumi.ComponentResource {
  readonly databaseName: pulumi.Output<string>;
  readonly tableName: pulumi.Output<string>;
  readonly workgroupName: pulumi.Output<string>;
  readonly resultsBucketName: pulumi.Output<string>;

  constructor(name: string, args: AuditQueriesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("auditTrail:evidence:AuditQueries", name, {}, opts);
    const base = `${args.namePrefix}-${args.stack}`;

    for (const q of savedQueryDefinitions(args.deployerRoleArns, `${base}-audit-trail`)) {
      new aws.cloudwatch.QueryDefinition(
        `${name}-${q.name.split("/").pop()}`,
        { name: q.name, queryString: q.queryString, logGroupNames: [args.trailLogGroupName] },
        { parent: this },
      );
    }

    // Athena results are copies of audit data: encrypted, private, short-lived.
    const results = new aws.s3.Bucket(`${name}-results`, { bucket: args.resultsBucketName, forceDestroy: false }, { parent: this });
    const child = { parent: this, dependsOn: [results] };
    const baseline = bucketBaseline(`${name}-results`, results, child);
    sseKms(`${name}-results`, results, args.kmsKeyArn, child);
    new aws.s3.BucketVersioning(`${name}-results-versioning`, { bucket: results.id, versioningConfiguration: { status: "Enabled" } }, child);
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-results-lifecycle`,
      {
        bucket: results.id,
        // Versioning (kept for the estate's Config rule on versioned buckets, E10) turns the 30-day
        // expiry into a delete marker over a noncurrent copy of the results; without
        // noncurrentVersionExpiration those copies of audit data stayed forever. A day later they
        // go, and the delete markers left behind with them. Current and noncurrent expiry in one
        // rule; ExpiredObjectDeleteMarker cannot share a rule with Days:
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-configuration-examples.html
        rules: [
          {
            id: "expire-query-results",
            status: "Enabled",
            filter: { prefix: "" },
            expiration: { days: 30 },
            noncurrentVersionExpiration: { noncurrentDays: 1 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
          { id: "remove-expired-delete-markers", status: "Enabled", filter: { prefix: "" }, expiration: { expiredObjectDeleteMarker: true } },
        ],
      },
      child,
    );
    new aws.s3.BucketPolicy(
      `${name}-results-policy`,
      { bucket: results.id, policy: policyJson([denyInsecureTransport(results.arn)], { parent: this }) },
      { parent: this, dependsOn: [baseline.publicAccessBlock] },
    );

    const workgroup = new aws.athena.Workgroup(
      `${name}-workgroup`,
      {
        name: `${base}-audit`,
        description: "Audit trail queries (E7): results encrypted with the estate key",
        configuration: {
          enforceWorkgroupConfiguration: true,
          publishCloudwatchMetricsEnabled: true,
          bytesScannedCutoffPerQuery: args.bytesScannedCutoffPerQuery,
          resultConfiguration: {
            outputLocation: pulumi.interpolate`s3://${results.bucket}/athena/`,
            encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: args.kmsKeyArn },
          },
        },
        forceDestroy: false,
      },
      { parent: this },
    );

    const database = new aws.glue.CatalogDatabase(`${name}-database`, { name: `${base.replace(/-/g, "_")}_audit` }, { parent: this });
    // CloudTrail's key layout: AWSLogs/[<o-id>/]<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/
    // (organization trails add the organization id: E15). The account is a partition too, so one
    // table serves every member account of an organization trail (issue 11).
    const logRoot = args.organizationId
      ? pulumi.interpolate`s3://${args.logBucketName}/AWSLogs/${args.organizationId}`
      : pulumi.interpolate`s3://${args.logBucketName}/AWSLogs`;
    const table = new aws.glue.CatalogTable(
      `${name}-cloudtrail-table`,
      {
        name: "cloudtrail_logs",
        databaseName: database.name,
        tableType: "EXTERNAL_TABLE",
        parameters: cloudTrailTableParameters({
          logRoot,
          regions: args.regions,
          projectionStart: args.projectionStart,
          defaultAccount: args.logPathAccount,
        }),
        partitionKeys: CLOUDTRAIL_PARTITION_KEYS,
        storageDescriptor: {
          location: pulumi.interpolate`${logRoot}/`,
          inputFormat: "com.amazon.emr.cloudtrail.CloudTrailInputFormat",
          outputFormat: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
          serDeInfo: { serializationLibrary: "org.apache.hive.hcatalog.data.JsonSerDe" },
          columns: CLOUDTRAIL_COLUMNS,
        },
      },
      { parent: this },
    );

    this.databaseName = database.name;
    this.tableName = table.name;
    this.workgroupName = workgroup.name;
    this.resultsBucketName = results.bucket;
    this.registerOutputs({ databaseName: this.databaseName, tableName: this.tableName, workgroupName: this.workgroupName });
  }
}
