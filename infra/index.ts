// The audit-trail estate. Reads the validated stack profile and wires one component per concern;
// every setting's reason lives in the component that makes it (requirements.md ids in comments).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AccessLogBucket } from "./components/access-log-bucket";
import { AlertDelivery, DailyReviewWatch, outOfBandTopicName } from "./components/alert-delivery";
import { AnomalyAlarms } from "./components/anomaly-alarms";
import { AuditQueries, DEFAULT_TRAIL_REGIONS } from "./components/audit-queries";
import { AuditTrail } from "./components/audit-trail";
import { BackupDataBucket } from "./components/backup-data-bucket";
import { DailyReview } from "./components/daily-review";
import { ImmutableLogBucket } from "./components/immutable-log-bucket";
import { OrganizationVerification, orgVerificationReducerName } from "./components/organization-verification";
import { PresignApi } from "./components/presign-api";
import { CustomerManagedKey } from "./components/customer-managed-key";
import { SecurityPosture } from "./components/security-posture";
import { TamperRules } from "./components/tamper-rules";
import { loadProfile, loadSecrets } from "./config";
import { alertingKeyStatements, auditKeyStatements, logsKeyStatement } from "./lib/key-policies";
import { outOfBandKeyStatements } from "./lib/alert-route";
import { AccountContext, bucketName, estateLogGroupArnPatterns, trailArn as trailArnOf, trailName as trailNameOf } from "./lib/naming";

const profile = loadProfile();
const secrets = loadSecrets();
const caller = aws.getCallerIdentityOutput();
const ctx: AccountContext = {
  // A stack that pins its account (config accountId) refuses to run with credentials of another:
  // prd's configuration applied to a dev account would otherwise create prd's singletons there.
  accountId: caller.accountId.apply((account) => {
    if (profile.accountId && account !== profile.accountId) {
      throw new Error(`stack ${profile.stack} is pinned to account ${profile.accountId} (config accountId) but the credentials are of account ${account}`);
    }
    return account;
  }),
  partition: aws.getPartitionOutput().partition,
  region: profile.region,
};
const { namePrefix: prefix, stack } = profile;
const protect = profile.protectEvidence;

// Known before the trail exists: the key and bucket policies name the one trail they serve.
const plannedTrailName = trailNameOf(prefix, stack);
const plannedTrailArn = trailArnOf(ctx, plannedTrailName);
const trailLogGroupName = `/aws/cloudtrail/${plannedTrailName}`;
// E14: the daily review's role is the one principal besides CloudTrail that writes (review/ only).
const dailyReviewName = `${prefix}-${stack}-daily-review`;
const plannedReviewRoleArn = pulumi.interpolate`arn:${ctx.partition}:iam::${ctx.accountId}:role/${dailyReviewName}`;
// Issue 11: on an organisation trail the organisation verification's reducer writes review/ records too.
const plannedReviewWriterRoleArns = [
  plannedReviewRoleArn,
  ...(profile.organization.enabled
    ? [pulumi.interpolate`arn:${ctx.partition}:iam::${ctx.accountId}:role/${orgVerificationReducerName(`${prefix}-${stack}`)}`]
    : []),
];

const auditKey = new CustomerManagedKey("audit-key", {
  description: `Encrypts the audit trail ${plannedTrailName}, its logs and the estate's log groups (M4)`,
  aliasName: `${prefix}-audit-${stack}`,
  accountId: ctx.accountId,
  partition: ctx.partition,
  statements: auditKeyStatements({
    accountId: ctx.accountId,
    partition: ctx.partition,
    region: ctx.region,
    trailArn: plannedTrailArn,
    logGroupArns: estateLogGroupArnPatterns(ctx, prefix, stack, trailLogGroupName),
    auditorRoleArns: profile.auditorRoleArns,
  }),
  protect,
});

// E8: the alert path has a key of its own. If the audit key is disabled or scheduled for deletion,
// the alert about it must still be delivered (topic, webhook secret; the dead-letter queue is SSE-SQS
// on purpose, so it still accepts what a broken key refuses).
const alertKey = new CustomerManagedKey("alert-key", {
  description: `Encrypts the audit alert path of ${stack}: alert topic and Slack webhook secret (E8)`,
  aliasName: `${prefix}-alerts-${stack}`,
  accountId: ctx.accountId,
  partition: ctx.partition,
  statements: [
    logsKeyStatement(ctx.region, estateLogGroupArnPatterns(ctx, prefix, stack, trailLogGroupName)),
    // The topic's name is fixed by the alert component (<prefix>-<stack>-audit-alerts): known now.
    ...alertingKeyStatements(ctx.accountId, pulumi.interpolate`arn:${ctx.partition}:sns:${ctx.region}:${ctx.accountId}:${prefix}-${stack}-audit-alerts`),
  ],
  protect,
});

