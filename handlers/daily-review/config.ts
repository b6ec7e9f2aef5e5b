/**
 * The daily review's configuration, read from the Lambda environment (E14). Anything missing or
 * malformed is a ConfigError naming the variable and what is allowed, so a broken deployment fails
 * loudly on its first run instead of silently reviewing nothing.
 */
import { ORGANIZATION_ID_PATTERN } from "../../cloudtrail/aws";
import { parseTrailArn } from "../../cloudtrail/verify/digest-key";

export interface DailyReviewConfig {
  trailArn: string;
  logBucket: string;
  logGroupName: string;
  kmsKeyArn: string;
  alertTopicArn: string;
  /** IAM role ARNs of the deployment pipeline: their (expected) changes are not flagged. */
  deployerRoleArns: string[];
  /**
   * E15: the AWS Organizations id (o-...) of an organization trail, whose keys start with
   * AWSLogs/<id>/. Optional: without it an organization trail's id is read with Organizations
   * DescribeOrganization (cloudtrail/aws.ts), which needs organizations:DescribeOrganization.
   */
  organizationId?: string;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable} ${message}`);
    this.name = "ConfigError";
  }
}

export const ENV_VARS = ["TRAIL_ARN", "LOG_BUCKET", "LOG_GROUP_NAME", "KMS_KEY_ARN", "ALERT_TOPIC_ARN", "DEPLOYER_ROLE_ARNS"] as const;
/** Optional variables: ORGANIZATION_ID (organization trails; the same contract as the stack output organizationId). */
export const OPTIONAL_ENV_VARS = ["ORGANIZATION_ID"] as const;

const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const LOG_GROUP = /^[A-Za-z0-9_\-/.#]{1,512}$/;
const KMS_KEY = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key\/[A-Za-z0-9-]+|alias\/[A-Za-z0-9/_-]+)$/;
const SNS_TOPIC = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
/** Role ARNs only: they also end up inside a Logs Insights query, so nothing else may pass. */
export const IAM_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/;

function required(env: Record<string, string | undefined>, name: string, what: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(name, `is not set; expected ${what}`);
  return value;
}

function matching(env: Record<string, string | undefined>, name: string, pattern: RegExp, what: string): string {
  const value = required(env, name, what);
  if (!pattern.test(value)) throw new ConfigError(name, `is "${value}"; expected ${what}`);
  return value;
}

export function parseDailyReviewEnv(env: Record<string, string | undefined>): DailyReviewConfig {
  const trailArn = required(env, "TRAIL_ARN", "a CloudTrail trail ARN, arn:aws:cloudtrail:<region>:<account>:trail/<name>");
  if (!parseTrailArn(trailArn)) {
    throw new ConfigError("TRAIL_ARN", `is "${trailArn}"; expected a CloudTrail trail ARN, arn:aws:cloudtrail:<region>:<account>:trail/<name>`);
  }
  const logBucket = matching(env, "LOG_BUCKET", S3_BUCKET, "the name of the trail's S3 log bucket");
  const logGroupName = matching(env, "LOG_GROUP_NAME", LOG_GROUP, "the name of the trail's CloudWatch Logs log group");
  const kmsKeyArn = matching(env, "KMS_KEY_ARN", KMS_KEY, "a KMS key ARN, arn:aws:kms:<region>:<account>:key/<id>");
  const alertTopicArn = matching(env, "ALERT_TOPIC_ARN", SNS_TOPIC, "an SNS topic ARN, arn:aws:sns:<region>:<account>:<name>");
  const rawDeployers = required(env, "DEPLOYER_ROLE_ARNS", 'a JSON array of IAM role ARNs, e.g. ["arn:aws:iam::123456789012:role/deployer"] (or [] for none)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawDeployers);
  } catch {
    throw new ConfigError(
      "DEPLOYER_ROLE_ARNS",
      `is not JSON; expected a JSON array of IAM role ARNs, e.g. ["arn:aws:iam::123456789012:role/deployer"] (or [])`,
    );
  }
  if (!Array.isArray(parsed)) {
    throw new ConfigError("DEPLOYER_ROLE_ARNS", "must be a JSON array of IAM role ARNs (or [] for none)");
  }
  const deployerRoleArns = parsed.map((arn: unknown, i: number) => {
    if (typeof arn !== "string" || !IAM_ROLE_ARN.test(arn)) {
      throw new ConfigError("DEPLOYER_ROLE_ARNS", `item ${i} (${JSON.stringify(arn)}) is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`);
    }
    return arn;
  });
  const organizationText = env.ORGANIZATION_ID?.trim();
  const organizationId = organizationText ? organizationText : undefined;
  if (organizationId !== undefined && !ORGANIZATION_ID_PATTERN.test(organizationId)) {
    throw new ConfigError(
      "ORGANIZATION_ID",
      `is "${organizationId}"; expected an AWS Organizations id, o- followed by 10-32 lowercase letters or digits (or unset for a single-account trail)`,
    );
  }
  return { trailArn, logBucket, logGroupName, kmsKeyArn, alertTopicArn, deployerRoleArns, ...(organizationId ? { organizationId } : {}) };
}
