/**
 * The who-accessed question as a CloudWatch Logs Insights query over the trail's log group (E7).
 *
 * Logs Insights takes no parameters: values are written as literals. Exact values use the
 * string-literal helper the saved queries use (handlers/daily-review/queries.ts insightsString:
 * backslash and double quote escaped); a key prefix becomes an anchored regex with every ASCII
 * punctuation character backslash-escaped (including the `/` delimiter). Control characters never
 * reach here (inputs.ts refuses them), so a value cannot end a line of the query.
 */
import { insightsString } from "../../cloudtrail/queries";
import type { WhoQuery } from "./inputs";

/** Logs Insights returns at most this many rows per query. */
export const INSIGHTS_MAX_ROWS = 10_000;

/** Result fields (aliases), in order. */
export const INSIGHTS_FIELDS = [
  "eventTime",
  "eventId",
  "eventName",
  "awsRegion",
  "identityType",
  "principalArn",
  "principalId",
  "accessKeyId",
  "invokedBy",
  "roleArn",
  "mfaAuthenticated",
  "sourceIPAddress",
  "userAgent",
  "errorCode",
  "errorMessage",
  "bucket",
  "objectKey",
] as const;

/** `/^escaped/`: matches strings that start with `prefix`, every punctuation character literal. */
export function insightsPrefixRegex(prefix: string): string {
  return `/^${prefix.replace(/[!-/:-@[-`{-~]/g, (c) => `\\${c}`)}/`;
}

export function buildInsightsQuery(query: WhoQuery, limit = INSIGHTS_MAX_ROWS): string {
  const lines = [
    "fields eventTime, eventID as eventId, eventName, awsRegion,",
    "  userIdentity.type as identityType, userIdentity.arn as principalArn, userIdentity.principalId as principalId,",
    "  userIdentity.accessKeyId as accessKeyId, userIdentity.invokedBy as invokedBy,",
    "  userIdentity.sessionContext.sessionIssuer.arn as roleArn,",
    "  userIdentity.sessionContext.attributes.mfaAuthenticated as mfaAuthenticated,",
    "  sourceIPAddress, userAgent, errorCode, errorMessage,",
    "  requestParameters.bucketName as bucket, requestParameters.key as objectKey",
    `| filter eventSource = "s3.amazonaws.com" and eventCategory = "Data" and requestParameters.bucketName = ${insightsString(query.bucket)}`,
  ];
  if (query.key?.match === "exact") lines.push(`| filter requestParameters.key = ${insightsString(query.key.value)}`);
  if (query.key?.match === "prefix") lines.push(`| filter requestParameters.key like ${insightsPrefixRegex(query.key.value)}`);
  if (query.principal !== undefined) {
    const arn = insightsString(query.principal);
    lines.push(`| filter userIdentity.arn = ${arn} or userIdentity.sessionContext.sessionIssuer.arn = ${arn}`);
  }
  lines.push("| sort eventTime asc", `| limit ${limit}`);
  return lines.join("\n");
}

/** StartQuery's range in epoch seconds; endTime is inclusive, so it stops one second early. */
export function insightsTimeRange(query: Pick<WhoQuery, "start" | "end">): { startTime: number; endTime: number } {
  return { startTime: Math.floor(query.start.getTime() / 1000), endTime: Math.ceil(query.end.getTime() / 1000) - 1 };
}