// E8 out of band (issue 10): a key of its own for the out-of-band topic, so that disabling or
// deleting the alert key is still reported (infra/components/alert-delivery.ts).
const outOfBandKey = new CustomerManagedKey("out-of-band-key", {
  description: `Encrypts the out-of-band alert topic of ${stack}: reports that the alert path itself is broken (E8)`,
  aliasName: `${prefix}-alerts-out-of-band-${stack}`,
  accountId: ctx.accountId,
  partition: ctx.partition,
  statements: outOfBandKeyStatements(
    ctx.accountId,
    pulumi.interpolate`arn:${ctx.partition}:sns:${ctx.region}:${ctx.accountId}:${outOfBandTopicName(prefix, stack)}`,
  ),
  protect,
});

const accessLogs = new AccessLogBucket("access-log-bucket", {
  bucketName: bucketName(prefix, "access-logs", stack, ctx),
  accountId: ctx.accountId,
  retentionDays: profile.accessLogRetentionDays,
  denyObjectDeletion: protect,
  protect,
});

const logBucket = new ImmutableLogBucket("trail-log-bucket", {
  bucketName: bucketName(prefix, "trail-logs", stack, ctx),
  accountId: ctx.accountId,
  trailArn: plannedTrailArn,
  organizationId: profile.organization.organizationId,
  kmsKeyArn: auditKey.keyArn,
  retention: profile.retention,
  lifecycle: profile.lifecycle,
  accessLogBucketName: accessLogs.bucketName,
  accessLogReady: accessLogs.ready,
  reviewWriterRoleArns: plannedReviewWriterRoleArns,
  denyObjectDeletion: protect,
  protect,
});

let dataKey: CustomerManagedKey | undefined;
let dataBucket: BackupDataBucket | undefined;
if (profile.createDataBucket) {
  dataKey = new CustomerManagedKey("backup-data-key", {
    description: `Encrypts the backup-data bucket of ${stack} (medical data, E11)`,
    aliasName: `${prefix}-backup-data-${stack}`,
    accountId: ctx.accountId,
    partition: ctx.partition,
    statements: [],
    protect,
  });
  dataBucket = new BackupDataBucket("backup-data-bucket", {
    bucketName: bucketName(prefix, "backup-data", stack, ctx),
    kmsKeyArn: dataKey.keyArn,
    accessLogBucketName: accessLogs.bucketName,
    accessLogReady: accessLogs.ready,
    protect,
  });
}
const coveredDataBuckets: pulumi.Input<string>[] = [...(dataBucket ? [dataBucket.bucketName] : []), ...profile.existingDataBuckets];

const trail = new AuditTrail("audit-trail", {
  trailName: plannedTrailName,
  trailArn: plannedTrailArn,
  accountId: ctx.accountId,
  partition: ctx.partition,
  logBucketName: logBucket.bucketName,
  kmsKeyArn: auditKey.keyArn,
  logGroupName: trailLogGroupName,
  logGroupRetentionDays: profile.logGroupRetentionDays,
  dataBucketNames: coveredDataBuckets,
  organizationTrail: profile.organization.enabled,
  // The whole component: lock, encryption, public access block, lifecycle, logging and policy are in
  // force before the first log arrives, and the pack's trail guard has seen them all (README
  // "Policy pack": the guard relies on that order).
  dependsOn: [logBucket, auditKey],
  protect,
});

