/**
 * Pure half of the notifier (E8, E9, E10, E14): SNS message text in, a Slack Block Kit payload out.
 *
 * - classifyMessage() parses one SNS message and decides what it is (CloudTrail API call, CloudWatch
 *   alarm, Config compliance change, daily-review findings, or anything else) and whether it is a
 *   routine deployer operation (recorded by CloudTrail, not notified: 001 No.29).
 * - renderSlackPayload() turns the typed Notification into Slack Block Kit within Slack's limits.
 *
 * No I/O and no clock: every output is a function of the input, so tests assert exact text.
 * Nothing here may throw for any input: an unrecognised or malformed message becomes a "raw"
 * notification carrying the (truncated) original text, because an alert is never thrown away (E8).
 */

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

export type NotificationKind =
  | 'cloudtrail-api-call'
  | 'cloudwatch-alarm'
  | 'config-compliance'
  | 'daily-review'
  | 'raw';

/** One label/value line of a notification; values are plain text (escaped when rendered). */
export interface NotificationFact {
  readonly label: string;
  readonly value: string;
}

/** A group of facts answering one audit question (who / what / when / where / result: A1-A6). */
export interface NotificationSection {
  readonly title: string;
  readonly facts: readonly NotificationFact[];
}

export interface NotificationLink {
  readonly label: string;
  readonly url: string;
}

export interface Notification {
  readonly kind: NotificationKind;
  readonly severity: Severity;
  /** One line, no markup: what happened, on what. */
  readonly headline: string;
  readonly sections: readonly NotificationSection[];
  readonly links: readonly NotificationLink[];
  /** The original message, truncated, for kind "raw" (shown verbatim in a code block). */
  readonly rawText?: string;
  /** Stable id of the source event (CloudTrail eventID, alarm ARN, review record key) for logs. */
  readonly reference?: string;
}

/** A routine operation: CloudTrail keeps it, Slack does not get it (001 No.29, 定常操作: 通知設定なし). */
export interface RoutineOperation {
  readonly eventName: string;
  readonly eventId?: string;
  readonly sessionIssuerArn: string;
}

export type ClassifiedMessage =
  | { readonly action: 'notify'; readonly notification: Notification }
  | { readonly action: 'skip-routine'; readonly routine: RoutineOperation };

/** One message taken out of the Lambda event, before classification. */
export interface IncomingMessage {
  /** Position in event.Records (0 when the event was not an SNS event). */
  readonly index: number;
  readonly snsMessageId?: string;
  readonly subject?: string;
  /** The SNS Message string, or the JSON of whatever arrived instead of one. */
  readonly body: string;
  /** Why the body is not a plain SNS Message (shown in the raw notification). */
  readonly note?: string;
}

export interface ClassifyOptions {
  /** Session-issuer role ARNs whose successful calls are routine (env DEPLOYER_ROLE_ARNS). */
  readonly deployerRoleArns: ReadonlySet<string>;
}

export interface RenderOptions {
  readonly environment: string;
  readonly channel: string;
}

// ---------------------------------------------------------------------------------------------
// Slack limits (Block Kit reference): header text 150, section/context text 3000, 50 blocks.
// Slack also rejects messages whose blocks total roughly 13k characters (msg_blocks_too_long),
// so the whole message is kept well under that.
export const SLACK_LIMITS = {
  headerText: 150,
  sectionText: 3000,
  contextText: 3000,
  blocks: 50,
  fallbackText: 3000,
  totalBlockText: 10_000,
} as const;

/** How much of an unrecognised message is shown (E8: never dropped, but bounded). */
export const RAW_MESSAGE_MAX_CHARS = 2500;
/** Per-value cap: one runaway field (a user agent, an error message) must not crowd out the rest. */
const FACT_VALUE_MAX_CHARS = 600;
const DAILY_REVIEW_MAX_FINDINGS = 20;
const JST_OFFSET_MS = 9 * 60 * 60 * 1000;

export const SEVERITY_EMOJI: Readonly<Record<Severity, string>> = {
  critical: ':rotating_light:',
  high: ':warning:',
  medium: ':large_orange_diamond:',
  low: ':information_source:',
  info: ':white_check_mark:',
};

/**
 * The tamper operations of E8 (003 6-1): what each means for the audit trail and how bad it is.
 * Stopping or destroying the trail, its key or its lock is critical; changing them is high.
 */
