// The typed environment profile of one stack, and its validation, driven by two tables:
// ENVIRONMENT_DEFAULTS (one object per environment: dev, dev2, prd) and CONFIG_KEYS (one entry per
// key: its parser, range, unit, default and description). The same tables generate the README's
// configuration reference (infra/config/readme-table.ts, `npm run config:readme`), so adding a key
// is one entry here plus the rule that uses it.
//
// Pure: takes the raw configuration values (strings as Pulumi stores them, or already parsed
// objects) and returns a validated profile, or throws one ConfigError that lists every problem
// with the key, the value and what is allowed. `infra/config/index.ts` is the thin adapter that
// reads `pulumi.Config`. Per-environment rules: docs/requirements.md "Environments".
import { bucketNameProblems } from "./bucket-names";

export type Environment = "dev" | "dev2" | "prd";
export const ENVIRONMENTS: readonly Environment[] = ["dev", "dev2", "prd"];
/** dev < dev2 < prd: a stack may never be weaker than the environment its name says. */
const RANK: Readonly<Record<Environment, number>> = { dev: 0, dev2: 1, prd: 2 };

export type LockMode = "COMPLIANCE" | "GOVERNANCE";

/** Every bucket purpose of the estate (infra/index.ts): each composed name is checked against S3's rules. */
export const BUCKET_PURPOSES = ["trail-logs", "access-logs", "backup-data", "config", "athena-results", "mtls-truststore"] as const;
/** The longest purpose in a bucket name: it bounds namePrefix. */
export const LONGEST_BUCKET_PURPOSE = "mtls-truststore";

/** Values CloudWatch Logs accepts for retentionInDays (PutRetentionPolicy API reference). */
export const LOG_GROUP_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/**
 * Values AWS Config's CW_LOGGROUP_RETENTION_PERIOD_CHECK accepts for MinRetentionTime: fewer than
 * CloudWatch Logs accepts (no 1096, 2192, 2557, 2922, 3288).
 * https://docs.aws.amazon.com/config/latest/developerguide/cw-loggroup-retention-period-check.html
 */
export const CONFIG_MIN_RETENTION_TIME_DAYS: readonly number[] = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653];

/** M5: a year of retention is the floor wherever the trail is mandatory. */
export const MIN_RETENTION_DAYS = 365;

/**
 * Issue 15: an auditor's usual window is the last year. Logs stay in classes S3 and Athena read
 * immediately (STANDARD, GLACIER_IR) for at least this long before DEEP_ARCHIVE (restore needed).
 */
export const MIN_QUERYABLE_DAYS = 366;

/** 001: one Slack channel per environment; dev2 is the staging ("stg") environment. */
export const SLACK_CHANNEL_OF: Readonly<Record<Environment, string>> = {
  dev: "bs-notification-dev",
  dev2: "bs-notification-stg",
  prd: "bs-notification-prd",
};

/** Namespaces besides the project's that a stack file may use: the providers the program runs. */
export const PROVIDER_NAMESPACES: readonly string[] = ["aws", "random", "pulumi"];

export interface RetentionProfile {
  /** Object Lock default retention mode of the log bucket (M2). */
  mode: LockMode;
  /** Object Lock default retention in days (M5). */
  days: number;
}

export interface LifecycleProfile {
  /** E4: log objects move to Glacier Instant Retrieval after this many days. */
  glacierIrAfterDays: number;
  /** E4: and to Deep Archive after this many days. Never expired. */
  deepArchiveAfterDays: number;
}

export interface OrganizationTrailProfile {
  /** E15: an organisation trail, deployed from the management or delegated admin account. */
  enabled: boolean;
  /** `o-xxxxxxxxxx`, needed for the bucket policy's organisation log path. */
  organizationId?: string;
}

export interface AlertingProfile {
  /** E8: the Slack path. `webhook`: the notifier Lambda; `chatbot`: AWS Chatbot (Amazon Q Developer in chat). */
  slackDelivery: "webhook" | "chatbot";
  /** For `chatbot`: the Slack workspace (team) and channel ids the organisation authorised. */
  chatbotSlackTeamId?: string;
  chatbotSlackChannelId?: string;
  /** Addresses subscribed to the alert topic beside Slack: alerts still arrive when Slack is down. */
  emailAddresses: string[];
  /** E9 (001 No.29): authentication failures per period that make a burst. */
  authFailureThreshold: number;
  /** E9: AccessDenied / UnauthorizedOperation errors per period that make a burst. */
  accessDeniedThreshold: number;
  /** E9: the period of the burst alarms, seconds. */
  burstPeriodSeconds: number;
}

/** E10: each service can be off where the organisation already runs it centrally. */
export interface PostureProfile {
  config: boolean;
  guardDuty: boolean;
  securityHub: boolean;
  inspector: boolean;
  accessAnalyzer: boolean;
}

export type MtlsCertificateSource = "acm-public" | "acm-private" | "imported";

