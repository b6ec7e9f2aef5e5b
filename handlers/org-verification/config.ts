/**
 * Environment of the three organisation verification Lambdas (issue 11) and the errors they throw
 * for the state machine's Retry/Catch. A missing or malformed variable is a ConfigError naming it
 * and what is allowed (thrown as OrgVerify.InputError, which no retrier retries).
 */
import { parseTrailArn } from "../../cloudtrail/verify/digest-key";
import { ORGANIZATION_ID, REGION_NAME, OrgVerificationInputError } from "../../cloudtrail/org/shards";
import { THROTTLING, TRANSIENT } from "../../cloudtrail/org/retryable";
import { INPUT_ERROR, THROTTLED_ERROR, TRANSIENT_ERROR } from "../../cloudtrail/org/state-machine";

// The shard handler and `evidence verify --all-accounts` retry the same reads (one home).
export { isRetryableReadError } from "../../cloudtrail/org/retryable";

export type Env = Record<string, string | undefined>;

const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const KMS_KEY = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key\/[A-Za-z0-9-]+|alias\/[A-Za-z0-9/_-]+)$/;
const SNS_TOPIC = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const PREFIX = /^[A-Za-z0-9!_.*'()/-]{1,200}\/$/;

/** Named OrgVerify.InputError for Step Functions (errorType is the error's name). */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable} ${message}`);
    this.name = INPUT_ERROR;
  }
}

function required(env: Env, name: string, what: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(name, `is not set; expected ${what}`);
  return value;
}

function matching(env: Env, name: string, pattern: RegExp, what: string): string {
  const value = required(env, name, what);
  if (!pattern.test(value)) throw new ConfigError(name, `is "${value}"; expected ${what}`);
  return value;
}

export interface TrailEnv {
  logBucket: string;
  trailArn: string;
  organizationId: string;
  trailName: string;
  homeRegion: string;
  trailPrefix?: string;
}

export function parseTrailEnv(env: Env): TrailEnv {
  const trailArn = required(env, "TRAIL_ARN", "the organisation trail's ARN, arn:aws:cloudtrail:<region>:<management account>:trail/<name>");
  const parts = parseTrailArn(trailArn);
  if (!parts) throw new ConfigError("TRAIL_ARN", `is "${trailArn}"; expected arn:aws:cloudtrail:<region>:<account>:trail/<name>`);
  const organizationId = matching(env, "ORGANIZATION_ID", ORGANIZATION_ID, "the organization id, o- followed by 10-32 lowercase letters or digits");
  const trailPrefix = env.TRAIL_S3_KEY_PREFIX?.trim() || undefined;
  if (trailPrefix && (trailPrefix.startsWith("/") || trailPrefix.endsWith("/"))) {
    throw new ConfigError("TRAIL_S3_KEY_PREFIX", `is "${trailPrefix}"; expected the trail's S3 key prefix without leading or trailing slash, or unset`);
  }
  return {
    logBucket: matching(env, "LOG_BUCKET", S3_BUCKET, "the name of the trail's S3 log bucket"),
    trailArn,
    organizationId,
    trailName: parts.trailName,
    homeRegion: parts.homeRegion,
    trailPrefix,
  };
}

export interface ResultsEnv {
  resultsBucket: string;
  resultsPrefix: string;
  resultsKmsKeyArn: string;
}

export function parseResultsEnv(env: Env): ResultsEnv {
  return {
    resultsBucket: matching(env, "RESULTS_BUCKET", S3_BUCKET, "the name of the verification results bucket"),
    resultsPrefix: matching(env, "RESULTS_PREFIX", PREFIX, 'a key prefix ending in "/", e.g. "runs/"'),
    resultsKmsKeyArn: matching(env, "RESULTS_KMS_KEY_ARN", KMS_KEY, "a KMS key ARN, arn:aws:kms:<region>:<account>:key/<id>"),
  };
}

export function parseExpectedRegions(env: Env): string[] | undefined {
  const raw = env.EXPECTED_REGIONS?.trim();
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError("EXPECTED_REGIONS", `is not JSON; expected a JSON array of region names, e.g. ["eu-west-1","us-east-1"]`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((r) => typeof r === "string" && REGION_NAME.test(r))) {
    throw new ConfigError("EXPECTED_REGIONS", `is ${raw}; expected a non-empty JSON array of region names, e.g. ["eu-west-1","us-east-1"]`);
  }
  return parsed as string[];
}

export function parseAccountsSource(env: Env): "organizations" | "listed" {
  const raw = env.EXPECTED_ACCOUNTS?.trim() || "organizations";
  if (raw !== "organizations" && raw !== "listed") {
    throw new ConfigError(
      "EXPECTED_ACCOUNTS",
      `is "${raw}"; expected "organizations" (Organizations ListAccounts) or "listed" (only the accounts found in the bucket)`,
    );
  }
  return raw;
}

export interface ReducerEnv {
  kmsKeyArn: string;
  alertTopicArn: string;
}

export function parseReducerEnv(env: Env): ReducerEnv {
  return {
    kmsKeyArn: matching(env, "KMS_KEY_ARN", KMS_KEY, "the audit key ARN the review record is encrypted with"),
    alertTopicArn: matching(env, "ALERT_TOPIC_ARN", SNS_TOPIC, "an SNS topic ARN, arn:aws:sns:<region>:<account>:<name>"),
  };
}

export class StateMachineError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Maps an error (or a read-error text) onto the names the state machine's retriers match. */
export function classifyError(err: unknown): Error {
  if (err instanceof StateMachineError || err instanceof ConfigError) return err as Error;
  if (err instanceof OrgVerificationInputError) return new StateMachineError(INPUT_ERROR, err.message);
  const e = err as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } } | null;
  const text = `${e?.Code ?? e?.name ?? ""}: ${e?.message ?? String(err)}`;
  if (THROTTLING.test(text) || e?.$metadata?.httpStatusCode === 429) return new StateMachineError(THROTTLED_ERROR, text);
  if (TRANSIENT.test(text) || (e?.$metadata?.httpStatusCode ?? 0) >= 500) return new StateMachineError(TRANSIENT_ERROR, text);
  return err instanceof Error ? err : new Error(text);
}
