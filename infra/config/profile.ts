// The typed environment profile of one stack, and its validation.
//
// Pure: takes the raw configuration values (strings as Pulumi stores them, or already parsed
// objects) and returns a validated profile, or throws one ConfigError that lists every problem
// with the key, the value and what is allowed. `infra/config/index.ts` is the thin adapter that
// reads `pulumi.Config`. Per-environment rules: requirements.md "Environments" (001 section 3).

export type Environment = "dev" | "dev2" | "prd";
export const ENVIRONMENTS: readonly Environment[] = ["dev", "dev2", "prd"];

export type LockMode = "COMPLIANCE" | "GOVERNANCE";

/** The longest purpose in a bucket name (infra/index.ts): it bounds namePrefix. */
export const LONGEST_BUCKET_PURPOSE = "mtls-truststore";

/** Values CloudWatch Logs accepts for retentionInDays (PutRetentionPolicy API reference). */
export const LOG_GROUP_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
  3288, 3653,
];

/** M5: a year of retention is the floor wherever the trail is mandatory. */
export const MIN_RETENTION_DAYS = 365;

/** 001: one Slack channel per environment; dev2 is the staging ("stg") environment. */
export const SLACK_CHANNEL_OF: Readonly<Record<Environment, string>> = {
  dev: "bs-notification-dev",
  dev2: "bs-notification-stg",
  prd: "bs-notification-prd",
};

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

export interface PresignApiProfile {
  /** E12: the presigned-URL API for the backup-data bucket. */
  enabled: boolean;
  /** How long an issued URL is valid (default 300 s, hard cap 3600 s). */
  urlExpirySeconds: number;
  /** WAF rate-based rule: requests per 5 minutes per source IP. */
  rateLimitPer5Minutes: number;
  /** Mutual TLS on a regional custom domain (ACM Private CA, about 50 USD a month in short-lived mode). */
  mtls?: { domainName: string; certificateArn: string };
  /**
   * API Gateway's CloudWatch Logs role is one setting per account and region: exactly one stack of
   * an account should manage it (the others set this to false, or it is managed elsewhere).
   */
  manageAccountSettings: boolean;
}

export interface EstateProfile {
  environment: Environment;
  stack: string;
  region: string;
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
  posture: PostureProfile;
  presignApi: PresignApiProfile;
  /** dev2/prd: `protect` and `retainOnDelete` on the evidence (log bucket, keys, data). */
  protectEvidence: boolean;
}

