/**
 * Where the Slack webhook URL comes from: a Secrets Manager secret (SLACK_WEBHOOK_SECRET_ARN),
 * read once per Lambda container and cached. The URL is a bearer credential for the channel, so
 * it lives in a secret (not a plain env var) and is never logged (No.50).
 *
 * The secret may hold the bare URL or JSON {"webhookUrl": "..."} (also accepted: "url").
 */

import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

/** The one Secrets Manager call the notifier needs, so tests and other SDK versions can stand in. */
export interface SecretStringReader {
  getSecretString(secretId: string): Promise<string | undefined>;
}

export interface WebhookUrlSource {
  /** The cached URL, loading it on first use (or after invalidate()). */
  get(): Promise<string>;
  /** Forget the cached URL, e.g. after Slack says the webhook no longer exists (rotated secret). */
  invalidate(): void;
}

export function createCachedWebhookUrlSource(load: () => Promise<string>): WebhookUrlSource {
  let cached: Promise<string> | undefined;
  return {
    get() {
      if (cached === undefined) {
        const loading = load();
        cached = loading;
        // A failed load must not be cached: the next invocation tries again.
        loading.catch(() => {
          if (cached === loading) cached = undefined;
        });
      }
      return cached;
    },
    invalidate() {
      cached = undefined;
    },
  };
}

export function secretsManagerWebhookUrlLoader(secretArn: string, reader?: SecretStringReader): () => Promise<string> {
  let secretReader = reader;
  return async () => {
    let secret: string | undefined;
    try {
      // Created on first use so a missing SDK surfaces as a failed delivery (retried, then DLQ).
      secretReader ??= loadSecretsManagerReader();
      secret = await secretReader.getSecretString(secretArn);
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new Error(`Could not read the Slack webhook secret named by SLACK_WEBHOOK_SECRET_ARN: ${reason}`, { cause: error });
    }
    return parseWebhookSecret(secret);
  };
}

/** Accepts the bare URL or a JSON object with webhookUrl / url; error messages never echo the value. */
export function parseWebhookSecret(secret: string | undefined): string {
  const trimmed = secret?.trim();
  if (trimmed === undefined || trimmed === "") {
    throw new Error("The secret named by SLACK_WEBHOOK_SECRET_ARN has no SecretString");
  }
  if (trimmed.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new Error("The secret named by SLACK_WEBHOOK_SECRET_ARN looks like JSON but does not parse");
    }
    const record = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
    const url = record.webhookUrl ?? record.url;
    if (typeof url !== "string" || url.trim() === "") {
      throw new Error('The secret named by SLACK_WEBHOOK_SECRET_ARN is JSON without a "webhookUrl" string');
    }
    return url.trim();
  }
  return trimmed;
}

/** The Secrets Manager reader of the Lambda (SDK v3, bundled and pinned by esbuild). */
export function loadSecretsManagerReader(): SecretStringReader {
  const client = new SecretsManagerClient({});
  return {
    async getSecretString(secretId) {
      const output = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      return output.SecretString;
    },
  };
}