export const TAMPER_OPERATIONS: Readonly<Record<string, { severity: Severity; summary: string }>> = {
  StopLogging: { severity: 'critical', summary: 'CloudTrail logging stopped' },
  DeleteTrail: { severity: 'critical', summary: 'CloudTrail trail deleted' },
  UpdateTrail: { severity: 'high', summary: 'CloudTrail trail configuration changed' },
  PutEventSelectors: { severity: 'high', summary: 'Trail event selectors changed (events may no longer be recorded)' },
  PutInsightSelectors: { severity: 'high', summary: 'Trail Insights selectors changed' },
  DisableKey: { severity: 'critical', summary: 'KMS key disabled (log encryption and reading break)' },
  ScheduleKeyDeletion: { severity: 'critical', summary: 'KMS key scheduled for deletion' },
  PutKeyPolicy: { severity: 'high', summary: 'KMS key policy replaced' },
  // S3 API PutObjectLockConfiguration; E8 also names it PutBucketObjectLockConfiguration (003 6-1).
  PutObjectLockConfiguration: { severity: 'critical', summary: 'S3 Object Lock configuration changed' },
  PutBucketObjectLockConfiguration: { severity: 'critical', summary: 'S3 Object Lock configuration changed' },
  DeleteBucketPolicy: { severity: 'critical', summary: 'S3 bucket policy deleted' },
  PutBucketPolicy: { severity: 'high', summary: 'S3 bucket policy replaced' },
  PutBucketLifecycle: { severity: 'high', summary: 'S3 lifecycle changed (an expiration could delete logs)' },
  PutBucketLifecycleConfiguration: { severity: 'high', summary: 'S3 lifecycle changed (an expiration could delete logs)' },
  PutBucketVersioning: { severity: 'high', summary: 'S3 bucket versioning changed' },
  DeleteBucket: { severity: 'critical', summary: 'S3 bucket deleted' },
};

const ACCESS_DENIED_CODES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'Client.UnauthorizedOperation',
  'UnauthorizedOperation',
]);

// ---------------------------------------------------------------------------------------------
// Lambda event -> messages

/**
 * Takes the SNS messages out of a Lambda event. Anything that is not a well-formed SNS record
 * (no Records, empty Records, a record without Sns.Message) still yields a message carrying its
 * JSON, so it is notified raw instead of being lost (E8).
 */
