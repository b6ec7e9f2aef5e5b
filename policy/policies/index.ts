// Every policy of the pack, importable without constructing the PolicyPack (constructing it
// starts the analyzer's gRPC server).
import { DocumentedPolicy } from "../lib/metadata";
import { tamperAlerts } from "./aws-cloudwatch-eventrule-require-tamper-alerts";
import { trailLogGroupRetention } from "./aws-cloudwatch-loggroup-require-retention-365-days";
import { trailLogFileValidation } from "./aws-cloudtrail-trail-enable-log-file-validation";
import { trailKmsKey } from "./aws-cloudtrail-trail-require-kms-key";
import { trailMultiRegion } from "./aws-cloudtrail-trail-require-multi-region-global-events";
import { dataEventScope } from "./aws-cloudtrail-trail-restrict-data-event-scope";
import { kmsKeyRotation } from "./aws-kms-key-enable-rotation";
import { protectEvidence } from "./aws-s3-bucket-protect-trail-logs";
import { objectLockCompliance } from "./aws-s3-bucket-require-object-lock-compliance";
import { publicAccessBlock } from "./aws-s3-bucket-require-public-access-block";
import { trailLogRetention } from "./aws-s3-bucket-require-retention-365-days";
import { trailLogBucketSseKms } from "./aws-s3-bucket-require-sse-kms-trail-logs";
import { trailLogBucketVersioning } from "./aws-s3-bucket-require-versioning-trail-logs";
import { logBucketPolicy } from "./aws-s3-bucketpolicy-require-cloudtrail-source-arn-and-tls";
import { trailBucketInStack } from "./aws-cloudtrail-trail-require-log-bucket-in-stack";
import { trailLogBucketAccessLogging } from "./aws-s3-bucket-require-access-logging-trail-logs";
import { databaseAuditLogs } from "./aws-rds-dynamodb-require-audit-logs";

/** The MUST items (M1-M5): mandatory unless the stack's pack config says otherwise. */
export const MUST_POLICIES: DocumentedPolicy[] = [
  trailLogFileValidation,
  objectLockCompliance,
  publicAccessBlock,
  trailLogBucketSseKms,
  trailKmsKey,
  kmsKeyRotation,
  trailLogRetention,
  trailLogGroupRetention,
];

/** Beyond the MUST items: advisory by default. */
export const ADVISORY_POLICIES: DocumentedPolicy[] = [
  trailMultiRegion,
  dataEventScope,
  trailLogBucketVersioning,
  logBucketPolicy,
  protectEvidence,
  tamperAlerts,
  trailBucketInStack,
  trailLogBucketAccessLogging,
  databaseAuditLogs,
];

export const ALL_POLICIES: DocumentedPolicy[] = [...MUST_POLICIES, ...ADVISORY_POLICIES];
