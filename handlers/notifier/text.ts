/**
 * Text helpers of the notifier: total readers of untrusted JSON, time (A1: UTC everywhere, JST
 * written out), console links built only from validated parts, and the verbatim rendering of
 * values that an attacker may have written (user agent, error message, object key, alarm reason,
 * role session name): Slack must show them as typed, never as formatting, links or mentions.
 */

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value.trim().length > 0 ? value : undefined;
}

/** Strings, numbers and booleans as text; objects and arrays are not echoed (No.50). */
export function scalarText(value: unknown): string | undefined {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return nonEmptyString(value);
}

export function path(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

export function fact(label: string, value: string): { label: string; value: string } {
  return { label, value };
}

export function safeJsonStringify(value: unknown): string {
  try {
    const json = JSON.stringify(value);
    return json === undefined ? String(value) : json;
  } catch {
    try {
      return String(value);
    } catch {
      return "[event could not be serialised]";
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Verbatim text (issue 12)

/**
 * Characters that change how text reads without being seen: C0/C1 controls, U+2028/U+2029 line
 * and paragraph separators, bidi marks, embeddings, overrides and isolates (U+202E reverses what
 * follows), zero-width characters, the BOM, interlinear annotation. Shown as \uXXXX instead.
 */
// eslint-disable-next-line no-control-regex -- matching control characters in attacker-controlled text is the point
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/g;

export function makeVisible(text: string): string {
  return text.replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0").toUpperCase()}`);
}

/** Slack mrkdwn control characters (&, <, >): escaping them stops a field from forging links or <!here>/<@U..>. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A backtick would end the code span (or open a ``` fence); U+02CB looks the same and cannot. */
const BACKTICK_LOOKALIKE = "\u02cb";

/**
 * One value as Slack mrkdwn that shows exactly what was recorded: inside an inline code span (no
 * *bold*, _italic_, ~strike~ or ``` fences), escaped (no links or mentions), invisible characters
 * made visible, backticks replaced by a look-alike. The text object carrying it is also marked
 * verbatim (render.ts), so Slack does not auto-link URLs or channel names either.
 */
export function verbatim(text: string, maxChars: number): string {
  const body = escapeMrkdwn(makeVisible(text).replace(/`/g, BACKTICK_LOOKALIKE));
  const shown = truncateMrkdwn(body, Math.max(1, maxChars - 2));
  return shown.length === 0 ? "`(empty)`" : `\`${shown}\``;
}

/** A code block of untrusted text: the same neutralising, newlines kept. */
export function codeBlock(text: string, maxChars: number): string {
  if (maxChars < 8) return "";
  const body = escapeMrkdwn(makeVisibleKeepingNewlines(text).replace(/`/g, BACKTICK_LOOKALIKE));
  return `\`\`\`${truncateMrkdwn(body, maxChars - 6)}\`\`\``;
}

function makeVisibleKeepingNewlines(text: string): string {
  return text
    .split("\n")
    .map((line) => makeVisible(line))
    .join("\n");
}

/** For plain_text (the header): one line, invisible characters made visible. */
export function singleLine(text: string): string {
  return makeVisible(text);
}

const ELLIPSIS = "\u2026";

/** Cuts to maxChars (ellipsis included) without splitting a surrogate pair. */
export function truncatePlain(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  if (maxChars <= 0) return "";
  let cut = text.slice(0, maxChars - 1);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}${ELLIPSIS}`;
}

/** Like truncatePlain, for already-escaped mrkdwn: never leaves half an &amp; entity behind. */
export function truncateMrkdwn(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let cut = truncatePlain(text, maxChars).slice(0, -1);
  const amp = cut.lastIndexOf("&");
  if (amp !== -1 && amp >= cut.length - 4 && !cut.slice(amp).includes(";")) cut = cut.slice(0, amp);
  return maxChars > 0 ? `${cut}${ELLIPSIS}` : "";
}

// ---------------------------------------------------------------------------------------------
// Time (A1: UTC everywhere, local only on display; the JST offset is written out)

const JST_OFFSET_MS = 9 * 60 * 60 * 1000;

export interface DescribedInstant {
  /** e.g. 2024-05-01T03:04:05Z */
  readonly utc: string;
  /** e.g. 2024-05-01T12:04:05+09:00 */
  readonly jst: string;
}

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Parses an ISO-8601 instant with an explicit zone (CloudTrail's "…Z", CloudWatch's "…+0000").
 * Written out by hand rather than with Date.parse so an ambiguous local-time string is rejected
 * instead of being read in the Lambda's zone.
 */
export function describeInstant(value: string | undefined): DescribedInstant | { readonly unparsed: string } | undefined {
  if (value === undefined) return undefined;
  const match = ISO_INSTANT.exec(value);
  if (match === null) return { unparsed: value };
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const millis = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const check = new Date(local);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return { unparsed: value };
  }
  let offsetMs = 0;
  if (zone !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    offsetMs = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  }
  const epochMs = local - offsetMs;
  return { utc: `${isoWithoutZone(epochMs)}Z`, jst: `${isoWithoutZone(epochMs + JST_OFFSET_MS)}+09:00` };
}

function isoWithoutZone(epochMs: number): string {
  const withoutZone = new Date(epochMs).toISOString().slice(0, -1);
  return withoutZone.endsWith(".000") ? withoutZone.slice(0, -4) : withoutZone;
}

export function whenFacts(instant: ReturnType<typeof describeInstant>): { label: string; value: string }[] {
  if (instant === undefined) return [fact("UTC", "not recorded"), fact("JST (UTC+9)", "not recorded")];
  if ("unparsed" in instant) return [fact("UTC", `${instant.unparsed} (as recorded, not parseable)`), fact("JST (UTC+9)", "not available")];
  return [fact("UTC", instant.utc), fact("JST (UTC+9)", instant.jst)];
}

// ---------------------------------------------------------------------------------------------
// Console links: only built from validated parts so no event field can inject markup or a URL.

const REGION_CODE = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const EVENT_ID = /^[A-Za-z0-9-]{1,128}$/;

export function isRegionCode(value: string): boolean {
  return REGION_CODE.test(value);
}

export function cloudTrailConsoleUrl(region: string | undefined, eventId: string | undefined): string | undefined {
  if (region === undefined || eventId === undefined || !isRegionCode(region) || !EVENT_ID.test(eventId)) return undefined;
  return `https://${region}.console.aws.amazon.com/cloudtrailv2/home?region=${region}#/events/${eventId}`;
}

export function regionFromArn(arn: string | undefined): string | undefined {
  const region = arn?.split(":")[3];
  return region !== undefined && isRegionCode(region) ? region : undefined;
}

/** Headlines are capped at 150 characters: keep the resource's name, drop its ARN prefix. */
export function shortenArns(text: string): string {
  return text.replace(/arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:(?:[A-Za-z-]+[/:])?/g, "");
}
