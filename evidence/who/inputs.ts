/**
 * The auditor's question as validated values (`npm run evidence -- who`).
 *
 * Every value that reaches a query passes an allow-list here first, so the query builders only
 * ever see names of a known shape; the one free-text value, the object key, is length- and
 * character-checked here and escaped (Athena: an inlined SQL string literal, Logs Insights: an
 * anchored regex literal) by the builders. Messages name the argument and say what is allowed.
 */
import { UsageError } from "../../cli/args";

export type KeyMatch = "exact" | "prefix";

export interface WhoQuery {
  bucket: string;
  /** Object key, or key prefix when `match` is "prefix". */
  key?: { value: string; match: KeyMatch };
  /** IAM user / role ARN or an STS session ARN; matches the caller or its session issuer. */
  principal?: string;
  /** Inclusive, whole seconds, UTC. */
  start: Date;
  /** Exclusive, whole seconds, UTC. */
  end: Date;
}

export const MAX_KEY_BYTES = 1024;
export const MAX_PRINCIPAL_LENGTH = 2048;

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// Buckets created in us-east-1 before March 2018 may also hold upper case and underscores.
const LEGACY_BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/;
const PRINCIPAL =
  /^arn:aws(?:-cn|-us-gov|-iso|-iso-[a-z]|-eusc)?:(?:iam|sts)::\d{12}:(?:root|(?:user|role|group|assumed-role|federated-user)\/[A-Za-z0-9+=,.@_/-]+)$/;
// C0 and C1 control characters (newline, carriage return, tab, NUL, ...).
// eslint-disable-next-line no-control-regex -- rejecting control characters in user input is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
const GLUE_NAME = /^[A-Za-z0-9_]{1,255}$/;
const WORKGROUP = /^[A-Za-z0-9._-]{1,128}$/;
const LOG_GROUP = /^[A-Za-z0-9._\-/#]{1,512}$/;
const STACK = /^[A-Za-z0-9._/-]{1,200}$/;

function visible(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return JSON.stringify(shown);
}

export function validateBucket(command: string, text: string): string {
  if (BUCKET.test(text) && !text.includes("..")) return text;
  if (LEGACY_BUCKET.test(text) && !text.includes("..")) return text;
  throw new UsageError(
    `${command}: --bucket ${visible(text)} is not an S3 bucket name; allowed: 3-63 lower-case letters, digits, dots and hyphens, ` +
      "starting and ending with a letter or digit (legacy us-east-1 names: up to 255, also upper case and _)",
  );
}

/**
 * `--key a/b/c.pdf` matches that object; `--key a/b/*` (a trailing `*`) matches every key that
 * starts with `a/b/`. Quotes, semicolons and other printable characters are legal in S3 keys and
 * are kept (the builders escape them); control characters and over-long values are refused.
 */
export function validateKey(command: string, text: string): { value: string; match: KeyMatch } {
  const match: KeyMatch = text.endsWith("*") ? "prefix" : "exact";
  const value = match === "prefix" ? text.slice(0, -1) : text;
  const allowed = `allowed: an S3 object key of 1-${MAX_KEY_BYTES} UTF-8 bytes without control characters, or a prefix followed by * (e.g. patients/0042/*)`;
  if (CONTROL.test(text)) {
    throw new UsageError(`${command}: --key ${visible(text)} contains a control character (newline, tab, ...); ${allowed}`);
  }
  if (Buffer.byteLength(value, "utf8") > MAX_KEY_BYTES) {
    throw new UsageError(`${command}: --key is ${Buffer.byteLength(value, "utf8")} bytes long, more than an S3 key can be; ${allowed}`);
  }
  if (value === "") {
    throw new UsageError(`${command}: --key "${text}" matches every object; leave --key out to ask about the whole bucket`);
  }
  if (/[\ud800-\udfff]/.test(value.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ""))) {
    throw new UsageError(`${command}: --key ${visible(text)} is not valid Unicode (a lone surrogate); ${allowed}`);
  }
  return { value, match };
}

export function validatePrincipal(command: string, text: string): string {
  if (text.length <= MAX_PRINCIPAL_LENGTH && PRINCIPAL.test(text)) return text;
  throw new UsageError(
    `${command}: --principal ${visible(text)} is not an IAM or STS principal ARN; allowed: arn:aws:iam::<12-digit account>:role/<name>, ` +
      `...:user/<name>, arn:aws:sts::<account>:assumed-role/<role>/<session>, ...:federated-user/<name> or ...:root, ` +
      `with letters, digits and + = , . @ _ - / only, at most ${MAX_PRINCIPAL_LENGTH} characters`,
  );
}

/**
 * The validators below take a `label` naming where the value came from: a flag ("--database") or
 * a stack output ("stack prd output athena.database").
 */
export function validateRegion(command: string, label: string, text: string): string {
  if (REGION.test(text) && text.length <= 30) return text;
  throw new UsageError(`${command}: ${label} ${visible(text)} is not an AWS region name (e.g. ap-northeast-1)`);
}

export function validateGlueName(command: string, label: string, text: string): string {
  if (GLUE_NAME.test(text)) return text;
  throw new UsageError(`${command}: ${label} ${visible(text)} is not an Athena database or table name; allowed: 1-255 letters, digits and _`);
}

export function validateWorkgroup(command: string, label: string, text: string): string {
  if (WORKGROUP.test(text)) return text;
  throw new UsageError(`${command}: ${label} ${visible(text)} is not an Athena workgroup name; allowed: 1-128 letters, digits, . _ -`);
}

export function validateLogGroup(command: string, label: string, text: string): string {
  if (LOG_GROUP.test(text)) return text;
  throw new UsageError(`${command}: ${label} ${visible(text)} is not a CloudWatch Logs log group name; allowed: 1-512 letters, digits, . _ - / #`);
}

export function validateStack(command: string, text: string): string {
  if (STACK.test(text)) return text;
  throw new UsageError(`${command}: --stack ${visible(text)} is not a Pulumi stack name (letters, digits, . _ - /)`);
}

/** Whole seconds: start rounded down, end rounded up, so the period never shrinks. */
export function periodToSeconds(start: Date, end: Date): { start: Date; end: Date } {
  return {
    start: new Date(Math.floor(start.getTime() / 1000) * 1000),
    end: new Date(Math.ceil(end.getTime() / 1000) * 1000),
  };
}

/** `YYYY-MM-DDTHH:MM:SSZ`, the form of CloudTrail's eventTime. */
export function eventTimeText(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