// E8: tamper operations, E9: bursts, E10: posture findings -> one alert path to Slack and e-mail,
// and what could break that path also out of band.
const alerts = new AlertDelivery("alert-delivery", {
  namePrefix: prefix,
  stack,
  environment: profile.environment,
  accountId: ctx.accountId,
  partition: ctx.partition,
  region: ctx.region,
  kmsKeyArn: alertKey.keyArn,
  outOfBandKmsKeyArn: outOfBandKey.keyArn,
  deployerRoleArns: profile.deployerRoleArns,
  slackChannel: profile.slackChannel,
  slackDelivery: profile.alerting.slackDelivery,
  slackWebhookUrl: secrets.slackWebhookUrl,
  chatbotSlackTeamId: profile.alerting.chatbotSlackTeamId,
  chatbotSlackChannelId: profile.alerting.chatbotSlackChannelId,
  emailAddresses: profile.alerting.emailAddresses,
  logRetentionDays: profile.logGroupRetentionDays,
});

// Planned names (known at preview, as the rules need them): the Config and Athena results buckets.
const configBucketPlannedName = bucketName(prefix, "config", stack, ctx);
const athenaResultsBucketName = bucketName(prefix, "athena-results", stack, ctx);
const estateKeys = [
  { purpose: "audit-key", key: auditKey },
  { purpose: "alert-key", key: alertKey },
  { purpose: "out-of-band-key", key: outOfBandKey },
  ...(dataKey ? [{ purpose: "backup-data-key", key: dataKey }] : []),
];

new TamperRules("tamper-rules", {
  namePrefix: prefix,
  stack,
  accountId: ctx.accountId,
  trailName: plannedTrailName,
  trailArn: plannedTrailArn,
  trailLogGroupName,
  bucketNames: [
    logBucket.bucketName,
    accessLogs.bucketName,
    ...coveredDataBuckets,
    athenaResultsBucketName,
    ...(profile.posture.config ? [configBucketPlannedName] : []),
  ],
  logBucketName: logBucket.bucketName,
  keyArns: estateKeys.map((k) => k.key.keyArn),
  alerts: alerts.destination,
  outOfBand: alerts.outOfBand,
});

// E12: presigned URLs for the backup-data bucket, each request audited (A1-A6).
const api =
  profile.presignApi.enabled && dataBucket && dataKey
    ? new PresignApi("presign-api", {
        namePrefix: prefix,
        stack,
        region: ctx.region,
        accountId: ctx.accountId,
        partition: ctx.partition,
        kmsKeyArn: auditKey.keyArn,
        dataBucketName: dataBucket.bucketName,
        dataBucketArn: dataBucket.bucketArn,
        dataKeyArn: dataKey.keyArn,
        logRetentionDays: profile.logGroupRetentionDays,
        urlExpirySeconds: profile.presignApi.urlExpirySeconds,
        rateLimitPer5Minutes: profile.presignApi.rateLimitPer5Minutes,
        mtls: profile.presignApi.mtls && { ...profile.presignApi.mtls, truststoreBucketName: bucketName(prefix, "mtls-truststore", stack, ctx) },
        manageAccountSettings: profile.presignApi.manageAccountSettings,
        callerRoleArns: profile.presignApi.callerRoleArns,
      })
    : undefined;

new AnomalyAlarms("anomaly-alarms", {
  namePrefix: prefix,
  stack,
  trailLogGroupName: trail.logGroupName,
  topicArn: alerts.topicArn,
  authFailureThreshold: profile.alerting.authFailureThreshold,
  accessDeniedThreshold: profile.alerting.accessDeniedThreshold,
  periodSeconds: profile.alerting.burstPeriodSeconds,
  wafLogGroupName: api?.wafLogGroupName,
  apiAccessLogGroupName: api?.accessLogGroupName,
});

const posture = new SecurityPosture("security-posture", {
  namePrefix: prefix,
  stack,
  region: ctx.region,
  accountId: ctx.accountId,
  partition: ctx.partition,
  services: profile.posture,
  kmsKeyArn: auditKey.keyArn,
  configBucketName: configBucketPlannedName,
  logBucketName: logBucket.bucketName,
  dataBucketNames: coveredDataBuckets,
  // The estate's own buckets and keys (buckets it only covers, existingDataBuckets, are not its own).
  estateBuckets: [
    { purpose: "trail-logs", id: logBucket.bucketName },
    { purpose: "access-logs", id: accessLogs.bucketName },
    ...(dataBucket ? [{ purpose: "backup-data", id: dataBucket.bucketName }] : []),
    { purpose: "athena-results", id: athenaResultsBucketName },
  ],
  estateKeys: estateKeys.map((k) => ({ purpose: k.purpose, id: k.key.keyId })),
  trailLogGroupName: trail.logGroupName,
  minLogRetentionDays: profile.logGroupRetentionDays,
  alerts: alerts.destination,
  protect,
});

