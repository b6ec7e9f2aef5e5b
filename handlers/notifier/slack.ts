/**
 * Delivery of one Slack incoming-webhook message, with retries inside a time budget (E8).
 *
 * - 2xx: delivered.
 * - 3xx: a failure, never followed (issue 12): a redirect would turn the POST into a GET and the
 *   alert would be lost while reported delivered. Permanent: the webhook URL is wrong or moved.
 * - 429: wait Retry-After (delta-seconds or an HTTP date only, RFC 9110 10.2.3), never less than
 *   the backoff and never more than retryAfterMaxMs, then retry.
 * - 5xx, 408, network errors and per-request timeouts: exponential backoff with jitter, retry.
 * - any other 4xx (invalid_payload, invalid_token, no_service, channel_not_found, ...): permanent
 *   for this attempt; retrying the same request cannot help.
 * Attempts are bounded by the time budget (the invocation's remaining time) and by maxAttempts.
 * Slack's response body is read up to RESPONSE_BODY_MAX_BYTES and the rest discarded.
 * When the budget runs out, or on a permanent error, it throws SlackDeliveryError. The caller lets
 * that escape the Lambda so Lambda's async retries and then its DLQ keep the alert (E8: a Slack
 * outage never drops an alert).
 *
 * fetch, sleep, the clock and the random source are injected so tests can drive a real local
 * HTTP server with tiny waits. The webhook URL is a secret: it never appears in errors (No.50).
 */

export interface FetchResponseLike {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  /** The body as a stream (fetch's Response.body): read with a size limit. */
  readonly body?: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> } } | null;
  /** Used only when there is no stream (test doubles); still cut to the limit. */
  text(): Promise<string>;
}

export type FetchLike = (
  url: string,
  init: { method: "POST"; headers: Record<string, string>; body: string; signal: AbortSignal; redirect: "manual" },
) => Promise<FetchResponseLike>;

/** Slack answers "ok" or an error code; anything longer is not read (a hostile endpoint cannot fill memory). */
export const RESPONSE_BODY_MAX_BYTES = 4096;

export interface SlackTransport {
  readonly fetch: FetchLike;
  readonly sleep: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch (Date.now in production). */
  readonly now: () => number;
  /** Uniform in [0, 1) (Math.random in production); drives backoff jitter. */
  readonly random: () => number;
}

export interface SlackRetryPolicy {
  /** Total time this delivery may take, all attempts and waits included. */
  readonly budgetMs: number;
  /** Abort one request after this long (also capped by what is left of the budget). */
  readonly perRequestTimeoutMs: number;
  /** First backoff; doubles per attempt up to backoffMaxMs, with equal jitter. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** Upper bound on how long a 429's Retry-After is honoured. */
  readonly retryAfterMaxMs: number;
  /** Do not start an attempt with less time than this left: it could not finish. */
  readonly minAttemptMs: number;
  /** Upper bound on attempts whatever the budget (default 10). */
  readonly maxAttempts?: number;
}

/** Production defaults; the Lambda adapter sets budgetMs from the remaining invocation time. */
export const DEFAULT_RETRY_TUNING: Omit<SlackRetryPolicy, "budgetMs"> = {
  perRequestTimeoutMs: 5_000,
  backoffBaseMs: 250,
  backoffMaxMs: 4_000,
  retryAfterMaxMs: 10_000,
  minAttemptMs: 300,
  maxAttempts: 10,
};

export const defaultSlackTransport: SlackTransport = {
  fetch: (url, init) => fetch(url, init),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
  random: () => Math.random(),
};

export interface SlackDeliveryReceipt {
  readonly attempts: number;
  readonly status: number;
  readonly elapsedMs: number;
}

export class SlackDeliveryError extends Error {
  constructor(
    message: string,
    /** Attempts actually sent. */
    readonly attempts: number,
    /** HTTP status of the last response, if there was one. */
    readonly lastStatus: number | undefined,
    /** True when Slack refused the request itself (4xx other than 408/429): retrying the same body cannot help. */
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = "SlackDeliveryError";
  }
}

type AttemptOutcome =
  | { readonly type: "delivered"; readonly status: number }
  | { readonly type: "retryable"; readonly reason: string; readonly status?: number; readonly retryAfterMs?: number }
  | { readonly type: "rejected"; readonly reason: string; readonly status: number };

/** Refuses anything but https (plain http only to a loopback address, for local tests). */
export function assertUsableWebhookUrl(webhookUrl: string): void {
  let url: URL;
  try {
    url = new URL(webhookUrl);
  } catch {
    throw new Error("Slack webhook URL is not a valid URL (value not shown: it is a secret)");
  }
  const loopback = url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new Error("Slack webhook URL must use https (value not shown: it is a secret)");
  }
}