export interface PresignApiProfile {
  /** E12: the presigned-URL API for the backup-data bucket. */
  enabled: boolean;
  /** How long an issued URL is valid (default 300 s, hard cap 3600 s). */
  urlExpirySeconds: number;
  /** WAF rate-based rule: requests per 5 minutes per source IP. */
  rateLimitPer5Minutes: number;
  /** The only roles the API's resource policy lets invoke it (aws:PrincipalArn); empty: nobody. */
  callerRoleArns: string[];
  /** Mutual TLS on a regional custom domain (ACM Private CA, about 50 USD a month in short-lived mode). */
  mtls?: { domainName: string; certificateArn: string; ownershipVerificationCertificateArn?: string };
  /** API Gateway's CloudWatch Logs role (one per account and region): only the singleton owner manages it. */
  manageAccountSettings: boolean;
}

export interface EstateProfile {
  environment: Environment;
  stack: string;
  region: string;
  /** Set when the stack pins its account: the program refuses to run in any other. */
  accountId?: string;
  /** Prefix of every physical name; bucket names add purpose, stack, account and region. */
  namePrefix: string;
  retention: RetentionProfile;
  /** E7/M5: retention of the trail's CloudWatch log group. */
  logGroupRetentionDays: number;
  /** E6: how long S3 server access logs are kept (that bucket is not locked). */
  accessLogRetentionDays: number;
  lifecycle: LifecycleProfile;
  /** E11: create the backup-data bucket for medical data in this stack. */
  createDataBucket: boolean;
  /** E11/E2: names of existing data buckets whose object-level events the trail records. */
  existingDataBuckets: string[];
  /** Roles that may decrypt the trail's logs (auditors, the evidence tooling). */
  auditorRoleArns: string[];
  /** Roles that run `pulumi up`: their operations are routine (001), recorded, not notified. */
  deployerRoleArns: string[];
  /** Slack channel of the environment (001): bs-notification-dev|stg|prd. */
  slackChannel: string;
  organization: OrganizationTrailProfile;
  alerting: AlertingProfile;
  /** The posture services this stack creates (already masked by singleton ownership). */
  posture: PostureProfile;
  /** The stack that owns the account-wide singletons; `ownsAccountSingletons` when it is this one. */
  accountSingletonsOwner: string;
  ownsAccountSingletons: boolean;
  presignApi: PresignApiProfile;
  /** dev2/prd: `protect` and `retainOnDelete` on the evidence (log bucket, keys, data). */
  protectEvidence: boolean;
}

export class ConfigError extends Error {
  constructor(
    readonly stack: string,
    readonly problems: string[],
  ) {
    super(`Invalid configuration for stack "${stack}" (Pulumi.${stack}.yaml):\n` + problems.map((p) => `  - ${p}`).join("\n"));
    this.name = "ConfigError";
  }
}

/** Raw values as read from the stack's configuration: string, number, boolean, array or object. */
export type RawConfig = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Table 1: one object per environment (001 section 3). Every default that differs by environment.

export interface EnvironmentDefaults {
  /** The trail and the MUST items are mandatory (dev: optional, advisory). */
  mandatory: boolean;
  retentionMode: LockMode;
  retentionDays: number;
  logGroupRetentionDays: number;
  accessLogRetentionDays: number;
  /** dev tolerates more noise before a burst is reported (001: notifications optional in dev). */
  authFailureThreshold: number;
  accessDeniedThreshold: number;
  /** 001: dev may run without the posture services; dev2/prd have them unless run centrally. */
  posture: boolean;
  slackChannel: string;
}

export const ENVIRONMENT_DEFAULTS: Readonly<Record<Environment, EnvironmentDefaults>> = {
  // dev: a short GOVERNANCE retention, so experiments leave nothing undeletable for a year.
  dev: {
    mandatory: false,
    retentionMode: "GOVERNANCE",
    retentionDays: 1,
    logGroupRetentionDays: 30,
    accessLogRetentionDays: 90,
    authFailureThreshold: 10,
    accessDeniedThreshold: 50,
    posture: false,
    slackChannel: SLACK_CHANNEL_OF.dev,
  },
  dev2: {
    mandatory: true,
    retentionMode: "COMPLIANCE",
    retentionDays: 365,
    logGroupRetentionDays: 365,
    accessLogRetentionDays: 365,
    authFailureThreshold: 5,
    accessDeniedThreshold: 20,
    posture: true,
    slackChannel: SLACK_CHANNEL_OF.dev2,
  },
  prd: {
    mandatory: true,
    retentionMode: "COMPLIANCE",
    retentionDays: 365,
    logGroupRetentionDays: 365,
    accessLogRetentionDays: 400,
    authFailureThreshold: 5,
    accessDeniedThreshold: 20,
    posture: true,
    slackChannel: SLACK_CHANNEL_OF.prd,
  },
};

// ---------------------------------------------------------------------------------------------
// Table 2: one entry per key.

/** What a value of an integer key counts: the unit is in every message about it. */
export type Unit = "days" | "seconds" | "events" | "requests";

export type KeyKind =
  | { type: "int"; unit: Unit; min: number; max: number; allowedValues?: readonly number[] }
  | { type: "bool" }
  | { type: "enum"; values: readonly string[] }
  | { type: "string"; pattern: RegExp; what: string }
  | { type: "list"; pattern: RegExp; what: string };

