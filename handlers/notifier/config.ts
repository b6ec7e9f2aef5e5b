/**
 * The notifier's environment variables, validated once at cold start. Every problem is reported
 * together, each naming its variable, so a misconfigured stack fails loudly on its first alert
 * instead of posting to the wrong place.
 */

export const NOTIFIER_ENVIRONMENTS = ["dev", "dev2", "prd"] as const;
export type NotifierEnvironment = (typeof NOTIFIER_ENVIRONMENTS)[number];

export interface NotifierConfig {
  /** ENVIRONMENT: the stack (dev | dev2 | prd); shown in every message. */
  readonly environment: NotifierEnvironment;
  /** SLACK_CHANNEL: e.g. bs-notification-prd (001 V); shown in the message and sent as `channel`. */
  readonly slackChannel: string;
  /** DEPLOYER_ROLE_ARNS: JSON array of role ARNs whose successful calls are routine (not notified). */
  readonly deployerRoleArns: ReadonlySet<string>;
  /** SLACK_WEBHOOK_SECRET_ARN: Secrets Manager secret holding the webhook URL. */
  readonly webhookSecretArn: string;
}

export class NotifierConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid notifier configuration: ${problems.join("; ")}`);
    this.name = "NotifierConfigError";
  }
}

const CHANNEL_NAME = /^[a-z0-9][a-z0-9._-]{0,79}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$/;

export function readNotifierConfig(env: Readonly<Record<string, string | undefined>>): NotifierConfig {
  const problems: string[] = [];

  const environment = env.ENVIRONMENT?.trim();
  if (environment === undefined || environment === "") {
    problems.push(`ENVIRONMENT is not set (expected one of ${NOTIFIER_ENVIRONMENTS.join(", ")})`);
  } else if (!(NOTIFIER_ENVIRONMENTS as readonly string[]).includes(environment)) {
    problems.push(`ENVIRONMENT must be one of ${NOTIFIER_ENVIRONMENTS.join(", ")} (got ${JSON.stringify(environment)})`);
  }

  const channel = env.SLACK_CHANNEL?.trim().replace(/^#/, "");
  if (channel === undefined || channel === "") {
    problems.push("SLACK_CHANNEL is not set (e.g. bs-notification-prd)");
  } else if (!CHANNEL_NAME.test(channel)) {
    problems.push(`SLACK_CHANNEL is not a Slack channel name (got ${JSON.stringify(channel)})`);
  }

  const deployerRoleArns = parseDeployerRoleArns(env.DEPLOYER_ROLE_ARNS, problems);

  const secretArn = env.SLACK_WEBHOOK_SECRET_ARN?.trim();
  if (secretArn === undefined || secretArn === "") {
    problems.push("SLACK_WEBHOOK_SECRET_ARN is not set (ARN of the Secrets Manager secret holding the webhook URL)");
  } else if (!SECRET_ARN.test(secretArn)) {
    problems.push("SLACK_WEBHOOK_SECRET_ARN is not a Secrets Manager secret ARN");
  }

  if (problems.length > 0) throw new NotifierConfigError(problems);
  return {
    environment: environment as NotifierEnvironment,
    slackChannel: channel as string,
    deployerRoleArns,
    webhookSecretArn: secretArn as string,
  };
}

/** Unset or empty means "no deployer roles" (dev may have none); anything else must be valid. */
function parseDeployerRoleArns(raw: string | undefined, problems: string[]): ReadonlySet<string> {
  if (raw === undefined || raw.trim() === "") return new Set();
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    problems.push("DEPLOYER_ROLE_ARNS is not valid JSON (expected a JSON array of IAM role ARNs)");
    return new Set();
  }
  if (!Array.isArray(parsed)) {
    problems.push("DEPLOYER_ROLE_ARNS must be a JSON array of IAM role ARNs");
    return new Set();
  }
  const invalid = parsed.filter((arn) => typeof arn !== "string" || !ROLE_ARN.test(arn));
  if (invalid.length > 0) {
    problems.push(`DEPLOYER_ROLE_ARNS contains entries that are not IAM role ARNs: ${JSON.stringify(invalid).slice(0, 300)}`);
    return new Set();
  }
  return new Set(parsed as string[]);
}
