// The project's requirements in its own words: one entry per id (M1-M5, E1-E16, A1-A6), what it
// demands, and the AWS pages that force a setting or a design choice. docs/requirements.md is
// generated from this catalogue plus a scan of the code's own annotations (generate-requirements.ts):
// the demands are written here once; "implemented in" and "tested by" are never written by hand.

export interface AwsReference {
  title: string;
  url: string;
  /** What the page forces, in one clause. */
  forces: string;
}

export interface Requirement {
  id: string;
  title: string;
  /** What it demands, concretely (settings, behaviour), in the project's words. */
  demands: string;
  references: readonly AwsReference[];
}

export interface RequirementGroup {
  heading: string;
  intro: string;
  requirements: readonly Requirement[];
}

const aws = (title: string, url: string, forces: string): AwsReference => ({ title, url, forces });

const CLOUDTRAIL_BUCKET_POLICY = aws(
  "Amazon S3 bucket policy for CloudTrail",
  "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html",
  "the statements CloudTrail needs (GetBucketAcl, PutObject with bucket-owner-full-control) and the aws:SourceArn condition",
);
const OBJECT_LOCK = aws(
  "Locking objects with Object Lock",
  "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html",
  "COMPLIANCE retention cannot be shortened or removed by any user, root included; Object Lock needs versioning",
);
const DATA_EVENTS = aws(
  "Logging data events",
  "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html",
  "advanced event selectors with resources.ARN StartsWith scope data events to named buckets",
);

