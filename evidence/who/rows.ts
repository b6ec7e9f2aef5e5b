/**
 * One row per CloudTrail event with the audit record fields (A1-A6), mapped from either engine's
 * result shape: Athena ResultSet rows (VarCharValue per column, null when absent, the caller's
 * identity as a JSON string) and Logs Insights results (field/value pairs).
 */
import type { Row } from "@aws-sdk/client-athena";
import type { ResultField } from "@aws-sdk/client-cloudwatch-logs";

export type Mfa = "yes" | "no" | "unknown";

export const LOG_FILE_NOT_AVAILABLE = "n/a (CloudWatch Logs)";
export const DIGEST_NOT_CHECKED = "not checked";
/**
 * The KEY of a DeleteObjects row: the keys are in the request body, which CloudTrail does not
 * record (its requestParameters carry only `delete: ""`), so the batch may have removed the object
 * asked about. Listed, never dropped, so the auditor sees it.
 */
export const KEYS_NOT_RECORDED = "(object keys not recorded by S3)";

export interface WhoRow {
  /** A1: UTC, ISO 8601 with Z. */
  time: string;
  /** A2: the caller (userIdentity.arn; for AWS services invokedBy; else principalId). */
  principal: string;
  /** A2: the IAM role behind an assumed-role session (session issuer ARN); "" when none. */
  role: string;
  /** A2: userIdentity.type (AssumedRole, IAMUser, AWSService, ...). */
  identityType: string;
  /** A2: the credential used (access key id); "" when not recorded. */
  accessKeyId: string;
  mfa: Mfa;
  /** A3: eventName. */
  action: string;
  /** A4 */
  bucket: string;
  key: string;
  /** CopyObject/UploadPartCopy: the object read (x-amz-copy-source as recorded); "" otherwise. */
  copySource: string;
  /** A5 */
  sourceIp: string;
  userAgent: string;
  /** A6: "success", or "<errorCode>: <errorMessage>". */
  result: string;
  errorCode: string;
  errorMessage: string;
  eventId: string;
  region: string;
  /** s3://bucket/key of the log file the event was read from, or why there is none. */
  logFile: string;
  /** Whether that log file's digest verified (--verify-digests), else "not checked". */
  digest: string;
}

/** Reads a path from a JSON object, matching names case-insensitively (Athena lower-cases them). */
function pick(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const name of path.split(".")) {
    if (!current || typeof current !== "object" || Array.isArray(current)) return undefined;
    const wanted = name.toLowerCase();
    const entry = Object.entries(current as Record<string, unknown>).find(([k]) => k.toLowerCase() === wanted);
    current = entry?.[1];
  }
  return current;
}

function text(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : String(value);
}

/** mfaAuthenticated is the string "true"/"false" in CloudTrail (Logs Insights may show 1/0). */
export function mfaOf(value: unknown): Mfa {
  const v = text(value).trim().toLowerCase();
  if (v === "true" || v === "1") return "yes";
  if (v === "false" || v === "0") return "no";
  return "unknown";
}

export function resultOf(errorCode: string, errorMessage: string): string {
  if (!errorCode && !errorMessage) return "success";
  if (!errorCode) return `error: ${errorMessage}`;
  return errorMessage ? `${errorCode}: ${errorMessage}` : errorCode;
}

/** CloudTrail eventTime normalised to `YYYY-MM-DDTHH:MM:SSZ`; kept as is when not a time. */
export function utcTime(value: string): string {
  const ms = Date.parse(value);
  if (!value || Number.isNaN(ms)) return value;
  const iso = new Date(ms).toISOString();
  return iso.endsWith(".000Z") ? iso.replace(/\.000Z$/, "Z") : iso;
}

interface IdentityFields {
  identityType: string;
  principalArn: string;
  principalId: string;
  accessKeyId: string;
  invokedBy: string;
  roleArn: string;
  mfaAuthenticated: string;
}

interface EventFields extends IdentityFields {
  eventTime: string;
  eventId: string;
  eventName: string;
  awsRegion: string;
  sourceIp: string;
  userAgent: string;
  errorCode: string;
  errorMessage: string;
  bucket: string;
  key: string;
  copySource: string;
  logFile: string;
}

function toRow(f: EventFields): WhoRow {
  return {
    time: utcTime(f.eventTime),
    principal: f.principalArn || f.invokedBy || f.principalId || (f.identityType ? `(${f.identityType})` : "unknown"),
    role: f.roleArn,
    identityType: f.identityType,
    accessKeyId: f.accessKeyId,
    mfa: mfaOf(f.mfaAuthenticated),
    action: f.eventName,
    bucket: f.bucket,
    key: f.key || (f.eventName === "DeleteObjects" ? KEYS_NOT_RECORDED : ""),
    copySource: f.copySource,
    sourceIp: f.sourceIp,
    userAgent: f.userAgent,
    result: resultOf(f.errorCode, f.errorMessage),
    errorCode: f.errorCode,
    errorMessage: f.errorMessage,
    eventId: f.eventId,
    region: f.awsRegion,
    logFile: f.logFile,
    digest: DIGEST_NOT_CHECKED,
  };
}