export async function postSlackMessage(
  webhookUrl: string,
  payload: unknown,
  policy: SlackRetryPolicy,
  transport: SlackTransport = defaultSlackTransport,
): Promise<SlackDeliveryReceipt> {
  assertUsableWebhookUrl(webhookUrl);
  const body = JSON.stringify(payload);
  const startedAt = transport.now();
  const deadline = startedAt + policy.budgetMs;
  const scrub = secretScrubber(webhookUrl);
  let attempts = 0;
  let last: Exclude<AttemptOutcome, { type: "delivered" }> | undefined;
  let stopReason: string;

  const maxAttempts = policy.maxAttempts ?? DEFAULT_RETRY_TUNING.maxAttempts ?? 10;
  for (;;) {
    const remaining = deadline - transport.now();
    if (remaining < policy.minAttemptMs || remaining <= 0) {
      stopReason = attempts === 0 ? `no time budget left (${Math.max(remaining, 0)} ms)` : "time budget exhausted";
      break;
    }
    attempts += 1;
    const outcome = await attemptOnce(webhookUrl, body, Math.min(policy.perRequestTimeoutMs, remaining), transport);
    if (outcome.type === "delivered") {
      return { attempts, status: outcome.status, elapsedMs: transport.now() - startedAt };
    }
    last = outcome;
    if (outcome.type === "rejected") {
      throw new SlackDeliveryError(
        scrub(
          `Slack rejected the message: ${outcome.reason} (attempt ${attempts}, not retried: ${outcome.status < 400 ? "a redirect is never followed" : "a 4xx cannot succeed on resend"})`,
        ),
        attempts,
        outcome.status,
        true,
      );
    }
    if (attempts >= maxAttempts) {
      stopReason = `${attempts} attempts made (the maximum)`;
      break;
    }
    // Never sooner than the backoff (Retry-After: 0 or a past date must not spin), never longer
    // than retryAfterMaxMs.
    const backoff = backoffDelay(attempts, policy, transport.random);
    const delay = outcome.retryAfterMs !== undefined ? Math.min(Math.max(outcome.retryAfterMs, backoff), Math.max(policy.retryAfterMaxMs, backoff)) : backoff;
    const leftAfterWait = deadline - transport.now() - delay;
    if (leftAfterWait < policy.minAttemptMs) {
      stopReason = outcome.retryAfterMs !== undefined ? `Retry-After wait of ${delay} ms does not fit the remaining time budget` : "time budget exhausted";
      break;
    }
    await transport.sleep(delay);
  }

  const elapsed = transport.now() - startedAt;
  const lastReason = last === undefined ? "no attempt made" : last.reason;
  throw new SlackDeliveryError(
    scrub(`Slack delivery failed after ${attempts} attempt(s) in ${elapsed} ms: ${stopReason}; last result: ${lastReason}`),
    attempts,
    last?.type === "retryable" ? last.status : undefined,
    false,
  );
}

async function attemptOnce(webhookUrl: string, body: string, timeoutMs: number, transport: SlackTransport): Promise<AttemptOutcome> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await transport.fetch(webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body,
      signal: controller.signal,
      redirect: "manual",
    });
    // Read the body under the same timeout and a size limit: it carries Slack's error code.
    const responseText = shorten(await readLimited(response, RESPONSE_BODY_MAX_BYTES));
    const status = response.status;
    if (status >= 200 && status < 300) return { type: "delivered", status };
    if (status >= 300 && status < 400) {
      return { type: "rejected", status, reason: `HTTP ${status} redirect${response.headers.get("location") ? " (Location not shown, not followed)" : ""}` };
    }
    const reason = `HTTP ${status}${responseText.length > 0 ? ` (${JSON.stringify(responseText)})` : ""}`;
    if (status === 429) {
      return { type: "retryable", status, reason, retryAfterMs: parseRetryAfter(response.headers.get("retry-after"), transport.now()) };
    }
    if (status >= 500 || status === 408) return { type: "retryable", status, reason };
    return { type: "rejected", status, reason };
  } catch (error) {
    if (controller.signal.aborted) return { type: "retryable", reason: `request timed out after ${timeoutMs} ms` };
    return { type: "retryable", reason: `network error: ${describeError(error)}` };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Retry-After is delta-seconds (1*DIGIT) or an HTTP-date (RFC 9110 10.2.3; IMF-fixdate, section
 * 5.6.7, e.g. "Sun, 06 Nov 1994 08:49:37 GMT"). Anything else ("1.5", "-1", "soon") is ignored:
 * Date.parse would read "1.5" as a date in 2001. A past date means 0 (the caller still backs off).
 */
const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

export function parseRetryAfter(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;
  const trimmed = header.trim();
  if (/^\d{1,9}$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!IMF_FIXDATE.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** At most maxBytes of the body, decoded as UTF-8; the rest of the stream is cancelled. */
export async function readLimited(response: FetchResponseLike, maxBytes: number): Promise<string> {
  if (!response.body) return (await response.text()).slice(0, maxBytes);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done || value === undefined) break;
    chunks.push(value.subarray(0, Math.max(0, maxBytes - size)));
    size += value.length;
    if (size >= maxBytes) {
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  return new TextDecoder("utf-8", { fatal: false }).decode(Buffer.concat(chunks));
}

/** Exponential backoff with "equal jitter": at least half the step, so retries never bunch at 0 ms. */
export function backoffDelay(attempt: number, policy: Pick<SlackRetryPolicy, "backoffBaseMs" | "backoffMaxMs">, random: () => number): number {
  const step = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici puts the useful part (ECONNREFUSED, ENOTFOUND, ...) in error.cause.
  const cause = (error as { cause?: unknown }).cause;
  const causeText = cause instanceof Error ? ((cause as { code?: string }).code ?? cause.message) : cause === undefined ? "" : String(cause);
  return causeText.length > 0 ? `${error.message} (${causeText})` : error.message;
}

function shorten(text: string): string {
  return text.length > 200 ? `${text.slice(0, 199)}\u2026` : text;
}

/** Removes the webhook URL (and its secret path) from any text that might reach a log (No.50). */
function secretScrubber(webhookUrl: string): (text: string) => string {
  let secretPath = "";
  try {
    secretPath = new URL(webhookUrl).pathname;
  } catch {
    // assertUsableWebhookUrl already rejected unparsable URLs.
  }
  return (text) => {
    let scrubbed = text.split(webhookUrl).join("[webhook URL]");
    if (secretPath.length > 1) scrubbed = scrubbed.split(secretPath).join("[webhook path]");
    return scrubbed;
  };
}