export const REQUIREMENT_GROUPS: readonly RequirementGroup[] = [
  {
    heading: "MUST items (M1-M5)",
    intro:
      "The five properties an auditor checks first. The policy pack enforces them as mandatory in dev2 and prd and reports them (advisory) in dev, " +
      "on every stack of the organisation, including resources this program did not create.",
    requirements: [
      {
        id: "M1",
        title: "Log file integrity validation",
        demands:
          "Every CloudTrail trail has log file validation on (`enableLogFileValidation: true`), so each hour's digest file signs the log files delivered in it and the chain can be verified later (E13).",
        references: [
          aws(
            "Validating CloudTrail log file integrity",
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html",
            "digest files are only written while validation is enabled",
          ),
        ],
      },
      {
        id: "M2",
        title: "Object Lock in COMPLIANCE mode",
        demands:
          "The trail's log bucket has Object Lock enabled (at creation, or on the versioned bucket through its lock configuration) with a default retention in COMPLIANCE mode, never GOVERNANCE, in dev2 and prd. dev may use a short GOVERNANCE retention, reported as advisory.",
        references: [
          OBJECT_LOCK,
          aws(
            "Configuring Object Lock",
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html",
            "Object Lock can be enabled on an existing versioned bucket; once on, it cannot be turned off",
          ),
        ],
      },
      {
        id: "M3",
        title: "Block Public Access on every bucket",
        demands: "All four flags (BlockPublicAcls, BlockPublicPolicy, IgnorePublicAcls, RestrictPublicBuckets) are true on every bucket of the estate.",
        references: [
          aws(
            "Blocking public access to your Amazon S3 storage",
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
            "what each of the four settings blocks",
          ),
        ],
      },
      {
        id: "M4",
        title: "SSE-KMS with a customer managed key",
        demands:
          "The log bucket's default encryption is `aws:kms` (or `aws:kms:dsse`) with a customer managed key and the bucket key on; the trail itself encrypts with `kmsKeyId`; the key rotates yearly.",
        references: [
          aws(
            "Encrypting CloudTrail log files with AWS KMS keys",
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/encrypting-cloudtrail-log-files-with-aws-kms.html",
            "the key policy statements CloudTrail needs to encrypt, and readers need to decrypt",
          ),
          aws(
            "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys",
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html",
            "with a bucket key the encryption context is the bucket ARN",
          ),
          aws("Rotate AWS KMS keys", "https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html", "automatic rotation of customer managed keys"),
        ],
      },
      {
        id: "M5",
        title: "Retention of at least 365 days",
        demands:
          "Object Lock default retention of at least 365 days (or 1 year); no lifecycle rule expires current or noncurrent versions earlier; the trail's CloudWatch Logs group keeps at least 365 days.",
        references: [
          OBJECT_LOCK,
          aws(
            "Change log data retention in CloudWatch Logs",
            "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html#SettingLogRetention",
            "the retention values a log group accepts",
          ),
        ],
      },
    ],
  },
  {
    heading: "The estate (E1-E16)",
    intro: "What the program builds and runs, part by part.",
    requirements: [
      {
        id: "E1",
        title: "Multi-region trail of all management events",
        demands: "One multi-region trail with global service events and every read and write management event; nothing excluded.",
        references: [
          aws(
            "Receiving CloudTrail log files from multiple Regions",
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/receive-cloudtrail-log-files-from-multiple-regions.html",
            "a multi-region trail records every Region, including ones enabled later",
          ),
          aws(
            "Logging management events",
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html",
            "read and write management events and the KMS/RDS Data API exclusions that must stay off",
          ),
        ],
      },
      {
        id: "E2",
        title: "S3 data events on the medical-data buckets only",
        demands:
          "GetObject, PutObject and DeleteObject (read and write) on the backup-data bucket(s), through advanced event selectors scoped to those buckets, never all buckets (cost, and a write loop on the log bucket).",
        references: [DATA_EVENTS],
      },
      {
        id: "E3",
        title: "A dedicated log bucket",
        demands: "The trail writes to its own bucket, separate from the backup-data bucket and from every other bucket of the estate.",
        references: [CLOUDTRAIL_BUCKET_POLICY],
      },
      {
        id: "E4",
        title: "The log bucket's baseline",
        demands:
          "Versioning, Object Lock COMPLIANCE 365 days (M2, M5), SSE-KMS with bucket key (M4), full public access block (M3), object ownership BucketOwnerEnforced, lifecycle to GLACIER_IR at 90 days and DEEP_ARCHIVE at 180 days, and no expiration.",
        references: [
          aws(
            "Managing the lifecycle of objects",
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html",
            "transitions and their minimum storage durations",
          ),
          aws(
            "Controlling ownership of objects",
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html",
            "BucketOwnerEnforced disables ACLs",
          ),
        ],
      },
      {
        id: "E5",
        title: "Only CloudTrail writes the log bucket",
        demands:
          "The bucket policy lets CloudTrail write (`s3:PutObject` conditioned on `aws:SourceArn` = the trail and `aws:SourceAccount`) and read the ACL, denies every request without TLS, and denies other writers.",
        references: [
          CLOUDTRAIL_BUCKET_POLICY,
          aws(
            "Security best practices for Amazon S3",
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html",
            "deny requests where aws:SecureTransport is false",
          ),
        ],
      },
      {
        id: "E6",
        title: "Server access logs in a separate bucket",
        demands:
          "Server access logging of the log bucket and of the data bucket into a separate access-log bucket, which has no Object Lock default retention and uses SSE-S3: S3 cannot deliver access logs otherwise.",
        references: [
          aws(
            "Enabling Amazon S3 server access logging",
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html",
            "the target bucket must not have a default Object Lock retention and must use SSE-S3",
          ),
        ],
      },
      {
        id: "E7",
        title: "Query the trail: CloudWatch Logs, saved queries, Athena",
        demands:
          "The trail also delivers to a KMS-encrypted CloudWatch Logs group kept at least 365 days; saved Logs Insights queries answer the 5W1H questions; an Athena table with partition projection reads the S3 logs.",
        references: [
          aws(
            "Sending events to CloudWatch Logs",
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html",
            "the delivery role and its trust policy",
          ),
          aws(
            "Querying AWS CloudTrail logs (Athena)",
            "https://docs.aws.amazon.com/athena/latest/ug/cloudtrail-logs.html",
            "the table and partition projection for CloudTrail's S3 layout",
          ),
        ],
      },
      {
        id: "E8",
        title: "Alert on tampering",
        demands:
          "EventBridge rules on StopLogging, DeleteTrail, UpdateTrail, PutEventSelectors, DisableKey, ScheduleKeyDeletion, PutObjectLockConfiguration, DeleteBucketPolicy, PutBucketPolicy and PutBucketLifecycle reach the environment's Slack channel through SNS and the notifier; a delivery that fails is kept in a dead-letter queue, never dropped.",
        references: [
          aws(
            "Events from AWS services (EventBridge)",
            "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event.html",
            "API calls reach EventBridge only through a trail that is logging",
          ),
          aws(
            "Amazon SNS dead-letter queues",
            "https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html",
            "where undeliverable messages are kept",
          ),
        ],
      },
      {
        id: "E9",
        title: "Alarms on bursts of failures",
        demands: "Metric filters and alarms on bursts of authentication failures, AccessDenied / 403 and WAF blocks, on the same notification path as E8.",
        references: [
          aws(
            "Creating metrics from log events using filters",
            "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/MonitoringLogData.html",
            "metric filter pattern syntax over JSON log events",
          ),
        ],
      },
      {
        id: "E10",
        title: "Posture services",
        demands:
          "AWS Config recorder and rules for the MUST items and `s3-bucket-public-read-prohibited`, with its own delivery bucket (Config cannot deliver into an Object Lock bucket); GuardDuty with S3 protection; Security Hub with AWS FSBP and CIS; Inspector; IAM Access Analyzer.",
        references: [
          aws(
            "Permissions for the Amazon S3 bucket of the AWS Config delivery channel",
            "https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html",
            "the bucket policy Config needs for delivery",
          ),
          aws(
            "GuardDuty S3 Protection",
            "https://docs.aws.amazon.com/guardduty/latest/ug/s3-protection.html",
            "S3 data-plane threat detection is a separate feature to enable",
          ),
          aws(
            "Security Hub standards reference",
            "https://docs.aws.amazon.com/securityhub/latest/userguide/standards-reference.html",
            "the FSBP and CIS standards and their controls",
          ),
        ],
      },
      {
        id: "E11",
        title: "The backup-data bucket",
        demands: "The bucket that holds medical data: SSE-KMS, versioning, public access block, TLS-only policy, server access logs (E6), data events (E2).",
        references: [
          aws(
            "Using server-side encryption with AWS KMS keys",
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html",
            "SSE-KMS headers and the bucket policy conditions on them",
          ),
        ],
      },
      {
        id: "E12",
        title: "Presigned-URL API with an audit record per request",
        demands:
          "API Gateway and a Lambda function issue short-lived S3 presigned URLs for the backup-data bucket, each caller only under its own prefix; every request, allowed or refused, writes one audit record with the six fields A1-A6; access logs carry request and response metadata; WAF with logging; optional mutual TLS on a custom domain. Uploads sign Content-MD5, which S3 requires for PUTs into a bucket with Object Lock default retention.",
        references: [
          aws(
            "Sharing objects with presigned URLs",
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html",
            "a URL is valid only as long as the credentials that signed it",
          ),
          aws(
            "Authenticating requests: using query parameters (SigV4)",
            "https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html",
            "the presigned URL format and its 7-day limit",
          ),
          aws(
            "Managing Object Lock",
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html",
            "PUTs into a bucket with default retention need Content-MD5 or a checksum header",
          ),
          aws(
            "Mutual TLS for REST APIs",
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-mutual-tls.html",
            "a regional custom domain with the TLS_1_2 policy and a truststore",
          ),
        ],
      },
      {
        id: "E13",
        title: "Evidence package and digest verification",
        demands:
          "One command regenerates the evidence: trail status and configuration, integrity of the digest chain over a period (like `aws cloudtrail validate-logs`, also offline on an exported copy), Object Lock configuration, review records, Config compliance.",
        references: [
          aws(
            "Validating CloudTrail log file integrity with the AWS CLI",
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-cli.html",
            "what validate-logs checks",
          ),
          aws(
            "CloudTrail digest file structure",
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html",
            "digest fields, the signing string and the hourly cadence",
          ),
        ],
      },
      {
        id: "E14",
        title: "Automated daily review",
        demands:
          "A scheduled job summarises the last day's non-routine operations and stores a review record in the locked bucket (PCI DSS 10.4.1 / 10.4.1.1); it checks the trail's status itself, since a stopped trail sends no events.",
        references: [
          aws(
            "GetTrailStatus",
            "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetTrailStatus.html",
            "IsLogging and the latest delivery times the review reads",
          ),
        ],
      },
      {
        id: "E15",
        title: "Organisation trail option",
        demands: "An option to run the trail as an AWS Organizations trail into a log-archive account, for organisations that outgrow one account.",
        references: [
          aws(
            "Creating a trail for an organization",
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-trail-organization.html",
            "the management account or a delegated administrator creates it; member accounts cannot change it",
          ),
        ],
      },
      {
        id: "E16",
        title: "Database audit logs",
        demands: "Where a database exists: Aurora/RDS log export to CloudWatch Logs with at least 365 days retention; DynamoDB data events.",
        references: [
          aws(
            "Publishing Aurora logs to CloudWatch Logs",
            "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_LogAccess.Procedural.UploadtoCloudWatch.html",
            "which log types can be exported",
          ),
          DATA_EVENTS,
        ],
      },
    ],
  },
  {
    heading: "Audit record fields (A1-A6)",
    intro:
      "The six fields every audit record of the estate's own services carries (the presign API's record, the review record). " +
      "Business data and personal information never appear in plaintext in a log (No.50): what a client chose is logged as an HMAC.",
    requirements: [
      { id: "A1", title: "Time", demands: "The exact time with its time zone explicit: UTC, ISO 8601 with `Z`; local time only on display.", references: [] },
      {
        id: "A2",
        title: "User",
        demands: "Who: the user id and the credential used (access key id, client certificate); also the role and the permission exercised.",
        references: [],
      },
      { id: "A3", title: "Action", demands: "What was done (issue an upload URL, refuse a download, ...), as a fixed vocabulary.", references: [] },
      { id: "A4", title: "Target", demands: "What it was done to: bucket and object key (client-chosen parts as HMAC).", references: [] },
      { id: "A5", title: "Source", demands: "From where and how: IP address, User-Agent, access method, transport (TLS or mutual TLS).", references: [] },
      { id: "A6", title: "Result", demands: "Success or failure, the HTTP status and an error code.", references: [] },
    ],
  },
];

export const ENVIRONMENTS_SECTION = `## Environments

| stack | audit trail | notifications | data | MUST items (M1-M5) |
|---|---|---|---|---|
| dev | optional, deployed by default | optional | masked | advisory (reported, not blocking) |
| dev2 | required | non-routine operations notify | real | mandatory |
| prd | required | non-routine operations notify | real | mandatory |

Slack channels: \`bs-notification-dev\`, \`bs-notification-stg\` (dev2), \`bs-notification-prd\`.
`;