/** A default: a constant, one per environment, or derived (described in words for the README). */
export type KeyDefault =
  | { kind: "constant"; value: unknown }
  | { kind: "environment"; field: keyof EnvironmentDefaults }
  | { kind: "derived"; describe: string; value: (env: Environment, stack: string, values: Record<string, unknown>) => unknown }
  | { kind: "unset" };

export interface KeySpec {
  key: string;
  kind: KeyKind;
  default: KeyDefault;
  /** One line for the README: what it is for and the rules beyond its type. */
  description: string;
  secret?: boolean;
}

const ACM_CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/;
const DOMAIN_NAME = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const SLACK_ID = /^[A-Z0-9]{9,12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
/** Only the characters; the rest of S3's rules are checked by bucketNameProblems. */
const BUCKET_CHARS = /^[a-z0-9.-]{3,63}$/;
const NAME_PREFIX = /^[a-z][a-z0-9-]{1,19}$/;
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
const ACCOUNT_ID = /^\d{12}$/;
/** A stack name that can be part of a bucket name (lowercase, digits, hyphens). */
const STACK_NAME = /^[a-z0-9][a-z0-9-]{0,30}$/;
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const SLACK_WEBHOOK = /^https:\/\/hooks\.slack\.com\/.+$/;

const ROLE = "an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)";
const bool = (d: boolean | KeyDefault): Pick<KeySpec, "kind" | "default"> => ({
  kind: { type: "bool" },
  default: typeof d === "boolean" ? { kind: "constant", value: d } : d,
});

export const CONFIG_KEYS: readonly KeySpec[] = [
  {
    key: "environment",
    kind: { type: "enum", values: ENVIRONMENTS },
    default: { kind: "derived", describe: "the stack name (`prd-eu`: `prd`)", value: (_e, stack) => stack },
    description: "the rules the stack follows; a stack named `dev2`/`prd` (or `dev2-*`/`prd-*`) cannot declare a weaker one",
  },
  {
    key: "accountId",
    kind: { type: "string", pattern: ACCOUNT_ID, what: "an AWS account id (12 digits)" },
    default: { kind: "unset" },
    description: "the account the stack deploys to: the program refuses any other, and stacks sharing an account are checked for one singleton owner",
  },
  {
    key: "accountSingletonsOwner",
    kind: { type: "string", pattern: STACK_NAME, what: "a stack name" },
    default: { kind: "derived", describe: "this stack", value: (_e, stack) => stack },
    description:
      "the one stack of the account that creates the account-wide singletons (Config recorder, GuardDuty detector, Security Hub, Inspector, Access Analyzer, API Gateway's logging role); other stacks of the account name it and create none",
  },
  {
    key: "namePrefix",
    kind: { type: "string", pattern: NAME_PREFIX, what: "allowed (2-20 characters: lowercase letters, digits, hyphens; starts with a letter)" },
    default: { kind: "constant", value: "audit" },
    description: "prefix of every physical name; every composed bucket name must pass S3's naming rules",
  },
  {
    key: "retentionMode",
    kind: { type: "enum", values: ["COMPLIANCE", "GOVERNANCE"] },
    default: { kind: "environment", field: "retentionMode" },
    description: "Object Lock mode of the log bucket (M2: COMPLIANCE in dev2, prd)",
  },
  {
    key: "retentionDays",
    kind: { type: "int", unit: "days", min: 1, max: 36500 },
    default: { kind: "environment", field: "retentionDays" },
    description: "Object Lock default retention (M5: >= 365 in dev2, prd)",
  },
  {
    key: "logGroupRetentionDays",
    kind: { type: "int", unit: "days", min: 1, max: 3653, allowedValues: LOG_GROUP_RETENTION_DAYS },
    default: { kind: "environment", field: "logGroupRetentionDays" },
    description:
      "retention of the estate's log groups; >= 365 in dev2, prd; with Config on, one of the values CW_LOGGROUP_RETENTION_PERIOD_CHECK accepts (no 1096, 2192, 2557, 2922, 3288)",
  },
  {
    key: "accessLogRetentionDays",
    kind: { type: "int", unit: "days", min: 1, max: 36500 },
    default: { kind: "environment", field: "accessLogRetentionDays" },
    description: "S3 server access logs (E6, PCI DSS 10.5.1): >= 365 in dev2, prd; noncurrent versions are kept as long",
  },
  {
    key: "glacierIrAfterDays",
    kind: { type: "int", unit: "days", min: 30, max: 36500 },
    default: { kind: "constant", value: 90 },
    description: "log objects of 128 KB and more move to GLACIER_IR (still read instantly)",
  },
  {
    key: "deepArchiveAfterDays",
    kind: { type: "int", unit: "days", min: 120, max: 36500 },
    default: { kind: "constant", value: 400 },
    description: "and to DEEP_ARCHIVE (restore needed); >= glacierIrAfterDays + 90, and >= 366 in dev2, prd (the first year stays queryable)",
  },
  { key: "createDataBucket", ...bool(true), description: "create the backup-data bucket (E11)" },
  {
    key: "existingDataBuckets",
    kind: { type: "list", pattern: BUCKET_CHARS, what: "an S3 bucket name" },
    default: { kind: "constant", value: [] },
    description: "bucket names whose object events the trail also records (required when `createDataBucket: false`); never the estate's own buckets",
  },
  {
    key: "auditorRoleArns",
    kind: { type: "list", pattern: ROLE_ARN, what: ROLE },
    default: { kind: "constant", value: [] },
    description: "roles that may decrypt the logs through S3 in this account (the key policy names them by aws:PrincipalArn, so a role may be created later)",
  },
  {
    key: "deployerRoleArns",
    kind: { type: "list", pattern: ROLE_ARN, what: ROLE },
    default: { kind: "constant", value: [] },
    description: "roles whose operations are routine (recorded, not notified)",
  },
  {
    key: "slackChannel",
    kind: { type: "string", pattern: /^[a-z0-9-]{1,80}$/, what: "a Slack channel name" },
    default: { kind: "environment", field: "slackChannel" },
    description: "must be the environment's channel (001)",
  },
  { key: "organizationTrail", ...bool(false), description: "an organisation trail (E15), from the management or delegated administrator account" },
  {
    key: "organizationId",
    kind: { type: "string", pattern: ORGANIZATION_ID, what: "an organization id (o- followed by 10-32 lowercase letters or digits)" },
    default: { kind: "unset" },
    description: "required with `organizationTrail: true`; passed to the daily review and exported",
  },
  {
    key: "slackWebhookUrl",
    kind: { type: "string", pattern: SLACK_WEBHOOK, what: "a Slack incoming webhook URL" },
    default: { kind: "unset" },
    description: "the channel's incoming webhook; set with `pulumi config set --secret`",
    secret: true,
  },
  {
    key: "slackDelivery",
    kind: { type: "enum", values: ["webhook", "chatbot"] },
    default: { kind: "constant", value: "webhook" },
    description: "`webhook` (notifier Lambda) or `chatbot` (AWS Chatbot)",
  },
  {
    key: "chatbotSlackTeamId",
    kind: { type: "string", pattern: SLACK_ID, what: "a Slack id" },
    default: { kind: "unset" },
    description: "required with `slackDelivery: chatbot` (`T…`)",
  },
  {
    key: "chatbotSlackChannelId",
    kind: { type: "string", pattern: SLACK_ID, what: "a Slack id" },
    default: { kind: "unset" },
    description: "required with `slackDelivery: chatbot` (`C…`)",
  },
  {
    key: "alertEmailAddresses",
    kind: { type: "list", pattern: EMAIL, what: "an email address" },
    default: { kind: "constant", value: [] },
    description: "e-mail subscriptions beside Slack",
  },
  {
    key: "authFailureThreshold",
    kind: { type: "int", unit: "events", min: 1, max: 100000 },
    default: { kind: "environment", field: "authFailureThreshold" },
    description: "authentication failures per period that make a burst (E9)",
  },
  {
    key: "accessDeniedThreshold",
    kind: { type: "int", unit: "events", min: 1, max: 100000 },
    default: { kind: "environment", field: "accessDeniedThreshold" },
    description: "AccessDenied errors per period that make a burst (E9)",
  },
  {
    key: "burstPeriodSeconds",
    kind: { type: "int", unit: "seconds", min: 60, max: 86400 },
    default: { kind: "constant", value: 300 },
    description: "period of the burst alarms; a multiple of 60",
  },
  {
    key: "enableConfig",
    ...bool({ kind: "environment", field: "posture" }),
    description: "AWS Config recorder and rules (account singleton: owner stack only)",
  },
  { key: "enableGuardDuty", ...bool({ kind: "environment", field: "posture" }), description: "GuardDuty detector (account singleton: owner stack only)" },
  { key: "enableSecurityHub", ...bool({ kind: "environment", field: "posture" }), description: "Security Hub (account singleton: owner stack only)" },
  { key: "enableInspector", ...bool({ kind: "environment", field: "posture" }), description: "Inspector for Lambda (account singleton: owner stack only)" },
  { key: "enableAccessAnalyzer", ...bool({ kind: "environment", field: "posture" }), description: "Access Analyzer (account singleton: owner stack only)" },
  {
    key: "presignApiEnabled",
    ...bool({ kind: "derived", describe: "`createDataBucket`", value: (_e, _s, v) => v.createDataBucket }),
    description: "the presigned-URL API (E12); needs `createDataBucket: true`",
  },
  {
    key: "presignCallerRoleArns",
    kind: { type: "list", pattern: ROLE_ARN, what: ROLE },
    default: { kind: "constant", value: [] },
    description: "the only roles the API's resource policy lets invoke it (empty: nobody)",
  },
  {
    key: "presignUrlExpirySeconds",
    kind: { type: "int", unit: "seconds", min: 1, max: 3600 },
    default: { kind: "constant", value: 300 },
    description: "how long an issued URL is valid",
  },
  {
    key: "apiRateLimitPer5Minutes",
    kind: { type: "int", unit: "requests", min: 10, max: 2000000000 },
    default: { kind: "constant", value: 1000 },
    description: "WAF rate-based rule per source IP, per 5 minutes",
  },
  { key: "mtlsEnabled", ...bool(false), description: "mutual TLS on a regional custom domain" },
  {
    key: "mtlsDomainName",
    kind: { type: "string", pattern: DOMAIN_NAME, what: "a domain name" },
    default: { kind: "unset" },
    description: "required with `mtlsEnabled: true`",
  },
  {
    key: "mtlsCertificateArn",
    kind: { type: "string", pattern: ACM_CERTIFICATE_ARN, what: "an ACM certificate ARN" },
    default: { kind: "unset" },
    description: "the domain's ACM certificate (same region); required with `mtlsEnabled: true`",
  },
  {
    key: "mtlsCertificateSource",
    kind: { type: "enum", values: ["acm-public", "acm-private", "imported"] },
    default: { kind: "constant", value: "acm-public" },
    description: "how that certificate was issued; `acm-private` and `imported` need an ownership verification certificate",
  },
  {
    key: "mtlsOwnershipVerificationCertificateArn",
    kind: { type: "string", pattern: ACM_CERTIFICATE_ARN, what: "an ACM certificate ARN" },
    default: { kind: "unset" },
    description: "a public ACM certificate for the domain, proving ownership (required for `acm-private`/`imported`)",
  },
  {
    key: "manageApiGatewayAccount",
    ...bool({ kind: "derived", describe: "owner stack: `true`; others: `false`", value: () => undefined }),
    description: "API Gateway's account-wide CloudWatch Logs role; only the singleton owner may set it",
  },
];

const SPEC_OF = new Map(CONFIG_KEYS.map((s) => [s.key, s]));

function unitText(unit: Unit): string {
  return unit === "days" || unit === "seconds" ? `of ${unit}` : `of ${unit} (a count)`;
}

/** Parses one raw value by its spec; pushes a problem and returns undefined when it is not valid. */
function parseValue(spec: KeySpec, raw: unknown, problems: string[]): unknown {
  const { key, kind } = spec;
  const shown = (v: unknown) => (spec.secret ? "(secret value not shown)" : JSON.stringify(v));
  if (kind.type === "list") {
    let v = raw;
    if (typeof v === "string") {
      try {
        v = JSON.parse(v);
      } catch {
        problems.push(`${key}: ${JSON.stringify(v)} is not a list (write a YAML list, each ${kind.what})`);
        return undefined;
      }
    }
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
      problems.push(`${key}: ${JSON.stringify(v)} is not a list of strings (each ${kind.what})`);
      return undefined;
    }
    const good = v.filter((x: string) => kind.pattern.test(x));
    for (const b of v.filter((x: string) => !kind.pattern.test(x))) problems.push(`${key}: "${b}" is not ${kind.what}`);
    return good;
  }
  if (typeof raw !== "string" && typeof raw !== "number" && typeof raw !== "boolean") {
    problems.push(`${key}: ${shown(raw)} is not a ${kind.type === "int" ? "number" : kind.type === "bool" ? "boolean" : "string"}`);
    return undefined;
  }
  const s = String(raw);
  switch (kind.type) {
    case "int": {
      if (!/^\d+$/.test(s)) {
        problems.push(`${key}: "${s}" is not a whole number ${unitText(kind.unit)} (allowed: ${kind.min} to ${kind.max})`);
        return undefined;
      }
      const n = Number(s);
      if (n < kind.min || n > kind.max) {
        problems.push(`${key}: ${n} is outside the allowed range ${kind.min} to ${kind.max} ${kind.unit}`);
        return undefined;
      }
      return n;
    }
    case "bool":
      if (s === "true") return true;
      if (s === "false") return false;
      problems.push(`${key}: "${s}" is not a boolean (allowed: true, false)`);
      return undefined;
    case "enum":
      if (kind.values.includes(s)) return s;
      if (key === "environment") {
        problems.push(`${key}: "${s}" is not an environment (allowed: ${kind.values.join(", ")}; set it explicitly when the stack is not named after one)`);
      } else {
        problems.push(
          `${key}: "${s}" is not ${key === "retentionMode" ? "a lock mode" : key === "slackDelivery" ? "a delivery" : "allowed"} (allowed: ${kind.values.join(", ")})`,
        );
      }
      return undefined;
    case "string":
      if (kind.pattern.test(s)) return s;
      problems.push(`${key}: ${spec.secret ? "the value" : `"${s}"`} is not ${kind.what}`);
      return undefined;
  }
}

