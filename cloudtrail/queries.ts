/**
 * CloudWatch Logs Insights queries over the trail's log group for the 5W1H questions auditors ask
 * (E7): who accessed object X, what did principal Y do, which accesses failed, and which
 * non-routine (write) operations happened outside the deployment pipeline (E14).
 *
 * Logs Insights facts these rely on: CloudTrail JSON fields are discovered by name
 * (userIdentity.arn, requestParameters.bucketName, ...); JSON booleans become 1/0, so write events
 * are `readOnly = 0` (`= false` silently matches nothing); `not in [..]` tests set membership.
 * Saved queries cannot take parameters, so the saved versions carry placeholders to replace.
 */

/** The IAM role behind an assumed-role session, else the caller's ARN, else who invoked. */
export const PRINCIPAL_EXPRESSION = "coalesce(userIdentity.sessionContext.sessionIssuer.arn, userIdentity.arn, userIdentity.invokedBy, userIdentity.type)";

export const MAX_RESULT_ROWS = 10_000;

/** A Logs Insights double-quoted string literal. */
export function insightsString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Who: every S3 data event on one object, with the 5W1H fields (A1-A6). */
export function whoAccessedObjectQuery(bucket: string, key: string): string {
  return [
    "fields eventTime, eventName, coalesce(userIdentity.arn, userIdentity.principalId) as principal, userIdentity.accessKeyId as accessKeyId,",
    "  sourceIPAddress, userAgent, errorCode, errorMessage, requestID",
    `| filter eventSource = "s3.amazonaws.com" and requestParameters.bucketName = ${insightsString(bucket)} and requestParameters.key = ${insightsString(key)}`,
    "| sort eventTime desc",
    `| limit ${MAX_RESULT_ROWS}`,
  ].join("\n");
}

/** What: everything one principal (a role, its sessions, or a user) did. */
export function principalActivityQuery(principalArn: string): string {
  const arn = insightsString(principalArn);
  return [
    "fields eventTime, eventSource, eventName, awsRegion, sourceIPAddress, userAgent, readOnly, errorCode, errorMessage,",
    "  requestParameters.bucketName as bucket, requestParameters.key as objectKey",
    `| filter userIdentity.arn = ${arn} or userIdentity.sessionContext.sessionIssuer.arn = ${arn}`,
    "| sort eventTime desc",
    `| limit ${MAX_RESULT_ROWS}`,
  ].join("\n");
}

/** Failed accesses: authorization errors and failed console sign-ins, by principal and source. */
export function failedAccessQuery(): string {
  return [
    `fields ${PRINCIPAL_EXPRESSION} as principalArn`,
    '| filter errorCode like /AccessDenied|Unauthorized|Forbidden|NotAuthorized/ or responseElements.ConsoleLogin = "Failure"',
    "| stats count(*) as failures, earliest(eventTime) as firstSeen, latest(eventTime) as lastSeen by principalArn, eventSource, eventName, errorCode, sourceIPAddress",
    "| sort failures desc",
    "| limit 1000",
  ].join("\n");
}

/**
 * Non-routine operations: write events (readOnly = 0) by anyone but AWS services and the
 * deployment roles, summarised per principal and API call. The daily review reads this.
 */
export function nonRoutineOperationsQuery(deployerRoleArns: readonly string[]): string {
  const lines = [`fields ${PRINCIPAL_EXPRESSION} as principalArn`, '| filter readOnly = 0 and userIdentity.type != "AWSService"'];
  if (deployerRoleArns.length > 0) {
    lines.push(`| filter principalArn not in [${deployerRoleArns.map(insightsString).join(", ")}]`);
  }
  lines.push(
    "| stats count(*) as calls, earliest(eventTime) as firstSeen, latest(eventTime) as lastSeen by principalArn, eventSource, eventName",
    "| sort calls desc",
    "| limit 1000",
  );
  return lines.join("\n");
}

export interface SavedQueryDefinition {
  /** Logs Insights saved query name; `/` makes folders in the console. */
  name: string;
  description: string;
  queryString: string;
}

export const PLACEHOLDER_BUCKET = "REPLACE_WITH_BUCKET_NAME";
export const PLACEHOLDER_OBJECT_KEY = "REPLACE_WITH_OBJECT_KEY";
export const PLACEHOLDER_PRINCIPAL_ARN = "REPLACE_WITH_PRINCIPAL_ARN";

/** The saved QueryDefinitions infra creates on the trail's log group (E7). */
export function savedQueryDefinitions(deployerRoleArns: readonly string[], folder = "audit-trail"): SavedQueryDefinition[] {
  return [
    {
      name: `${folder}/who-accessed-object`,
      description: "Who read, wrote or deleted one S3 object, when, from where, with which result (replace bucket and key)",
      queryString: whoAccessedObjectQuery(PLACEHOLDER_BUCKET, PLACEHOLDER_OBJECT_KEY),
    },
    {
      name: `${folder}/principal-activity`,
      description: "Everything one principal (role, its sessions, or user) did (replace the ARN)",
      queryString: principalActivityQuery(PLACEHOLDER_PRINCIPAL_ARN),
    },
    {
      name: `${folder}/failed-access`,
      description: "Authorization failures and failed console sign-ins, by principal and source IP",
      queryString: failedAccessQuery(),
    },
    {
      name: `${folder}/non-routine-operations`,
      description: "Write operations by anyone but AWS services and the deployment roles (the daily review's query)",
      queryString: nonRoutineOperationsQuery(deployerRoleArns),
    },
  ];
}
