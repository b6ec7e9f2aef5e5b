/**
 * The who-accessed question as a CloudWatch Logs Insights query over the trail's log group (E7).
 *
 * Logs Insights takes no parameters: values are written as literals. The bucket and principal are
 * allow-listed (inputs.ts) and written with the string-literal helper the saved queries use. The
 * object key is free text, so it is never a string literal: exact keys and prefixes alike become an
 * anchored regex (`like /^...$/`, `like /^.../`) with every ASCII punctuation character
 * backslash-escaped, including the `/` delimiter: the filter syntax documents regex matching with
 * `like /.../` (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Filter.html),
 * not backslash escapes inside string literals. Control characters never reach here (inputs.ts
 * refuses them), so a value cannot end a line of the query.
 */
import { insightsString } from "../../cloudtrail/queries";
import { COPY_EVENT_NAMES, KEYS_NOT_RECORDED_EVENT } from "./athena";
import type { WhoQuery } from "./inputs";

/** Logs Insights returns at most this many rows per query. */
export const INSIGHTS_MAX_ROWS = 10_000;

/** A field name with a hyphen must be quoted with backticks (CWL_QuerySyntax-Guidelines). */
const COPY_SOURCE_FIELD = "`requestParameters.x-amz-copy-source`";

function escapeRegex(text: string): string {
  return text.replace(/[!-/:-@[-`{-~]/g, (c) => `\\${c}`);
}

/** `/^escaped/`: matches strings that start with `prefix`, every punctuation character literal. */
export function insightsPrefixRegex(prefix: string): string {
  return `/^${escapeRegex(prefix)}/`;
}

/** `/^escaped$/`: matches exactly `value`. */
export function insightsExactRegex(value: string): string {
  return `/^${escapeRegex(value)}$/`;
}

/** How SDKs send x-amz-copy-source: each path segment URL-encoded. */
function encodedCopySource(text: string): string {
  return text.split("/").map(encodeURIComponent).join("/");
}

/** x-amz-copy-source is `bucket/key` or `/bucket/key`, raw or URL-encoded, maybe `?versionId=`. */
function copySourceRegex(source: string, exact: boolean): string[] {
  const forms = [...new Set([source, encodedCopySource(source)])];
  return forms.map((form) => `/^\\/?${escapeRegex(form)}${exact ? "(\\?versionId=.*)?$" : ""}/`);
}

/** The target filter: the bucket/key, DeleteObjects on the bucket (no keys recorded), copies from it. */
export function insightsTargetFilter(query: Pick<WhoQuery, "bucket" | "key">): string {
  const bucket = `requestParameters.bucketName = ${insightsString(query.bucket)}`;
  const copies = `eventName in [${COPY_EVENT_NAMES.map(insightsString).join(", ")}]`;
  if (!query.key) {
    const source = copySourceRegex(`${query.bucket}/`, false)
      .map((r) => `${COPY_SOURCE_FIELD} like ${r}`)
      .join(" or ");
    return `${bucket} or (${copies} and (${source}))`;
  }
  const exact = query.key.match === "exact";
  const key = `requestParameters.key like ${exact ? insightsExactRegex(query.key.value) : insightsPrefixRegex(query.key.value)}`;
  const source = copySourceRegex(`${query.bucket}/${query.key.value}`, exact)
    .map((r) => `${COPY_SOURCE_FIELD} like ${r}`)
    .join(" or ");
  return `(${bucket} and (${key} or eventName = ${insightsString(KEYS_NOT_RECORDED_EVENT)})) or (${copies} and (${source}))`;
}

export function buildInsightsQuery(query: WhoQuery, limit = INSIGHTS_MAX_ROWS): string {
  const lines = [
    "fields eventTime, eventID as eventId, eventName, awsRegion,",
    "  userIdentity.type as identityType, userIdentity.arn as principalArn, userIdentity.principalId as principalId,",
    "  userIdentity.accessKeyId as accessKeyId, userIdentity.invokedBy as invokedBy,",
    "  userIdentity.sessionContext.sessionIssuer.arn as roleArn,",
    "  userIdentity.sessionContext.attributes.mfaAuthenticated as mfaAuthenticated,",
    "  sourceIPAddress, userAgent, errorCode, errorMessage,",
    `  requestParameters.bucketName as bucket, requestParameters.key as objectKey, ${COPY_SOURCE_FIELD} as copySource`,
    '| filter eventSource = "s3.amazonaws.com" and eventCategory = "Data"',
    `| filter ${insightsTargetFilter(query)}`,
  ];
  if (query.principal !== undefined) {
    const arn = insightsString(query.principal);
    lines.push(`| filter userIdentity.arn = ${arn} or userIdentity.sessionContext.sessionIssuer.arn = ${arn}`);
  }
  lines.push("| sort eventTime asc", `| limit ${limit}`);
  return lines.join("\n");
}

export { insightsTimeRange } from "../../cloudtrail/insights-query";