export class ConfigError extends Error {
  constructor(
    readonly stack: string,
    readonly problems: string[],
  ) {
    super(
      `Invalid configuration for stack "${stack}" (Pulumi.${stack}.yaml):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** Raw values as read from the stack's configuration: string, number, boolean, array or object. */
export type RawConfig = Record<string, unknown>;

const DEFAULTS = {
  region: "ap-northeast-1",
  namePrefix: "audit",
  lifecycle: { glacierIrAfterDays: 90, deepArchiveAfterDays: 180 },
};

const PER_ENVIRONMENT: Record<
  Environment,
  { retention: RetentionProfile; logGroupRetentionDays: number; accessLogRetentionDays: number }
> = {
  // dev: a short GOVERNANCE retention, so experiments leave nothing undeletable for a year.
  dev: { retention: { mode: "GOVERNANCE", days: 1 }, logGroupRetentionDays: 30, accessLogRetentionDays: 90 },
  dev2: { retention: { mode: "COMPLIANCE", days: 365 }, logGroupRetentionDays: 365, accessLogRetentionDays: 365 },
  prd: { retention: { mode: "COMPLIANCE", days: 365 }, logGroupRetentionDays: 365, accessLogRetentionDays: 400 },
};

const KNOWN_KEYS = new Set([
  "environment",
  "namePrefix",
  "retentionMode",
  "retentionDays",
  "logGroupRetentionDays",
  "accessLogRetentionDays",
  "glacierIrAfterDays",
  "deepArchiveAfterDays",
  "createDataBucket",
  "existingDataBuckets",
  "auditorRoleArns",
  "deployerRoleArns",
  "slackChannel",
  "organizationTrail",
  "organizationId",
  "slackWebhookUrl",
  "slackDelivery",
  "chatbotSlackTeamId",
  "chatbotSlackChannelId",
  "alertEmailAddresses",
  "authFailureThreshold",
  "accessDeniedThreshold",
  "burstPeriodSeconds",
  "enableConfig",
  "enableGuardDuty",
  "enableSecurityHub",
  "enableInspector",
  "enableAccessAnalyzer",
  "presignApiEnabled",
  "presignUrlExpirySeconds",
  "apiRateLimitPer5Minutes",
  "mtlsEnabled",
  "mtlsDomainName",
  "mtlsCertificateArn",
  "manageApiGatewayAccount",
]);

const ACM_CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/;
const DOMAIN_NAME = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const SLACK_ID = /^[A-Z0-9]{9,12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/;
const BUCKET_NAME = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const NAME_PREFIX = /^[a-z][a-z0-9-]{1,19}$/;
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/**
 * Validates raw configuration into the environment profile. `rawRegion` is `aws:region`.
 * Collects every problem before throwing, so one run shows the whole list.
 */
export function parseProfile(stack: string, raw: RawConfig, rawRegion?: string): EstateProfile {
  const problems: string[] = [];
  const str = (key: string): string | undefined => {
    const v = raw[key];
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    problems.push(`${key}: ${JSON.stringify(v)} is not a string`);
    return undefined;
  };
  const int = (key: string, fallback: number, min: number, max: number): number => {
    const s = str(key);
    if (s === undefined) return fallback;
    if (!/^\d+$/.test(s)) {
      problems.push(`${key}: "${s}" is not a whole number of days (allowed: ${min} to ${max})`);
      return fallback;
    }
    const n = Number(s);
    if (n < min || n > max) problems.push(`${key}: ${n} is outside the allowed range ${min} to ${max}`);
    return n;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const s = str(key);
    if (s === undefined) return fallback;
    if (s === "true") return true;
    if (s === "false") return false;
    problems.push(`${key}: "${s}" is not a boolean (allowed: true, false)`);
    return fallback;
  };
  const list = (key: string, pattern: RegExp, what: string): string[] => {
    let v = raw[key];
    if (v === undefined || v === null || v === "") return [];
    if (typeof v === "string") {
      try {
        v = JSON.parse(v);
      } catch {
        problems.push(`${key}: ${JSON.stringify(v)} is not a list (write a YAML list of ${what})`);
        return [];
      }
    }
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
      problems.push(`${key}: ${JSON.stringify(v)} is not a list of strings (${what})`);
      return [];
    }
    const bad = v.filter((x: string) => !pattern.test(x));
    for (const b of bad) problems.push(`${key}: "${b}" is not ${what}`);
    return v.filter((x: string) => pattern.test(x));
  };

  for (const key of Object.keys(raw)) {
    if (!KNOWN_KEYS.has(key)) {
      problems.push(`${key}: unknown key (allowed: ${[...KNOWN_KEYS].sort().join(", ")})`);
    }
  }

  // The environment decides the rules; by default it is the stack's own name.
  const envRaw = str("environment") ?? stack;
  let environment: Environment = "prd";
  if ((ENVIRONMENTS as readonly string[]).includes(envRaw)) {
    environment = envRaw as Environment;
  } else {
    problems.push(
      `environment: "${envRaw}" is not an environment (allowed: ${ENVIRONMENTS.join(", ")}; ` +
        `set it explicitly when the stack is not named after one)`,
    );
  }
  const mandatory = environment !== "dev";
  const d = PER_ENVIRONMENT[environment];

  const region = rawRegion || DEFAULTS.region;
  if (!REGION.test(region)) problems.push(`aws:region: "${region}" is not an AWS region name`);

  const namePrefix = str("namePrefix") ?? DEFAULTS.namePrefix;
  if (!NAME_PREFIX.test(namePrefix)) {
    problems.push(
      `namePrefix: "${namePrefix}" is not allowed (2-20 characters: lowercase letters, digits, hyphens; starts with a letter)`,
    );
  } else {
    // The longest bucket name the estate makes: <prefix>-mtls-truststore-<stack>-<account>-<region>.
    const longest = `${namePrefix}-${LONGEST_BUCKET_PURPOSE}-${stack}-123456789012-${region}`;
    if (longest.length > 63) {
      problems.push(
        `namePrefix: "${namePrefix}" makes bucket names of ${longest.length} characters with stack "${stack}" in ${region} ` +
          `(S3 allows 63): at most ${namePrefix.length - (longest.length - 63)} characters here`,
      );
    }
  }

  const modeRaw = str("retentionMode") ?? d.retention.mode;
  let mode: LockMode = d.retention.mode;
  if (modeRaw === "COMPLIANCE" || modeRaw === "GOVERNANCE") mode = modeRaw;
  else problems.push(`retentionMode: "${modeRaw}" is not a lock mode (allowed: COMPLIANCE, GOVERNANCE)`);
  if (mandatory && mode !== "COMPLIANCE") {
    problems.push(`retentionMode: ${mode} is not allowed in ${environment}: M2 requires COMPLIANCE`);
  }

  // 36500 days is S3's maximum default retention (100 years).
  const days = int("retentionDays", d.retention.days, 1, 36500);
  if (mandatory && days < MIN_RETENTION_DAYS) {
    problems.push(`retentionDays: ${days} is below the ${MIN_RETENTION_DAYS} days ${environment} requires (M5)`);
  }

  const logGroupRetentionDays = int("logGroupRetentionDays", d.logGroupRetentionDays, 1, 3653);
  if (!LOG_GROUP_RETENTION_DAYS.includes(logGroupRetentionDays)) {
    problems.push(
      `logGroupRetentionDays: ${logGroupRetentionDays} is not a value CloudWatch Logs accepts ` +
        `(allowed: ${LOG_GROUP_RETENTION_DAYS.join(", ")})`,
    );
  }
  if (mandatory && logGroupRetentionDays < MIN_RETENTION_DAYS) {
    problems.push(
      `logGroupRetentionDays: ${logGroupRetentionDays} is below the ${MIN_RETENTION_DAYS} days ${environment} requires (M5)`,
    );
  }

  const accessLogRetentionDays = int("accessLogRetentionDays", d.accessLogRetentionDays, 1, 36500);
  if (mandatory && accessLogRetentionDays < MIN_RETENTION_DAYS) {
    problems.push(
      `accessLogRetentionDays: ${accessLogRetentionDays} is below the ${MIN_RETENTION_DAYS} days ${environment} requires (E6, PCI DSS 10.5.1)`,
    );
  }

  const glacierIrAfterDays = int("glacierIrAfterDays", DEFAULTS.lifecycle.glacierIrAfterDays, 30, 36500);
  const deepArchiveAfterDays = int("deepArchiveAfterDays", DEFAULTS.lifecycle.deepArchiveAfterDays, 31, 36500);
  // S3 requires objects to stay 90 days in Glacier IR before a further transition is allowed.
  if (deepArchiveAfterDays < glacierIrAfterDays + 90) {
    problems.push(
      `deepArchiveAfterDays: ${deepArchiveAfterDays} must be at least glacierIrAfterDays + 90 ` +
        `(${glacierIrAfterDays + 90}): S3 keeps objects 90 days in GLACIER_IR before the next transition`,
    );
  }

  const createDataBucket = bool("createDataBucket", true);
  const existingDataBuckets = list("existingDataBuckets", BUCKET_NAME, "an S3 bucket name");
  if (!createDataBucket && existingDataBuckets.length === 0) {
    problems.push(
      "existingDataBuckets: empty while createDataBucket is false: the trail would record no data events (E2); " +
        "name at least one bucket or set createDataBucket: true",
    );
  }

  const auditorRoleArns = list("auditorRoleArns", ROLE_ARN, "an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)");
  const deployerRoleArns = list("deployerRoleArns", ROLE_ARN, "an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)");

  const slackChannel = str("slackChannel") ?? SLACK_CHANNEL_OF[environment];
  if (slackChannel !== SLACK_CHANNEL_OF[environment]) {
    problems.push(
      `slackChannel: "${slackChannel}" is not the channel of ${environment} (001 names ${SLACK_CHANNEL_OF[environment]})`,
    );
  }

  const orgEnabled = bool("organizationTrail", false);
  const organizationId = str("organizationId");
  if (orgEnabled && (organizationId === undefined || !ORGANIZATION_ID.test(organizationId))) {
    problems.push(
      `organizationId: ${organizationId === undefined ? "missing" : `"${organizationId}" is not an organization id`}; ` +
        "organizationTrail: true needs the id (o- followed by 10-32 lowercase letters or digits)",
    );
  }

  const deliveryRaw = str("slackDelivery") ?? "webhook";
  let slackDelivery: "webhook" | "chatbot" = "webhook";
  if (deliveryRaw === "webhook" || deliveryRaw === "chatbot") slackDelivery = deliveryRaw;
  else problems.push(`slackDelivery: "${deliveryRaw}" is not a delivery (allowed: webhook, chatbot)`);
  const chatbotSlackTeamId = str("chatbotSlackTeamId");
  const chatbotSlackChannelId = str("chatbotSlackChannelId");
  if (slackDelivery === "chatbot") {
    for (const [key, v] of [["chatbotSlackTeamId", chatbotSlackTeamId], ["chatbotSlackChannelId", chatbotSlackChannelId]] as const) {
      if (v === undefined || !SLACK_ID.test(v)) {
        problems.push(`${key}: ${v === undefined ? "missing" : `"${v}" is not a Slack id`}; slackDelivery: chatbot needs it (9-12 uppercase letters or digits, e.g. T0123ABCD)`);
      }
    }
  }
  const emailAddresses = list("alertEmailAddresses", EMAIL, "an email address");
  // dev tolerates more noise before a burst is reported (001: notifications optional in dev).
  const authFailureThreshold = int("authFailureThreshold", environment === "dev" ? 10 : 5, 1, 100000);
  const accessDeniedThreshold = int("accessDeniedThreshold", environment === "dev" ? 50 : 20, 1, 100000);
  const burstPeriodSeconds = int("burstPeriodSeconds", 300, 60, 86400);
  if (burstPeriodSeconds % 60 !== 0) problems.push(`burstPeriodSeconds: ${burstPeriodSeconds} is not a multiple of 60 (CloudWatch alarm periods above a minute are)`);
  // 001: dev may run without the posture services; dev2/prd have them unless run centrally.
  const posture: PostureProfile = {
    config: bool("enableConfig", mandatory),
    guardDuty: bool("enableGuardDuty", mandatory),
    securityHub: bool("enableSecurityHub", mandatory),
    inspector: bool("enableInspector", mandatory),
    accessAnalyzer: bool("enableAccessAnalyzer", mandatory),
  };

  const presignEnabled = bool("presignApiEnabled", createDataBucket);
  if (presignEnabled && !createDataBucket) {
    problems.push("presignApiEnabled: true needs createDataBucket: true (the API issues URLs for the estate's own backup-data bucket and key)");
  }
  const urlExpirySeconds = int("presignUrlExpirySeconds", 300, 1, 3600);
  const rateLimitPer5Minutes = int("apiRateLimitPer5Minutes", 1000, 10, 2000000000);
  const manageApiGatewayAccount = bool("manageApiGatewayAccount", true);
  const mtlsEnabled = bool("mtlsEnabled", false);
  const mtlsDomainName = str("mtlsDomainName");
  const mtlsCertificateArn = str("mtlsCertificateArn");
  if (mtlsEnabled) {
    if (mtlsDomainName === undefined || !DOMAIN_NAME.test(mtlsDomainName)) {
      problems.push(`mtlsDomainName: ${mtlsDomainName === undefined ? "missing" : `"${mtlsDomainName}" is not a domain name`}; mtlsEnabled: true needs the API's custom domain`);
    }
    if (mtlsCertificateArn === undefined || !ACM_CERTIFICATE_ARN.test(mtlsCertificateArn)) {
      problems.push(
        `mtlsCertificateArn: ${mtlsCertificateArn === undefined ? "missing" : `"${mtlsCertificateArn}" is not an ACM certificate ARN`}; mtlsEnabled: true needs the domain's ACM certificate (same region)`,
      );
    }
  }