export function extractIncomingMessages(event: unknown): IncomingMessage[] {
  const records = isObject(event) ? event.Records : undefined;
  if (!Array.isArray(records) || records.length === 0) {
    const note = Array.isArray(records)
      ? 'Lambda event has an empty Records list'
      : 'Lambda event is not an SNS event (no Records list)';
    return [{ index: 0, body: safeJsonStringify(event), note }];
  }
  return records.map((record: unknown, index): IncomingMessage => {
    const sns = isObject(record) && isObject(record.Sns) ? record.Sns : undefined;
    const snsMessageId = nonEmptyString(sns?.MessageId);
    const subject = nonEmptyString(sns?.Subject);
    if (sns !== undefined && typeof sns.Message === 'string') {
      return { index, snsMessageId, subject, body: sns.Message };
    }
    return {
      index,
      snsMessageId,
      subject,
      body: safeJsonStringify(record),
      note: 'SNS record without a Message string',
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Classification

/** Never throws: any failure while reading a recognised shape falls back to a raw notification. */
export function classifyMessage(message: IncomingMessage, options: ClassifyOptions): ClassifiedMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.body);
  } catch {
    return notify(rawNotification(message, message.note ?? 'Message is not JSON', undefined));
  }
  try {
    const recognised = classifyParsed(parsed, options);
    if (recognised !== undefined) return recognised;
    return notify(rawNotification(message, message.note ?? unrecognisedReason(parsed), parsed));
  } catch {
    // A shape we thought we knew but could not read: still deliver the original text.
    return notify(rawNotification(message, 'Message could not be formatted', parsed));
  }
}

function classifyParsed(parsed: unknown, options: ClassifyOptions): ClassifiedMessage | undefined {
  if (!isObject(parsed)) return undefined;
  const detail = parsed.detail;
  if (isCloudTrailRecord(detail)) return classifyCloudTrail(detail, parsed, options);
  if (parsed['detail-type'] === 'Config Rules Compliance Change' && isObject(detail) && nonEmptyString(detail.configRuleName)) {
    return notify(configComplianceNotification(detail, parsed));
  }
  if (nonEmptyString(parsed.AlarmName) && nonEmptyString(parsed.NewStateValue)) {
    return notify(alarmNotification(parsed));
  }
  if (parsed.kind === 'daily-review' && Array.isArray(parsed.findings)) {
    return notify(dailyReviewNotification(parsed));
  }
  // A bare CloudTrail record (e.g. replayed from the log bucket) rather than an EventBridge event.
  if (parsed['detail-type'] === undefined && isCloudTrailRecord(parsed)) {
    return classifyCloudTrail(parsed, {}, options);
  }
  return undefined;
}

function unrecognisedReason(parsed: unknown): string {
  if (isObject(parsed) && parsed['detail-type'] !== undefined && !isObject(parsed.detail)) {
    return 'EventBridge event without a detail object';
  }
  if (isObject(parsed) && isObject(parsed.detail) && parsed['detail-type'] === 'AWS API Call via CloudTrail') {
    return 'CloudTrail event without eventName / eventSource';
  }
  return 'Unrecognised message';
}

function notify(notification: Notification): ClassifiedMessage {
  return { action: 'notify', notification };
}

function isCloudTrailRecord(value: unknown): value is JsonObject {
  return isObject(value) && nonEmptyString(value.eventName) !== undefined && nonEmptyString(value.eventSource) !== undefined;
}

// ---------------------------------------------------------------------------------------------
// CloudTrail API calls (E8, E9 AccessDenied): who / what / when / where / result (A1-A6)

function classifyCloudTrail(record: JsonObject, envelope: JsonObject, options: ClassifyOptions): ClassifiedMessage {
  const eventName = nonEmptyString(record.eventName) ?? 'unknown';
  const errorCode = scalarText(record.errorCode);
  const sessionIssuerArn = nonEmptyString(path(record, 'userIdentity', 'sessionContext', 'sessionIssuer', 'arn'));
  // A deployer's successful call is routine. A deployer's *failed* call is not: an access failure
  // that normal operation cannot produce is exactly what 001 No.29 asks to notify.
  if (sessionIssuerArn !== undefined && options.deployerRoleArns.has(sessionIssuerArn) && errorCode === undefined) {
    return {
      action: 'skip-routine',
      routine: { eventName, eventId: nonEmptyString(record.eventID), sessionIssuerArn },
    };
  }
  return notify(cloudTrailNotification(record, envelope));
}

function cloudTrailNotification(record: JsonObject, envelope: JsonObject): Notification {
  const eventName = nonEmptyString(record.eventName) ?? 'unknown';
  const eventSource = nonEmptyString(record.eventSource) ?? 'unknown';
  const eventId = nonEmptyString(record.eventID);
  const errorCode = scalarText(record.errorCode);
  const errorMessage = scalarText(record.errorMessage);
  const region = nonEmptyString(record.awsRegion) ?? nonEmptyString(envelope.region);
  const identity = isObject(record.userIdentity) ? record.userIdentity : {};
  const identityType = nonEmptyString(identity.type);
  const issuer = path(identity, 'sessionContext', 'sessionIssuer');
  const resource = describeResource(record);

  // Own-property lookup: an eventName such as "constructor" must not find Object.prototype members.
  const tamper = Object.prototype.hasOwnProperty.call(TAMPER_OPERATIONS, eventName) ? TAMPER_OPERATIONS[eventName] : undefined;
  const denied = errorCode !== undefined && ACCESS_DENIED_CODES.has(errorCode);
  let severity: Severity = tamper?.severity ?? (denied ? 'high' : 'medium');
  // Root use is never routine and always worth a page (CIS 1.7; E9 root-use alarm).
  if (identityType === 'Root') severity = 'critical';

  const headline = `${cloudTrailHeadlineVerb(eventName, errorCode, denied, tamper?.summary)}${
    resource === undefined ? '' : ` - ${shortenArns(resource)}`
  }${identityType === 'Root' ? ' - by the ROOT user' : ''}`;

  const instant = describeInstant(nonEmptyString(record.eventTime) ?? nonEmptyString(envelope.time));
  // Event history holds management events only; a link for a data event (S3 GetObject) would
  // open an empty page, so those point to the trail's Logs Insights / Athena instead (E7).
  const isDataEvent = record.eventCategory === 'Data' || record.managementEvent === false;
  const consoleUrl = isDataEvent ? undefined : cloudTrailConsoleUrl(region, eventId);

  const who: NotificationFact[] = [
    fact('Principal', principalOf(identity)),
    fact('Identity type', identityType ?? 'not recorded'),
    fact(
      'Role (session issuer)',
      nonEmptyString(isObject(issuer) ? issuer.arn : undefined) ?? 'none (not an assumed-role session)',
    ),
    fact('MFA', mfaOf(identity)),
  ];
  const accessKeyId = nonEmptyString(identity.accessKeyId);
  if (accessKeyId !== undefined) who.push(fact('Access key', accessKeyId));
  const account = nonEmptyString(identity.accountId) ?? nonEmptyString(record.recipientAccountId) ?? nonEmptyString(envelope.account);
  if (account !== undefined) who.push(fact('Account', account));

  const what: NotificationFact[] = [fact('Event', eventName), fact('Event source', eventSource)];
  if (tamper !== undefined) what.push(fact('Meaning', tamper.summary));
  if (resource !== undefined) what.push(fact('Resource', resource));
  what.push(...notableParameters(eventName, record.requestParameters));
  if (eventId !== undefined) what.push(fact('Event ID', eventId));
  if (isDataEvent) {
    what.push(fact('Event category', 'Data event (not in CloudTrail event history: query the trail log group or Athena)'));
  }

  const result: NotificationFact[] =
    errorCode === undefined
      ? [fact('Result', 'Success')]
      : [fact('Result', 'Failed'), fact('Error code', errorCode), fact('Error message', errorMessage ?? 'not recorded')];

  return {
    kind: 'cloudtrail-api-call',
    severity,
    headline,
    sections: [
      { title: 'Who', facts: who },
      { title: 'What', facts: what },
      { title: 'When', facts: whenFacts(instant) },
      {
        title: 'Where',
        facts: [
          fact('Source IP', nonEmptyString(record.sourceIPAddress) ?? 'not recorded'),
          fact('User agent', nonEmptyString(record.userAgent) ?? 'not recorded'),
          fact('Region', region ?? 'not recorded'),
        ],
      },
      { title: 'Result', facts: result },
    ],
    links: consoleUrl === undefined ? [] : [{ label: 'Open in CloudTrail event history', url: consoleUrl }],
    reference: eventId,
  };
}

/**
 * "StopLogging: CloudTrail logging stopped", "StopLogging attempt failed (AccessDenied)",
 * "GetObject denied (AccessDenied)", "ListBuckets called".
 */
function cloudTrailHeadlineVerb(
  eventName: string,
  errorCode: string | undefined,
  denied: boolean,
  tamperSummary: string | undefined,
): string {
  if (errorCode === undefined) return tamperSummary === undefined ? `${eventName} called` : `${eventName}: ${tamperSummary}`;
  if (tamperSummary !== undefined) return `${eventName} attempt failed (${errorCode})`;
  return denied ? `${eventName} denied (${errorCode})` : `${eventName} failed (${errorCode})`;
}

/** Headlines are capped at 150 characters: keep the resource's name, drop its ARN prefix. */
function shortenArns(text: string): string {
  return text.replace(/arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:(?:[A-Za-z-]+[/:])?/g, '');
}

function principalOf(identity: JsonObject): string {
  return (
    nonEmptyString(identity.arn) ??
    nonEmptyString(identity.invokedBy) ??
    nonEmptyString(identity.principalId) ??
    'not recorded'
  );
}

function mfaOf(identity: JsonObject): string {
  const flag = path(identity, 'sessionContext', 'attributes', 'mfaAuthenticated');
  if (flag === 'true' || flag === true) return 'yes';
  if (flag === 'false' || flag === false) return 'no';
  return 'not recorded';
}

/** The trail / bucket / key / object acted on (A4), from requestParameters or resources[]. */
function describeResource(record: JsonObject): string | undefined {
  const params = isObject(record.requestParameters) ? record.requestParameters : {};
  const trail = nonEmptyString(params.name) ?? nonEmptyString(params.trailName);
  if (trail !== undefined && nonEmptyString(record.eventSource) === 'cloudtrail.amazonaws.com') return `trail ${trail}`;
  const bucket = nonEmptyString(params.bucketName);
  if (bucket !== undefined) {
    const objectKey = nonEmptyString(params.key);
    // Object keys are identifiers CloudTrail records; they are fine to show (No.50 concerns bodies).
    return objectKey === undefined ? `bucket ${bucket}` : `object s3://${bucket}/${objectKey}`;
  }
  const keyArn = Array.isArray(record.resources)
    ? record.resources
        .map((r: unknown) => (isObject(r) && r.type === 'AWS::KMS::Key' ? nonEmptyString(r.ARN) : undefined))
        .find((arn) => arn !== undefined)
    : undefined;
  const keyId = keyArn ?? nonEmptyString(params.keyId);
  if (keyId !== undefined) return `KMS key ${keyId}`;
  if (trail !== undefined) return trail;
  if (Array.isArray(record.resources)) {
    const first = record.resources.find((r: unknown) => isObject(r) && nonEmptyString(r.ARN) !== undefined);
    if (isObject(first)) return nonEmptyString(first.ARN);
  }
  return undefined;
}

/**
 * What changed, without echoing request bodies (No.50): a few settings that decide whether logs
 * survive are shown with their values; everything else only by parameter name.
 */
function notableParameters(eventName: string, requestParameters: unknown): NotificationFact[] {
  if (!isObject(requestParameters)) return [];
  const facts: NotificationFact[] = [];
  if (eventName === 'ScheduleKeyDeletion') {
    const days = scalarText(requestParameters.pendingWindowInDays);
    facts.push(fact('Deletion window', days === undefined ? 'not recorded (default 30 days)' : `${days} days`));
  }
  if (eventName === 'PutBucketVersioning') {
    const status = scalarText(path(requestParameters, 'VersioningConfiguration', 'Status'));
    const mfaDelete = scalarText(path(requestParameters, 'VersioningConfiguration', 'MfaDelete'));
    facts.push(fact('Versioning', `${status ?? 'not recorded'}${mfaDelete === undefined ? '' : `, MFA delete ${mfaDelete}`}`));
  }
  if (eventName === 'PutObjectLockConfiguration' || eventName === 'PutBucketObjectLockConfiguration') {
    const retention = path(requestParameters, 'ObjectLockConfiguration', 'Rule', 'DefaultRetention');
    if (isObject(retention)) {
      const mode = scalarText(retention.Mode) ?? 'no mode';
      const days = scalarText(retention.Days);
      const years = scalarText(retention.Years);
      const period = days !== undefined ? `${days} days` : years !== undefined ? `${years} years` : 'no period';
      facts.push(fact('Default retention', `${mode}, ${period}`));
    } else {
      facts.push(fact('Default retention', 'none (default retention removed or not recorded)'));
    }
  }
  const names = Object.keys(requestParameters).map((name) => {
    const value = requestParameters[name];
    // Booleans and numbers are settings (enableLogFileValidation=false), never personal data.
    return typeof value === 'boolean' || typeof value === 'number' ? `${name}=${String(value)}` : name;
  });
  if (names.length > 0) facts.push(fact('Parameters', names.join(', ')));
  return facts;
}

// ---------------------------------------------------------------------------------------------
// CloudWatch alarms (E9 bursts, DLQ depth)

function alarmNotification(alarm: JsonObject): Notification {
  const name = nonEmptyString(alarm.AlarmName) ?? 'unknown alarm';
  const newState = nonEmptyString(alarm.NewStateValue) ?? 'unknown';
  const oldState = nonEmptyString(alarm.OldStateValue);
  const trigger = isObject(alarm.Trigger) ? alarm.Trigger : {};
  const namespace = nonEmptyString(trigger.Namespace);
  const metricName = nonEmptyString(trigger.MetricName);
  const alarmArn = nonEmptyString(alarm.AlarmArn);
  const regionCode = regionFromArn(alarmArn);

  // Messages waiting in the DLQ are alerts Slack never received; root use is never routine.
  const isDlqDepth = namespace === 'AWS/SQS' && metricName === 'ApproximateNumberOfMessagesVisible';
  const isRootUse = /root/i.test(`${name} ${metricName ?? ''}`);
  let severity: Severity = newState === 'ALARM' ? 'high' : newState === 'OK' ? 'info' : 'low';
  if (newState === 'ALARM' && (isDlqDepth || isRootUse)) severity = 'critical';

  const what: NotificationFact[] = [fact('Alarm', name)];
  const description = scalarText(alarm.AlarmDescription);
  if (description !== undefined) what.push(fact('Description', description));
  what.push(fact('State', oldState === undefined ? newState : `${oldState} -> ${newState}`));
  what.push(fact('Reason', scalarText(alarm.NewStateReason) ?? 'not given'));
  if (isDlqDepth) what.push(fact('Meaning', 'notifications failed delivery and wait in the dead-letter queue'));

  const metric: NotificationFact[] = [];
  if (namespace !== undefined || metricName !== undefined) {
    metric.push(fact('Metric', `${namespace ?? '?'} / ${metricName ?? '?'}`));
  } else if (Array.isArray(trigger.Metrics)) {
    metric.push(fact('Metric', 'metric math expression'));
  }
  const threshold = scalarText(trigger.Threshold);
  if (threshold !== undefined) {
    const comparison = scalarText(trigger.ComparisonOperator) ?? 'compared with';
    const statistic = scalarText(trigger.Statistic) ?? scalarText(trigger.ExtendedStatistic);
    metric.push(fact('Condition', `${statistic === undefined ? '' : `${statistic} `}${comparison} ${threshold}`));
  }
  const period = scalarText(trigger.Period);
  const evaluationPeriods = scalarText(trigger.EvaluationPeriods);
  if (period !== undefined || evaluationPeriods !== undefined) {
    metric.push(fact('Window', `${evaluationPeriods ?? '?'} x ${period ?? '?'} s`));
  }

  const where: NotificationFact[] = [fact('Region', nonEmptyString(alarm.Region) ?? regionCode ?? 'not recorded')];
  const account = scalarText(alarm.AWSAccountId);
  if (account !== undefined) where.push(fact('Account', account));

  const url =
    regionCode === undefined
      ? undefined
      : `https://${regionCode}.console.aws.amazon.com/cloudwatch/home?region=${regionCode}#alarmsV2:alarm/${encodeURIComponent(name)}`;

  const sections: NotificationSection[] = [{ title: 'What', facts: what }];
  if (metric.length > 0) sections.push({ title: 'Metric', facts: metric });
  sections.push({ title: 'When', facts: whenFacts(describeInstant(nonEmptyString(alarm.StateChangeTime))) });
  sections.push({ title: 'Where', facts: where });

  return {
    kind: 'cloudwatch-alarm',
    severity,
    headline: `Alarm ${newState}: ${name}${isDlqDepth && newState === 'ALARM' ? ' - undelivered notifications in the DLQ' : ''}`,
    sections,
    links: url === undefined ? [] : [{ label: 'Open alarm in CloudWatch', url }],
    reference: alarmArn ?? name,
  };
}

// ---------------------------------------------------------------------------------------------
// AWS Config compliance changes (E10)

function configComplianceNotification(detail: JsonObject, envelope: JsonObject): Notification {
  const rule = nonEmptyString(detail.configRuleName) ?? 'unknown rule';
  const resourceType = nonEmptyString(detail.resourceType) ?? 'unknown type';
  const resourceId = nonEmptyString(detail.resourceId) ?? 'unknown resource';
  const compliance = nonEmptyString(path(detail, 'newEvaluationResult', 'complianceType')) ?? 'UNKNOWN';
  const previous = nonEmptyString(path(detail, 'oldEvaluationResult', 'complianceType'));
  const annotation = scalarText(path(detail, 'newEvaluationResult', 'annotation'));
  const region = nonEmptyString(detail.awsRegion) ?? nonEmptyString(envelope.region);
  const account = nonEmptyString(detail.awsAccountId) ?? nonEmptyString(envelope.account);
  const severity: Severity = compliance === 'NON_COMPLIANT' ? 'high' : compliance === 'COMPLIANT' ? 'info' : 'low';

  const what: NotificationFact[] = [
    fact('Config rule', rule),
    fact('Resource', `${resourceType} ${resourceId}`),
    fact('Compliance', previous === undefined ? compliance : `${previous} -> ${compliance}`),
  ];
  if (annotation !== undefined) what.push(fact('Annotation', annotation));
  const where: NotificationFact[] = [fact('Region', region ?? 'not recorded')];
  if (account !== undefined) where.push(fact('Account', account));

  const instant = describeInstant(
    nonEmptyString(path(detail, 'newEvaluationResult', 'resultRecordedTime')) ?? nonEmptyString(envelope.time),
  );
  const url =
    region !== undefined && isRegionCode(region)
      ? `https://${region}.console.aws.amazon.com/config/home?region=${region}#/rules/details?configRuleName=${encodeURIComponent(rule)}`
      : undefined;

  return {
    kind: 'config-compliance',
    severity,
    headline: `Config ${compliance}: ${rule} - ${resourceType} ${resourceId}`,
    sections: [
      { title: 'What', facts: what },
      { title: 'When', facts: whenFacts(instant) },
      { title: 'Where', facts: where },
    ],
    links: url === undefined ? [] : [{ label: 'Open rule in AWS Config', url }],
    reference: `${rule}/${resourceId}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Daily-review findings (E14, PCI 10.4.1)

function dailyReviewNotification(review: JsonObject): Notification {
  const findings = Array.isArray(review.findings) ? review.findings : [];
  const date = scalarText(review.date) ?? 'unknown date';
  const recordKey = scalarText(review.recordKey);
  const shown = findings.slice(0, DAILY_REVIEW_MAX_FINDINGS).map((finding: unknown, i) => {
    const kind = isObject(finding) ? scalarText(finding.kind) : undefined;
    const key = isObject(finding) ? scalarText(finding.key) : undefined;
    const message = isObject(finding) ? scalarText(finding.message) : undefined;
    return fact(`${i + 1}. ${kind ?? 'finding'}`, `${key === undefined ? '' : `${key}: `}${message ?? 'no message'}`);
  });
  if (findings.length > shown.length) {
    shown.push(fact('More', `${findings.length - shown.length} further finding(s) in the review record`));
  }
  const sections: NotificationSection[] = [
    {
      title: 'Review',
      facts: [
        fact('Review date', date),
        fact('Findings', String(findings.length)),
        fact('Review record', recordKey ?? 'not given'),
      ],
    },
  ];
  if (shown.length > 0) sections.push({ title: 'Findings', facts: shown });
  return {
    kind: 'daily-review',
    severity: findings.length > 0 ? 'medium' : 'info',
    headline: `Daily review ${date}: ${findings.length} finding(s)`,
    sections,
    links: [],
    reference: recordKey,
  };
}

// ---------------------------------------------------------------------------------------------
// Anything else: the original text, truncated (E8: never thrown away)

function rawNotification(message: IncomingMessage, reason: string, parsed: unknown): Notification {
  const facts: NotificationFact[] = [fact('Reason', reason)];
  if (message.subject !== undefined) facts.push(fact('SNS subject', message.subject));
  if (message.snsMessageId !== undefined) facts.push(fact('SNS message ID', message.snsMessageId));
  if (isObject(parsed)) {
    const detailType = scalarText(parsed['detail-type']);
    const source = scalarText(parsed.source);
    if (detailType !== undefined) facts.push(fact('detail-type', detailType));
    if (source !== undefined) facts.push(fact('source', source));
  }
  facts.push(fact('Size', `${message.body.length} characters`));
  return {
    kind: 'raw',
    severity: 'medium',
    headline: `Unrecognised notification: ${reason}`,
    sections: [{ title: 'What', facts }],
    links: [],
    rawText: truncatePlain(message.body, RAW_MESSAGE_MAX_CHARS),
    reference: message.snsMessageId,
  };
}

// ---------------------------------------------------------------------------------------------
// Time (A1: UTC everywhere, local only on display; the JST offset is written out)

export interface DescribedInstant {
  /** e.g. 2024-05-01T03:04:05Z */
  readonly utc: string;
  /** e.g. 2024-05-01T12:04:05+09:00 */
  readonly jst: string;
}

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;

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
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return { unparsed: value };
  }
  let offsetMs = 0;
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMs = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  }
  const epochMs = local - offsetMs;
  return { utc: `${isoWithoutZone(epochMs)}Z`, jst: `${isoWithoutZone(epochMs + JST_OFFSET_MS)}+09:00` };
}

function isoWithoutZone(epochMs: number): string {
  const iso = new Date(epochMs).toISOString(); // 2024-05-01T03:04:05.000Z
  const withoutZone = iso.slice(0, -1);
  return withoutZone.endsWith('.000') ? withoutZone.slice(0, -4) : withoutZone;
}

function whenFacts(instant: ReturnType<typeof describeInstant>): NotificationFact[] {
  if (instant === undefined) return [fact('UTC', 'not recorded'), fact('JST (UTC+9)', 'not recorded')];
  if ('unparsed' in instant) {
    return [fact('UTC', `${instant.unparsed} (as recorded, not parseable)`), fact('JST (UTC+9)', 'not available')];
  }
  return [fact('UTC', instant.utc), fact('JST (UTC+9)', instant.jst)];
}

// ---------------------------------------------------------------------------------------------
// Console links: only built from validated parts so no event field can inject markup or a URL.

const REGION_CODE = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const EVENT_ID = /^[A-Za-z0-9-]{1,128}$/;

function isRegionCode(value: string): boolean {
  return REGION_CODE.test(value);
}

export function cloudTrailConsoleUrl(region: string | undefined, eventId: string | undefined): string | undefined {
  if (region === undefined || eventId === undefined || !isRegionCode(region) || !EVENT_ID.test(eventId)) return undefined;
  return `https://${region}.console.aws.amazon.com/cloudtrailv2/home?region=${region}#/events/${eventId}`;
}

function regionFromArn(arn: string | undefined): string | undefined {
  const region = arn?.split(':')[3];
  return region !== undefined && isRegionCode(region) ? region : undefined;
}

// ---------------------------------------------------------------------------------------------
// Rendering to Slack Block Kit

export interface SlackText {
  readonly type: 'plain_text' | 'mrkdwn';
  readonly text: string;
  readonly emoji?: boolean;
}

export type SlackBlock =
  | { readonly type: 'header'; readonly text: SlackText }
  | { readonly type: 'section'; readonly text: SlackText }
  | { readonly type: 'context'; readonly elements: readonly SlackText[] };

export interface SlackPayload {
  /** Honoured by legacy webhooks; app webhooks post to their own channel and ignore it. */
  readonly channel?: string;
  /** Notification / fallback text; Slack shows blocks when present. */
  readonly text: string;
  readonly blocks?: readonly SlackBlock[];
  readonly unfurl_links: false;
  readonly unfurl_media: false;
}

/** "CRITICAL [prd] StopLogging: ..." - the same line heads the blocks and the fallback text. */
export function headerLine(notification: Notification, options: RenderOptions): string {
  return `${notification.severity.toUpperCase()} [${options.environment}] ${singleLine(notification.headline)}`;
}

export function renderSlackPayload(notification: Notification, options: RenderOptions): SlackPayload {
  const header = headerLine(notification, options);
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: truncatePlain(`${SEVERITY_EMOJI[notification.severity]} ${header}`, SLACK_LIMITS.headerText),
        emoji: true,
      },
    },
  ];
  // Each section can render itself within a character allowance; the allowances share what is
  // left of the message budget fairly, so one huge field cannot push the result or the console
  // link out of the message.
  const sections: Array<(maxChars: number) => string> = notification.sections.map((section) => {
    const lines = section.facts.map(
      (f) => `*${escapeMrkdwn(singleLine(f.label))}:* ${truncateMrkdwn(escapeMrkdwn(singleLine(f.value)), FACT_VALUE_MAX_CHARS)}`,
    );
    const text = [`*${escapeMrkdwn(section.title)}*`, ...lines].join('\n');
    return (maxChars) => truncateMrkdwn(text, maxChars);
  });
  const { rawText } = notification;
  if (rawText !== undefined) sections.push((maxChars) => codeBlock(rawText, maxChars));
  if (notification.links.length > 0) {
    // Link URLs come only from the validated builders above, so they carry no '|' or '>'.
    const links = notification.links.map((link) => `<${link.url}|${escapeMrkdwn(link.label)}>`).join('  |  ');
    sections.push((maxChars) => (links.length <= maxChars ? links : ''));
  }
  const wanted = sections.slice(0, SLACK_LIMITS.blocks - 2).map((render) => render(SLACK_LIMITS.sectionText).length);
  const shares = fairShares(wanted, SLACK_LIMITS.totalBlockText - SLACK_LIMITS.headerText - SLACK_LIMITS.contextText);
  shares.forEach((share, i) => {
    const text = sections[i](share);
    if (text.length > 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text } });
  });

  const context = [
    `Environment: ${options.environment}`,
    `Channel: #${options.channel}`,
    `Kind: ${notification.kind}`,
    ...(notification.reference === undefined ? [] : [`Ref: ${singleLine(notification.reference)}`]),
  ].join('  |  ');
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncateMrkdwn(escapeMrkdwn(context), SLACK_LIMITS.contextText) }] });

  return {
    channel: options.channel,
    text: truncateMrkdwn(escapeMrkdwn(header), SLACK_LIMITS.fallbackText),
    blocks,
    unfurl_links: false,
    unfurl_media: false,
  };
}