type RowSchema = ReadonlyArray<string | readonly [string, RowSchema]>;

/**
 * Field order of the table's `useridentity` struct (infra/components/audit-queries.ts
 * CLOUDTRAIL_COLUMNS). Trino casts a ROW to a JSON object with these names; engines with the
 * older Presto semantics cast it to a JSON array in this order, which is named back here.
 */
export const USER_IDENTITY_SCHEMA: RowSchema = [
  "type",
  "principalid",
  "arn",
  "accountid",
  "invokedby",
  "accesskeyid",
  "username",
  ["onbehalfof", ["userid", "identitystorearn"]],
  [
    "sessioncontext",
    [
      ["attributes", ["mfaauthenticated", "creationdate"]],
      ["sessionissuer", ["type", "principalid", "arn", "accountid", "username"]],
      "sourceidentity",
      "ec2roledelivery",
      ["webidfederationdata", ["federatedprovider", "attributes"]],
    ],
  ],
];

/** A ROW cast to a JSON array, named by `schema`; anything else unchanged. */
export function nameRowArray(value: unknown, schema: RowSchema): unknown {
  if (!Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  schema.forEach((field, i) => {
    if (typeof field === "string") out[field] = value[i];
    else out[field[0]] = nameRowArray(value[i], field[1]);
  });
  return out;
}

/** The identity fields from userIdentity as JSON (Athena: json_format(CAST(useridentity AS JSON))). */
export function identityFromJson(json: string | null): IdentityFields {
  let parsed: unknown = null;
  if (json) {
    try {
      parsed = nameRowArray(JSON.parse(json), USER_IDENTITY_SCHEMA);
    } catch {
      parsed = null;
    }
  }
  return {
    identityType: text(pick(parsed, "type")),
    principalArn: text(pick(parsed, "arn")),
    principalId: text(pick(parsed, "principalId")),
    accessKeyId: text(pick(parsed, "accessKeyId")),
    invokedBy: text(pick(parsed, "invokedBy")),
    roleArn: text(pick(parsed, "sessionContext.sessionIssuer.arn")),
    mfaAuthenticated: text(pick(parsed, "sessionContext.attributes.mfaAuthenticated")),
  };
}

export class ResultShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ResultShapeError";
  }
}

/** Column names from the header row (the first row of the first GetQueryResults page). */
export function athenaHeader(row: Row, required: readonly string[]): string[] {
  const names = (row.Data ?? []).map((d) => d.VarCharValue ?? "");
  const missing = required.filter((c) => !names.includes(c));
  if (missing.length > 0) {
    throw new ResultShapeError(`Athena result header is [${names.join(", ")}]; missing column(s): ${missing.join(", ")}`);
  }
  return names;
}

/** One data row as column -> value; a Datum without VarCharValue is SQL NULL. */
export function athenaRecord(header: readonly string[], row: Row): Record<string, string | null> {
  const record: Record<string, string | null> = {};
  const data = row.Data ?? [];
  header.forEach((name, i) => {
    record[name] = data[i]?.VarCharValue ?? null;
  });
  return record;
}

export function rowFromAthena(record: Record<string, string | null>): WhoRow {
  const v = (name: string) => record[name] ?? "";
  return toRow({
    ...identityFromJson(record.useridentity ?? null),
    eventTime: v("eventtime"),
    eventId: v("eventid"),
    eventName: v("eventname"),
    awsRegion: v("awsregion"),
    sourceIp: v("sourceipaddress"),
    userAgent: v("useragent"),
    errorCode: v("errorcode"),
    errorMessage: v("errormessage"),
    bucket: v("bucket"),
    key: v("object_key"),
    copySource: v("copy_source"),
    // "$path" is already s3://bucket/key.
    logFile: record.log_file || "unknown",
  });
}

/** One Logs Insights result (field/value pairs, `@ptr` ignored). */
export function rowFromInsights(fields: readonly ResultField[]): WhoRow {
  const values: Record<string, string> = {};
  for (const f of fields) if (f.field && f.field !== "@ptr" && f.value !== undefined) values[f.field] = f.value;
  const v = (name: string) => values[name] ?? "";
  return toRow({
    identityType: v("identityType"),
    principalArn: v("principalArn"),
    principalId: v("principalId"),
    accessKeyId: v("accessKeyId"),
    invokedBy: v("invokedBy"),
    roleArn: v("roleArn"),
    mfaAuthenticated: v("mfaAuthenticated"),
    eventTime: v("eventTime"),
    eventId: v("eventId"),
    eventName: v("eventName"),
    awsRegion: v("awsRegion"),
    sourceIp: v("sourceIPAddress"),
    userAgent: v("userAgent"),
    errorCode: v("errorCode"),
    errorMessage: v("errorMessage"),
    bucket: v("bucket"),
    key: v("objectKey"),
    copySource: v("copySource"),
    logFile: LOG_FILE_NOT_AVAILABLE,
  });
}