// E14: the automated daily review, its records in the locked bucket under review/.
const review = new DailyReview("daily-review", {
  functionName: dailyReviewName,
  region: ctx.region,
  accountId: ctx.accountId,
  partition: ctx.partition,
  trailArn: plannedTrailArn,
  logBucketName: logBucket.bucketName,
  logGroupName: trail.logGroupName,
  kmsKeyArn: auditKey.keyArn,
  alertKeyArn: alertKey.keyArn,
  alertTopicArn: alerts.topicArn,
  deadLetterQueueArn: alerts.deadLetterQueueArn,
  deployerRoleArns: profile.deployerRoleArns,
  logRetentionDays: profile.logGroupRetentionDays,
  organizationId: profile.organization.organizationId,
});

// E14 out of band: a review that failed (its alert undeliverable) or did not run is told by e-mail.
new DailyReviewWatch("daily-review-watch", { namePrefix: prefix, stack, reviewFunctionName: review.functionName, outOfBandTopicArn: alerts.outOfBandTopicArn });

// Issue 11: an organisation trail is verified per (member account, region, day) on Step Functions;
// the single-Lambda daily review above stays for the management account's own view.
const orgVerification = profile.organization.enabled
  ? new OrganizationVerification("org-verification", {
      namePrefix: `${prefix}-${stack}`,
      region: ctx.region,
      accountId: ctx.accountId,
      partition: ctx.partition,
      organizationId: profile.organization.organizationId as string,
      trailArn: plannedTrailArn,
      logBucketName: logBucket.bucketName,
      kmsKeyArn: auditKey.keyArn,
      alertKeyArn: alertKey.keyArn,
      alerts: alerts.destination,
      resultsBucketName: bucketName(prefix, "org-verify", stack, ctx),
      logRetentionDays: profile.logGroupRetentionDays,
    })
  : undefined;

// E7: saved Logs Insights queries (5W1H) and the Athena table over the S3 logs.
const queries = new AuditQueries("audit-queries", {
  namePrefix: prefix,
  stack,
  accountId: ctx.accountId,
  logPathAccount: ctx.accountId,
  organizationId: profile.organization.organizationId,
  // Every region enabled for the account: a multi-region trail writes a prefix for each.
  regions: aws.getRegionsOutput({}).names.apply((names) => [...new Set([ctx.region, ...(names.length > 0 ? names : DEFAULT_TRAIL_REGIONS)])].sort()),
  logBucketName: logBucket.bucketName,
  trailLogGroupName: trail.logGroupName,
  resultsBucketName: athenaResultsBucketName,
  kmsKeyArn: auditKey.keyArn,
  deployerRoleArns: profile.deployerRoleArns,
  projectionStart: "2025/01/01",
  bytesScannedCutoffPerQuery: 100 * 1024 ** 3,
});

// What an auditor and the evidence tooling need (issue 2; `npm run evidence -- package`).
export const environment = profile.environment;
export const homeRegion = profile.region;
export const trailArn = trail.trailArn;
export const trailName = trail.trailName;
export const logBucketName = logBucket.bucketName;
export const accessLogBucketName = accessLogs.bucketName;
export const dataBucketNames = pulumi.output(coveredDataBuckets);
export const kmsKeyArn = auditKey.keyArn;
export const alertKmsKeyArn = alertKey.keyArn;
export const dataKmsKeyArn = dataKey?.keyArn;
export const trailLogGroup = trail.logGroupName;
export const retention = { mode: profile.retention.mode, days: profile.retention.days };
export const slackChannel = profile.slackChannel;
export const alertTopicArn = alerts.topicArn;
export const alertDeadLetterQueueArn = alerts.deadLetterQueueArn;
export const alertOutOfBandTopicArn = alerts.outOfBandTopicArn;
export const configBucketName = posture.configBucketName;
export const presignApiUrl = api?.invokeUrl;
export const dailyReviewFunction = review.functionName;
export const organizationVerificationStateMachine = orgVerification?.stateMachineArn;
export const athena = { database: queries.databaseName, table: queries.tableName, workgroup: queries.workgroupName };
/** E15: the organisation whose trail this is, for review, verify, export, package, who (null: single-account trail). */
export const organizationId = profile.organization.organizationId ?? null;