/** The environment a stack's name implies (`prd`, `prd-eu`, `dev2-tokyo` ...), if any. */
export function environmentOfStackName(stack: string): Environment | undefined {
  const m = /^(dev2|dev|prd)(?:$|-)/.exec(stack);
  return m ? (m[1] as Environment) : undefined;
}

export interface ParseOptions {
  /** Configuration keys whose namespace is neither the project's nor a provider's (typos). */
  foreignKeys?: string[];
}

/**
 * Validates raw configuration into the environment profile. `rawRegion` is `aws:region`.
 * Collects every problem before throwing, so one run shows the whole list.
 */
export function parseProfile(stack: string, raw: RawConfig, rawRegion?: string, options: ParseOptions = {}): EstateProfile {
  const problems: string[] = [];

  for (const key of options.foreignKeys ?? []) {
    const ns = key.slice(0, key.indexOf(":"));
    problems.push(
      `${key}: unknown namespace "${ns}" (allowed: the project's own, and the providers' ${PROVIDER_NAMESPACES.join(", ")}); a mistyped project name is silently ignored by Pulumi`,
    );
  }
  for (const key of Object.keys(raw)) {
    if (!SPEC_OF.has(key)) problems.push(`${key}: unknown key (allowed: ${[...SPEC_OF.keys()].sort().join(", ")})`);
  }
  if (!STACK_NAME.test(stack)) {
    problems.push(
      `stack name "${stack}" cannot be part of a bucket name (1-31 characters: lowercase letters, digits, hyphens; ` +
        `starts with a letter or digit): rename the stack, e.g. "${stack
          .toLowerCase()
          .replace(/[^a-z0-9-]/g, "-")
          .slice(0, 31)}"`,
    );
  }

  // Parse every key that is set; defaults come after the environment is known.
  const given: Record<string, unknown> = {};
  for (const spec of CONFIG_KEYS) {
    const v = raw[spec.key];
    if (v === undefined || v === null || v === "") continue;
    const parsed = parseValue(spec, v, problems);
    if (parsed !== undefined) given[spec.key] = parsed;
  }

  // The environment decides the rules; by default it is the stack's own name.
  let environment: Environment = "prd";
  const envRaw = (given.environment as string | undefined) ?? environmentOfStackName(stack) ?? stack;
  if ((ENVIRONMENTS as readonly string[]).includes(envRaw)) environment = envRaw as Environment;
  else if (raw.environment === undefined || raw.environment === "") {
    problems.push(
      `environment: "${envRaw}" is not an environment (allowed: ${ENVIRONMENTS.join(", ")}; set it explicitly when the stack is not named after one)`,
    );
  }
  const named = environmentOfStackName(stack);
  if (named && RANK[environment] < RANK[named]) {
    problems.push(
      `environment: ${environment} is weaker than the stack's name says (${stack} is a ${named} stack): ` +
        `a ${named} stack keeps ${named}'s protection, retention, posture services and channel`,
    );
    environment = named;
  }
  const d = ENVIRONMENT_DEFAULTS[environment];
  const mandatory = d.mandatory;

  // Every value: given, else its default.
  const values: Record<string, unknown> = {};
  for (const spec of CONFIG_KEYS) {
    if (spec.key in given) values[spec.key] = given[spec.key];
    else if (spec.default.kind === "constant") values[spec.key] = spec.default.value;
    else if (spec.default.kind === "environment") values[spec.key] = d[spec.default.field];
    else if (spec.default.kind === "derived") values[spec.key] = spec.default.value(environment, stack, values);
  }
  values.environment = environment;
  const v = <T>(key: string) => values[key] as T;

  const region = rawRegion || "ap-northeast-1";
  if (!REGION.test(region)) problems.push(`aws:region: "${region}" is not an AWS region name`);

  // S3's general purpose bucket naming rules on every name the estate composes.
  const namePrefix = v<string>("namePrefix");
  if ("namePrefix" in given || raw.namePrefix === undefined) {
    const longest = `${namePrefix}-${LONGEST_BUCKET_PURPOSE}-${stack}-123456789012-${region}`;
    if (longest.length > 63) {
      problems.push(
        `namePrefix: "${namePrefix}" makes bucket names of ${longest.length} characters with stack "${stack}" in ${region} ` +
          `(S3 allows 63): at most ${Math.max(0, namePrefix.length - (longest.length - 63))} characters here`,
      );
    } else if (STACK_NAME.test(stack)) {
      for (const purpose of BUCKET_PURPOSES) {
        const name = `${namePrefix}-${purpose}-${stack}-123456789012-${region}`;
        for (const p of bucketNameProblems(name)) problems.push(`namePrefix: "${namePrefix}" makes the bucket name "${name}", which S3 refuses: ${p}`);
      }
    }
  }

  const mode = v<LockMode>("retentionMode");
  if (mandatory && mode !== "COMPLIANCE") problems.push(`retentionMode: ${mode} is not allowed in ${environment}: M2 requires COMPLIANCE`);
  const days = v<number>("retentionDays");
  if (mandatory && days < MIN_RETENTION_DAYS) problems.push(`retentionDays: ${days} is below the ${MIN_RETENTION_DAYS} days ${environment} requires (M5)`);

  const logGroupRetentionDays = v<number>("logGroupRetentionDays");
  if (!LOG_GROUP_RETENTION_DAYS.includes(logGroupRetentionDays)) {
    problems.push(`logGroupRetentionDays: ${logGroupRetentionDays} is not a value CloudWatch Logs accepts (allowed: ${LOG_GROUP_RETENTION_DAYS.join(", ")})`);
  }
  if (mandatory && logGroupRetentionDays < MIN_RETENTION_DAYS) {
    problems.push(`logGroupRetentionDays: ${logGroupRetentionDays} is below the ${MIN_RETENTION_DAYS} days ${environment} requires (M5)`);
  }
  const accessLogRetentionDays = v<number>("accessLogRetentionDays");
  if (mandatory && accessLogRetentionDays < MIN_RETENTION_DAYS) {
    problems.push(`accessLogRetentionDays: ${accessLogRetentionDays} is below the ${MIN_RETENTION_DAYS} days ${environment} requires (E6, PCI DSS 10.5.1)`);
  }

  const glacierIrAfterDays = v<number>("glacierIrAfterDays");
  const deepArchiveAfterDays = v<number>("deepArchiveAfterDays");
  // S3 bills GLACIER_IR for at least 90 days; a transition before then is charged as if it stayed.
  if (deepArchiveAfterDays < glacierIrAfterDays + 90) {
    problems.push(
      `deepArchiveAfterDays: ${deepArchiveAfterDays} must be at least glacierIrAfterDays + 90 ` +
        `(${glacierIrAfterDays + 90}): S3 keeps objects 90 days in GLACIER_IR before the next transition`,
    );
  }
  if (mandatory && deepArchiveAfterDays < MIN_QUERYABLE_DAYS) {
    problems.push(
      `deepArchiveAfterDays: ${deepArchiveAfterDays} is below ${MIN_QUERYABLE_DAYS} days: in ${environment} the first year of logs stays ` +
        "readable without a restore (Athena skips DEEP_ARCHIVE objects; an auditor's window is usually a year)",
    );
  }

  const createDataBucket = v<boolean>("createDataBucket");
  const existingDataBuckets = v<string[]>("existingDataBuckets");
  for (const b of existingDataBuckets) {
    for (const p of bucketNameProblems(b)) problems.push(`existingDataBuckets: "${b}" is not an S3 bucket name: ${p}`);
    const own = new RegExp(`^${namePrefix.replace(/[.-]/g, "\\$&")}-(${BUCKET_PURPOSES.join("|")})-${stack}-\\d{12}-${region}$`).exec(b);
    if (own) {
      problems.push(
        `existingDataBuckets: "${b}" is the estate's own ${own[1]} bucket: ` +
          (own[1] === "trail-logs"
            ? "recording data events of the trail's own log bucket logs every delivery of itself (a loop, E2)"
            : "only data buckets belong here"),
      );
    }
  }
  if (!createDataBucket && existingDataBuckets.length === 0) {
    problems.push(
      "existingDataBuckets: empty while createDataBucket is false: the trail would record no data events (E2); " +
        "name at least one bucket or set createDataBucket: true",
    );
  }

  const slackChannel = v<string>("slackChannel");
  if (slackChannel !== SLACK_CHANNEL_OF[environment]) {
    problems.push(`slackChannel: "${slackChannel}" is not the channel of ${environment} (001 names ${SLACK_CHANNEL_OF[environment]})`);
  }

  const orgEnabled = v<boolean>("organizationTrail");
  const organizationId = v<string | undefined>("organizationId");
  if (orgEnabled && organizationId === undefined && !("organizationId" in raw && raw.organizationId)) {
    problems.push("organizationId: missing; organizationTrail: true needs the id (o- followed by 10-32 lowercase letters or digits)");
  }

  const slackDelivery = v<"webhook" | "chatbot">("slackDelivery");
  if (slackDelivery === "chatbot") {
    for (const key of ["chatbotSlackTeamId", "chatbotSlackChannelId"]) {
      if (values[key] === undefined && !raw[key])
        problems.push(`${key}: missing; slackDelivery: chatbot needs it (9-12 uppercase letters or digits, e.g. T0123ABCD)`);
    }
  }
  const burstPeriodSeconds = v<number>("burstPeriodSeconds");
  if (burstPeriodSeconds % 60 !== 0)
    problems.push(`burstPeriodSeconds: ${burstPeriodSeconds} is not a multiple of 60 (CloudWatch alarm periods above a minute are)`);

  // Account-wide singletons: one stack per account owns them (README "Deploying").
  const owner = v<string>("accountSingletonsOwner");
  const owns = owner === stack;
  const postureKeys = [
    ["config", "enableConfig"],
    ["guardDuty", "enableGuardDuty"],
    ["securityHub", "enableSecurityHub"],
    ["inspector", "enableInspector"],
    ["accessAnalyzer", "enableAccessAnalyzer"],
  ] as const;
  const posture = {} as PostureProfile;
  for (const [field, key] of postureKeys) {
    if (!owns && given[key] === true) {
      problems.push(
        `${key}: true, but accountSingletonsOwner is "${owner}": only the owning stack creates account-wide singletons (one per account and region)`,
      );
    }
    posture[field] = owns && v<boolean>(key);
  }
  const manageRaw = given.manageApiGatewayAccount as boolean | undefined;
  if (!owns && manageRaw === true) {
    problems.push(
      `manageApiGatewayAccount: true, but accountSingletonsOwner is "${owner}": API Gateway's logging role is one setting per account and region, owned by that stack`,
    );
  }
  const manageApiGatewayAccount = owns && manageRaw !== false;
  if (posture.config && !CONFIG_MIN_RETENTION_TIME_DAYS.includes(logGroupRetentionDays) && LOG_GROUP_RETENTION_DAYS.includes(logGroupRetentionDays)) {
    problems.push(
      `logGroupRetentionDays: ${logGroupRetentionDays} is not a MinRetentionTime AWS Config's CW_LOGGROUP_RETENTION_PERIOD_CHECK accepts ` +
        `(allowed with enableConfig: ${CONFIG_MIN_RETENTION_TIME_DAYS.join(", ")})`,
    );
  }

  const presignEnabled = v<boolean>("presignApiEnabled");
  if (presignEnabled && !createDataBucket) {
    problems.push("presignApiEnabled: true needs createDataBucket: true (the API issues URLs for the estate's own backup-data bucket and key)");
  }
  const mtlsEnabled = v<boolean>("mtlsEnabled");
  const source = v<MtlsCertificateSource>("mtlsCertificateSource");
  if (mtlsEnabled) {
    if (v("mtlsDomainName") === undefined && !raw.mtlsDomainName) problems.push("mtlsDomainName: missing; mtlsEnabled: true needs the API's custom domain");
    if (v("mtlsCertificateArn") === undefined && !raw.mtlsCertificateArn) {
      problems.push("mtlsCertificateArn: missing; mtlsEnabled: true needs the domain's ACM certificate (same region)");
    }
    if (source !== "acm-public" && v("mtlsOwnershipVerificationCertificateArn") === undefined && !raw.mtlsOwnershipVerificationCertificateArn) {
      problems.push(
        `mtlsOwnershipVerificationCertificateArn: missing; an mTLS domain whose certificate is ${source === "imported" ? "imported into ACM" : "issued by ACM Private CA"} ` +
          "needs a public ACM certificate of the domain to prove ownership (API Gateway: ownershipVerificationCertificateArn)",
      );
    }
  }

  if (problems.length > 0) throw new ConfigError(stack, problems);

  return {
    environment,
    stack,
    region,
    accountId: v<string | undefined>("accountId"),
    namePrefix,
    retention: { mode, days },
    logGroupRetentionDays,
    accessLogRetentionDays,
    lifecycle: { glacierIrAfterDays, deepArchiveAfterDays },
    createDataBucket,
    existingDataBuckets,
    auditorRoleArns: v("auditorRoleArns"),
    deployerRoleArns: v("deployerRoleArns"),
    slackChannel,
    organization: { enabled: orgEnabled, organizationId: orgEnabled ? organizationId : undefined },
    alerting: {
      slackDelivery,
      chatbotSlackTeamId: slackDelivery === "chatbot" ? v("chatbotSlackTeamId") : undefined,
      chatbotSlackChannelId: slackDelivery === "chatbot" ? v("chatbotSlackChannelId") : undefined,
      emailAddresses: v("alertEmailAddresses"),
      authFailureThreshold: v("authFailureThreshold"),
      accessDeniedThreshold: v("accessDeniedThreshold"),
      burstPeriodSeconds,
    },
    posture,
    accountSingletonsOwner: owner,
    ownsAccountSingletons: owns,
    presignApi: {
      enabled: presignEnabled,
      urlExpirySeconds: v("presignUrlExpirySeconds"),
      rateLimitPer5Minutes: v("apiRateLimitPer5Minutes"),
      callerRoleArns: v("presignCallerRoleArns"),
      mtls: mtlsEnabled
        ? {
            domainName: v("mtlsDomainName"),
            certificateArn: v("mtlsCertificateArn"),
            ownershipVerificationCertificateArn: source === "acm-public" ? undefined : v("mtlsOwnershipVerificationCertificateArn"),
          }
        : undefined,
      manageAccountSettings: manageApiGatewayAccount,
    },
    protectEvidence: mandatory,
  };
}

/**
 * Across the stacks of one project: stacks that pin the same `accountId` (and region) must name
 * the same singleton owner, and that owner must be one of them. Returns the problems (empty: fine).
 */
export function singletonOwnershipProblems(profiles: Pick<EstateProfile, "stack" | "accountId" | "region" | "accountSingletonsOwner">[]): string[] {
  const groups = new Map<string, typeof profiles>();
  for (const p of profiles) {
    if (!p.accountId) continue;
    const k = `${p.accountId} ${p.region}`;
    groups.set(k, [...(groups.get(k) ?? []), p]);
  }
  const problems: string[] = [];
  for (const [k, group] of groups) {
    if (group.length < 2) continue;
    const owners = [...new Set(group.map((p) => p.accountSingletonsOwner))];
    const names = group.map((p) => p.stack).join(", ");
    if (owners.length > 1) {
      problems.push(
        `stacks ${names} share account and region ${k} but name different singleton owners (${owners.join(", ")}): set the same accountSingletonsOwner in each`,
      );
    } else if (!group.some((p) => p.stack === owners[0])) {
      problems.push(`stacks ${names} share account and region ${k} and name "${owners[0]}" as singleton owner, which is none of them`);
    }
  }
  return problems;
}
