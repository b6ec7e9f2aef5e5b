// Environment -> validated configuration, read once at cold start.
// A missing or invalid variable throws PresignConfigError naming the variable, so a bad deploy
// fails at init (visible in the function's logs and in the first invocation) instead of issuing
// URLs with a wrong bucket, key or lifetime (E12).

import { AUDIT_HASH_SALT_SECRET_ARN_VARIABLE, SECRET_ARN } from "./audit-salt";

/** Default lifetime of an issued URL. Short: the URL is a bearer credential (E12). */
export const DEFAULT_URL_EXPIRY_SECONDS = 300;
/**
 * Hard cap for URL_EXPIRY_SECONDS. SigV4 allows 7 days, but a URL outlives neither the signing
 * session credentials of the Lambda role nor the intent of "short-lived"; an hour is the
 * longest a backup transfer should need to start.
 */
export const MAX_URL_EXPIRY_SECONDS = 3600;
export const DEFAULT_KEY_PREFIX_ROOT = "tenants/";

/** What the environment says; the salt itself comes from Secrets Manager (audit-salt.ts). */
export interface PresignSettings {
  /** Backup-data bucket (E11) the URLs point into. */
  dataBucket: string;
  /** Customer managed key the uploads must be encrypted with (SSE-KMS, signed into the URL). */
  dataKmsKeyArn: string;
  /** Region of the data bucket; the URL host and signature scope depend on it. */
  region: string;
  urlExpirySeconds: number;
  /** Root under which every caller gets its own prefix, e.g. "tenants/". Ends with "/". */
  keyPrefixRoot: string;
  /** Secrets Manager secret holding the HMAC key of the hashed audit fields (No.50, issue 12). */
  auditHashSaltSecretArn: string;
  /**
   * Whether the sanitised client file name becomes part of the object key. Off by default: the
   * key appears in plaintext in CloudTrail data events (E2), S3 access logs (E6) and in the URL
   * itself, so a file name carrying a patient name would leak there (No.50).
   */
  objectKeyIncludesFileName: boolean;
  /** Refuse requests without an mTLS client certificate (e.g. via the default execute-api endpoint). */
  requireClientCert: boolean;
}

/** Settings plus the salt read from Secrets Manager: what the core needs. */
export interface PresignConfig extends PresignSettings {
  /** HMAC-SHA-256 key for the hashed parts of audit records (No.50). Never logged. */
  auditHashSalt: string;
}

export class PresignConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`presign handler configuration: ${variable} ${problem}`);
    this.name = "PresignConfigError";
  }
}

/** The settings completed with the salt (validated by the caller, see audit-salt.ts). */
export function withAuditHashSalt(settings: PresignSettings, auditHashSalt: string): PresignConfig {
  return { ...settings, auditHashSalt };
}

type Env = Readonly<Record<string, string | undefined>>;

const BUCKET_NAME = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// A key ARN (not an alias): the IAM condition s3:x-amz-server-side-encryption-aws-kms-key-id
// compares the exact string, so the signed header must be the key ARN the policy names.
const KMS_KEY_ARN = /^arn:aws(?:-[a-z]+)*:kms:[a-z0-9-]+:\d{12}:key\/(?:mrk-)?[0-9a-f-]{32,36}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
// Lower-case segments of the same alphabet object keys are held to, each ending with "/".
const PREFIX_ROOT = /^(?:[a-z0-9][a-z0-9-]{0,31}\/){1,4}$/;

function required(env: Env, variable: string): string {
  const value = env[variable];
  if (value === undefined || value.trim() === "") {
    throw new PresignConfigError(variable, "is missing (required)");
  }
  return value.trim();
}

function booleanFlag(env: Env, variable: string, defaultValue: boolean): boolean {
  const value = env[variable];
  if (value === undefined || value === "") return defaultValue;
  if (value === "true") return true;
  if (value === "false") return false;
  throw new PresignConfigError(variable, `must be "true" or "false", got ${JSON.stringify(value)}`);
}

function urlExpiry(env: Env): number {
  const variable = "URL_EXPIRY_SECONDS";
  const value = env[variable];
  if (value === undefined || value === "") return DEFAULT_URL_EXPIRY_SECONDS;
  if (!/^\d{1,7}$/.test(value)) {
    throw new PresignConfigError(variable, `must be a whole number of seconds, got ${JSON.stringify(value)}`);
  }
  const seconds = Number(value);
  if (seconds < 1) throw new PresignConfigError(variable, "must be at least 1");
  if (seconds > MAX_URL_EXPIRY_SECONDS) {
    throw new PresignConfigError(variable, `is ${seconds}, above the hard cap of ${MAX_URL_EXPIRY_SECONDS} seconds`);
  }
  return seconds;
}

export function loadPresignConfig(env: Env): PresignSettings {
  const dataBucket = required(env, "DATA_BUCKET");
  if (!BUCKET_NAME.test(dataBucket)) {
    throw new PresignConfigError("DATA_BUCKET", `is not a valid S3 bucket name: ${JSON.stringify(dataBucket)}`);
  }
  const dataKmsKeyArn = required(env, "DATA_KMS_KEY_ARN");
  if (!KMS_KEY_ARN.test(dataKmsKeyArn)) {
    throw new PresignConfigError("DATA_KMS_KEY_ARN", `must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), got ${JSON.stringify(dataKmsKeyArn)}`);
  }
  const region = required(env, "AWS_REGION");
  if (!REGION.test(region)) {
    throw new PresignConfigError("AWS_REGION", `is not a region name: ${JSON.stringify(region)}`);
  }
  const keyPrefixRoot = env.KEY_PREFIX_ROOT === undefined || env.KEY_PREFIX_ROOT === "" ? DEFAULT_KEY_PREFIX_ROOT : env.KEY_PREFIX_ROOT;
  if (!PREFIX_ROOT.test(keyPrefixRoot)) {
    throw new PresignConfigError(
      "KEY_PREFIX_ROOT",
      `must be 1-4 lower-case segments [a-z0-9-] each ending with "/" (e.g. "tenants/"), got ${JSON.stringify(keyPrefixRoot)}`,
    );
  }
  if (env.AUDIT_HASH_SALT !== undefined) {
    // Refused, not ignored: a salt in the environment is readable by anyone who can read the
    // function's configuration, which is what moving it to Secrets Manager prevents (issue 12).
    throw new PresignConfigError(
      "AUDIT_HASH_SALT",
      `must not be set; the salt is read from the Secrets Manager secret named by ${AUDIT_HASH_SALT_SECRET_ARN_VARIABLE}`,
    );
  }
  const auditHashSaltSecretArn = required(env, AUDIT_HASH_SALT_SECRET_ARN_VARIABLE);
  if (!SECRET_ARN.test(auditHashSaltSecretArn)) {
    throw new PresignConfigError(
      AUDIT_HASH_SALT_SECRET_ARN_VARIABLE,
      `must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>), got ${JSON.stringify(auditHashSaltSecretArn)}`,
    );
  }
  return {
    dataBucket,
    dataKmsKeyArn,
    region,
    urlExpirySeconds: urlExpiry(env),
    keyPrefixRoot,
    auditHashSaltSecretArn,
    objectKeyIncludesFileName: booleanFlag(env, "OBJECT_KEY_INCLUDES_FILE_NAME", false),
    requireClientCert: booleanFlag(env, "REQUIRE_CLIENT_CERT", false),
  };
}