  if (problems.length > 0) throw new ConfigError(stack, problems);

  return {
    environment,
    stack,
    region,
    namePrefix,
    retention: { mode, days },
    logGroupRetentionDays,
    accessLogRetentionDays,
    lifecycle: { glacierIrAfterDays, deepArchiveAfterDays },
    createDataBucket,
    existingDataBuckets,
    auditorRoleArns,
    deployerRoleArns,
    slackChannel,
    organization: { enabled: orgEnabled, organizationId: orgEnabled ? organizationId : undefined },
    alerting: {
      slackDelivery,
      chatbotSlackTeamId: slackDelivery === "chatbot" ? chatbotSlackTeamId : undefined,
      chatbotSlackChannelId: slackDelivery === "chatbot" ? chatbotSlackChannelId : undefined,
      emailAddresses,
      authFailureThreshold,
      accessDeniedThreshold,
      burstPeriodSeconds,
    },
    posture,
    presignApi: {
      enabled: presignEnabled,
      urlExpirySeconds,
      rateLimitPer5Minutes,
      mtls: mtlsEnabled ? { domainName: mtlsDomainName!, certificateArn: mtlsCertificateArn! } : undefined,
      manageAccountSettings: manageApiGatewayAccount,
    },
    protectEvidence: mandatory,
  };
}