/**
 * A blocks-free payload for when Slack rejects the Block Kit one (HTTP 400 invalid_blocks etc.):
 * the alert still reaches the channel, as its header plus the original message text.
 */
export function renderFallbackPayload(
  notification: Notification,
  originalBody: string,
  options: RenderOptions,
): SlackPayload {
  const header = escapeMrkdwn(headerLine(notification, options));
  const room = SLACK_LIMITS.fallbackText - header.length - 1;
  const original = truncatePlain(originalBody, RAW_MESSAGE_MAX_CHARS);
  return {
    channel: options.channel,
    text: truncateMrkdwn(`${header}\n${codeBlock(original, Math.max(room, 0))}`, SLACK_LIMITS.fallbackText),
    unfurl_links: false,
    unfurl_media: false,
  };
}

/** Max-min fair split of `total` characters: short sections get all they want, long ones share the rest. */
function fairShares(wanted: readonly number[], total: number): number[] {
  const shares = new Array<number>(wanted.length).fill(0);
  let remaining = Math.max(0, total);
  let left = wanted.length;
  for (const i of wanted.map((_, index) => index).sort((a, b) => wanted[a] - wanted[b])) {
    shares[i] = Math.min(wanted[i], Math.floor(remaining / left));
    remaining -= shares[i];
    left -= 1;
  }
  return shares;
}

