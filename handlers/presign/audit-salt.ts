// The audit-hash salt (HMAC key of the pseudonymised audit fields, No.50) lives in Secrets Manager,
// not in a Lambda environment variable any administrator with lambda:GetFunctionConfiguration can
// read (issue 12). The handler reads it once per cold start and keeps it for the sandbox's life.
//
// How it is read: one GetSecretValue call (JSON 1.1 protocol) signed with the same SDK SigV4 signer
// the URLs use, over node:https. Considered and not chosen:
// - @aws-sdk/client-secrets-manager: correct, but ~200 KB minified (client, protocol, middleware
//   and the credential chain) against a 250 KB budget for the whole handler (issue 13).
// - The AWS Parameters and Secrets Lambda Extension (HTTP on localhost:2773): a Lambda layer whose
//   ARN differs per region and must be pinned and updated by infra, an extra process in every
//   sandbox, and a TTL cache (300 s) the handler does not need for a value it reads once.
// The request is the documented one:
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/CommonParameters.html

import { createSigner, dnsSuffixOf, type CredentialSource } from "./sigv4";

export const MIN_AUDIT_HASH_SALT_LENGTH = 32;
export const AUDIT_HASH_SALT_SECRET_ARN_VARIABLE = "AUDIT_HASH_SALT_SECRET_ARN";
/** SDK convention for a service-specific endpoint; only used to point tests at 127.0.0.1. */
export const SECRETS_MANAGER_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_SECRETS_MANAGER";

// https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html (ARN format)
export const SECRET_ARN = /^arn:aws(?:-[a-z]+)*:secretsmanager:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):secret:[A-Za-z0-9/_+=.@-]{1,512}$/;

/** Real responses are a few hundred bytes; a SecretString is at most 65,536 bytes. */
const MAX_RESPONSE_BYTES = 256 * 1024;
const DEFAULT_TIMEOUT_MS = 5000;

/** Why the salt could not be had. Names the secret and the problem, never the value. */
export class AuditSaltError extends Error {
  constructor(
    readonly secretArn: string,
    problem: string,
  ) {
    super(`audit-hash salt (${AUDIT_HASH_SALT_SECRET_ARN_VARIABLE}=${secretArn}): ${problem}`);
    this.name = "AuditSaltError";
  }
}

export interface SecretsManagerCallOptions {
  secretArn: string;
  credentials: CredentialSource;
  /** Defaults to https://secretsmanager.<region of the ARN>.<partition suffix>. */
  endpoint?: string;
  timeoutMs?: number;
}

function endpointFor(secretArn: string, override: string | undefined): URL {
  const region = SECRET_ARN.exec(secretArn)?.[1];
  if (region === undefined)
    throw new AuditSaltError(secretArn, "is not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)");
  if (override === undefined || override === "") return new URL(`https://secretsmanager.${region}.${dnsSuffixOf(region)}/`);
  const url = new URL(override);
  const loopback = url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]";
  // Plain HTTP only to this machine: the salt must not cross a network unencrypted.
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new AuditSaltError(secretArn, `${SECRETS_MANAGER_ENDPOINT_VARIABLE} must be an https:// URL (http:// only on 127.0.0.1/localhost)`);
  }
  return url;
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

async function post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number, secretArn: string): Promise<RawResponse> {
  // Loaded on first use, not at import: keeps the cold-start import cost of the handler low.
  const transport = url.protocol === "https:" ? await import("node:https") : await import("node:http");
  return new Promise((resolve, reject) => {
    const request = transport.request(url, { method: "POST", headers, timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          request.destroy(new AuditSaltError(secretArn, `Secrets Manager response exceeds ${MAX_RESPONSE_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new AuditSaltError(secretArn, `Secrets Manager did not answer within ${timeoutMs} ms`)));
    request.on("error", reject);
    request.end(body);
  });
}

/** GetSecretValue -> SecretString. Throws AuditSaltError with the service's error type and message. */
export async function getSecretString(options: SecretsManagerCallOptions): Promise<string> {
  const { secretArn } = options;
  const url = endpointFor(secretArn, options.endpoint);
  const region = SECRET_ARN.exec(secretArn)![1];
  const body = JSON.stringify({ SecretId: secretArn });
  const signer = createSigner({ service: "secretsmanager", region, credentials: options.credentials, uriEscapePath: true });
  const signed = await signer.sign({
    method: "POST",
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port === "" ? undefined : Number(url.port),
    path: "/",
    query: {},
    headers: {
      host: url.host,
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": "secretsmanager.GetSecretValue",
      "content-length": String(Buffer.byteLength(body, "utf8")),
    },
    body,
  });
  let response: RawResponse;
  try {
    response = await post(url, signed.headers, body, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, secretArn);
  } catch (error) {
    if (error instanceof AuditSaltError) throw error;
    throw new AuditSaltError(secretArn, `GetSecretValue failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.body);
  } catch {
    parsed = null;
  }
  const fields = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  if (response.status !== 200) {
    // Error shape of the JSON protocols: __type (or x-amzn-ErrorType) and message. Neither holds the value.
    const headerType = response.headers["x-amzn-errortype"];
    const type = String(fields.__type ?? (Array.isArray(headerType) ? headerType[0] : headerType) ?? "UnknownError")
      .replace(/^.*#/, "")
      .split(":")[0];
    const message = typeof fields.message === "string" ? fields.message : typeof fields.Message === "string" ? fields.Message : "";
    throw new AuditSaltError(secretArn, `GetSecretValue answered HTTP ${response.status} ${type}${message === "" ? "" : `: ${message.slice(0, 300)}`}`);
  }
  if (typeof fields.SecretString !== "string") {
    throw new AuditSaltError(secretArn, "the secret has no SecretString (a binary secret is not accepted)");
  }
  return fields.SecretString;
}

/**
 * The salt itself: a SecretString of at least 32 characters (the HMAC key must resist brute force
 * on its own), refused without echoing it. Trimmed, as the environment variable was: a secret
 * written from a file often ends with a newline.
 */
export function validateAuditSalt(secretArn: string, value: string): string {
  const salt = value.trim();
  if (salt.length < MIN_AUDIT_HASH_SALT_LENGTH) {
    throw new AuditSaltError(secretArn, `the secret value must be at least ${MIN_AUDIT_HASH_SALT_LENGTH} characters`);
  }
  return salt;
}

/**
 * A source of the salt that asks Secrets Manager once and keeps the answer. A failed read is not
 * kept: the next invocation asks again (throttling or a slow network must not poison the sandbox).
 */
export function cachedAuditSalt(load: () => Promise<string>): () => Promise<string> {
  let pending: Promise<string> | null = null;
  return () => {
    if (pending === null) {
      pending = load();
      pending.catch(() => {
        pending = null;
      });
    }
    return pending;
  };
}

export function secretsManagerAuditSalt(options: SecretsManagerCallOptions): () => Promise<string> {
  return cachedAuditSalt(async () => validateAuditSalt(options.secretArn, await getSecretString(options)));
}