/** Slack mrkdwn control characters (&, <, >): escaping them stops a field from forging links or @channel. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function codeBlock(text: string, maxChars: number): string {
  if (maxChars < 8) return '';
  // A backtick run inside would close the code block early; U+02CB looks the same and cannot.
  const body = escapeMrkdwn(text.replace(/`/g, '\u02cb'));
  return `\`\`\`${truncateMrkdwn(body, maxChars - 6)}\`\`\``;
}

// ---------------------------------------------------------------------------------------------
// Small total helpers

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim().length > 0 ? value : undefined;
}

/** Strings, numbers and booleans as text; objects and arrays are not echoed (No.50). */
function scalarText(value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return nonEmptyString(value);
}

function path(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

function fact(label: string, value: string): NotificationFact {
  return { label, value };
}

function singleLine(text: string): string {
  // Control characters would break the one-fact-per-line layout (and can hide text in Slack).
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

const ELLIPSIS = '\u2026';

/** Cuts to maxChars (ellipsis included) without splitting a surrogate pair. */
export function truncatePlain(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  if (maxChars <= 0) return '';
  let cut = text.slice(0, maxChars - 1);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}${ELLIPSIS}`;
}

/** Like truncatePlain, for already-escaped mrkdwn: never leaves half an &amp; entity behind. */
function truncateMrkdwn(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let cut = truncatePlain(text, maxChars).slice(0, -1);
  const amp = cut.lastIndexOf('&');
  if (amp !== -1 && amp >= cut.length - 4 && !cut.slice(amp).includes(';')) cut = cut.slice(0, amp);
  return maxChars > 0 ? `${cut}${ELLIPSIS}` : '';
}

function safeJsonStringify(value: unknown): string {
  try {
    const json = JSON.stringify(value);
    return json === undefined ? String(value) : json;
  } catch {
    try {
      return String(value);
    } catch {
      return '[event could not be serialised]';
    }
  }
}
