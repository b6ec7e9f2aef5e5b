/**
 * The daily review (E14; PCI DSS 10.4.1 / 10.4.1.1: audit logs reviewed daily by an automated
 * mechanism). Pure core: every AWS interaction is a port, so the decisions (what is a finding,
 * what the record says, when to alert) are tested without AWS.
 *
 * A review covers the previous full UTC day. It checks the trail is logging and delivering
 * (EventBridge only sees API calls while the trail logs, so a stopped trail must be caught here),
 * verifies the digest chain of the day, summarises non-routine operations outside the deployer
 * roles, stores a JSON record under review/YYYY/MM/DD/ (the reviewed day) in the locked bucket,
 * and alerts when anything was found.
 */
import { REVIEW_PREFIX } from "../../cloudtrail/constants";
import { parseTrailArn } from "../../cloudtrail/verify/digest-key";
import { isFailure } from "../../cloudtrail/verify/findings";
import { toVerificationJson, type VerificationJson } from "../../cloudtrail/verify/report";
import type { VerificationResult } from "../../cloudtrail/verify/verifier";
import type { DailyReviewConfig } from "./config";
import { nonRoutineOperationsQuery } from "../../cloudtrail/queries";
import type { DailyReviewAlert } from "../../cloudtrail/review-alert";

export const REVIEW_RECORD_SCHEMA = "audit-daily-review/v1";
const DAY_MS = 86_400_000;
/** Alert size bounds (SNS: 256 KB per message); the stored record keeps everything. */
const ALERT_MAX_FINDINGS = 200;
const ALERT_MAX_MESSAGE = 600;
/** Operations listed per principal in the alert; the record keeps them all. */
const ALERT_OPERATIONS_PER_PRINCIPAL = 5;

export interface TrailStatusSnapshot {
  isLogging: boolean;
  logFileValidationEnabled?: boolean;
  latestDeliveryError?: string;
  latestDigestDeliveryError?: string;
  latestDeliveryTime?: string;
  latestDigestDeliveryTime?: string;
  startLoggingTime?: string;
  stopLoggingTime?: string;
}

/** One row of the non-routine operations query. */
export interface NonRoutineOperation {
  principalArn: string;
  eventSource: string;
  eventName: string;
  calls: number;
  firstSeen?: string;
  lastSeen?: string;
}

export interface DailyReviewPorts {
  getTrailStatus(): Promise<TrailStatusSnapshot>;
  verify(start: Date, end: Date): Promise<VerificationResult>;
  runInsightsQuery(queryString: string, start: Date, end: Date): Promise<Array<Record<string, string>>>;
  putRecord(key: string, body: string): Promise<void>;
  notify(subject: string, message: string): Promise<void>;
}

export const REVIEW_FINDING_KINDS = [
  "trail-not-logging",
  "log-file-validation-disabled",
  "trail-delivery-error",
  "digest-delivery-error",
  "trail-status-unavailable",
  "integrity",
  "integrity-gap",
  "verification-failed",
  "non-routine-operations",
  "query-failed",
] as const;

export type ReviewFindingKind = (typeof REVIEW_FINDING_KINDS)[number];

/** Same shape as the verifier's findings ({kind, key, message}), so alerts and records read alike. */
export interface ReviewFinding {
  kind: ReviewFindingKind;
  /** What the finding is about: the trail ARN, an S3 object key, a principal ARN, the log group. */
  key: string;
  message: string;
}

export interface ReviewRecord {
  schema: typeof REVIEW_RECORD_SCHEMA;
  reviewedAt: string;
  reviewedPeriod: { start: string; end: string };
  trailArn: string;
  logGroupName: string;
  trailStatus: TrailStatusSnapshot | { error: string };
  integrity: VerificationJson | { error: string };
  nonRoutineOperations:
    | { query: string; excludedPrincipals: string[]; total: number; operations: NonRoutineOperation[] }
    | { query: string; excludedPrincipals: string[]; error: string };
  findings: ReviewFinding[];
  outcome: "clean" | "attention";
  notification: { sent: boolean; topicArn: string; error?: string };
}

export interface DailyReviewOutcome {
  key: string;
  record: ReviewRecord;
}

function iso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The previous full UTC day before `now`. */
export function reviewedDay(now: Date): { start: Date; end: Date } {
  const end = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
  return { start: new Date(end.getTime() - DAY_MS), end };
}

/** review/<YYYY>/<MM>/<DD of the reviewed day>/review-<ISO time of the review>.json */
export function reviewRecordKey(reviewedStart: Date, reviewedAt: Date): string {
  const day = reviewedStart.toISOString().slice(0, 10).replace(/-/g, "/");
  return `${REVIEW_PREFIX}${day}/review-${iso(reviewedAt)}.json`;
}

/**
 * True when the principal is one of the deployer roles: the role ARN itself, or a session of it
 * (arn:aws:sts::<acct>:assumed-role/<name>/<session> for role arn:aws:iam::<acct>:role/<path/><name>).
 */
export function isDeployerPrincipal(principalArn: string, deployerRoleArns: readonly string[]): boolean {
  if (deployerRoleArns.includes(principalArn)) return true;
  const session = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(principalArn);
  if (!session) return false;
  const [, partition, account, roleName] = session;
  return deployerRoleArns.some((arn) => {
    const role = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
    return !!role && role[1] === partition && role[2] === account && role[3] === roleName;
  });
}

export function parseNonRoutineRows(rows: Array<Record<string, string>>): NonRoutineOperation[] {
  return rows.map((row) => ({
    principalArn: row.principalArn ?? "(unknown principal)",
    eventSource: row.eventSource ?? "",
    eventName: row.eventName ?? "",
    calls: Number.parseInt(row.calls ?? "0", 10) || 0,
    firstSeen: row.firstSeen,
    lastSeen: row.lastSeen,
  }));
}

function errorText(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return e?.message ? `${e.name && e.name !== "Error" ? `${e.name}: ` : ""}${e.message}` : String(err);
}

function statusFindings(trailArn: string, status: TrailStatusSnapshot): ReviewFinding[] {
  const findings: ReviewFinding[] = [];
  if (!status.isLogging) {
    findings.push({
      kind: "trail-not-logging",
      key: trailArn,
      message: `The trail is not logging (IsLogging false${status.stopLoggingTime ? `, stopped at ${status.stopLoggingTime}` : ""}): API activity is not being recorded`,
    });
  }
  if (status.logFileValidationEnabled === false) {
    findings.push({
      kind: "log-file-validation-disabled",
      key: trailArn,
      message: "Log file integrity validation is off: no digest files are being delivered (M1)",
    });
  }
  if (status.latestDeliveryError) {
    findings.push({ kind: "trail-delivery-error", key: trailArn, message: `Latest log delivery error: ${status.latestDeliveryError}` });
  }
  if (status.latestDigestDeliveryError) {
    findings.push({ kind: "digest-delivery-error", key: trailArn, message: `Latest digest delivery error: ${status.latestDigestDeliveryError}` });
  }
  return findings;
}

/**
 * The alert published to ALERT_TOPIC_ARN: JSON the notifier recognises as a daily review
 * ({kind: "daily-review", date, recordKey, findings: [{kind, key, message}]}), plus context.
 */
export function alertMessage(record: ReviewRecord, recordKey: string, logBucket: string): string {
  // SNS messages are limited to 256 KB: the alert carries the first findings, the record all.
  const findings = record.findings.slice(0, ALERT_MAX_FINDINGS).map((f) => ({
    ...f,
    message: f.message.length > ALERT_MAX_MESSAGE ? `${f.message.slice(0, ALERT_MAX_MESSAGE - 1)}…` : f.message,
  }));
  const alert: DailyReviewAlert = {
    kind: "daily-review",
    date: record.reviewedPeriod.start.slice(0, 10),
    recordKey,
    recordUri: `s3://${logBucket}/${recordKey}`,
    trailArn: record.trailArn,
    reviewedPeriod: record.reviewedPeriod,
    reviewedAt: record.reviewedAt,
    findingsTotal: record.findings.length,
    findings,
  };
  return JSON.stringify(alert);
}

export async function runDailyReview(ports: DailyReviewPorts, config: DailyReviewConfig, now: Date): Promise<DailyReviewOutcome> {
  const { start, end } = reviewedDay(now);
  const findings: ReviewFinding[] = [];

  let trailStatus: ReviewRecord["trailStatus"];
  try {
    const status = await ports.getTrailStatus();
    trailStatus = status;
    findings.push(...statusFindings(config.trailArn, status));
  } catch (err) {
    trailStatus = { error: errorText(err) };
    findings.push({ kind: "trail-status-unavailable", key: config.trailArn, message: `Trail status could not be read: ${errorText(err)}` });
  }

  let integrity: ReviewRecord["integrity"];
  try {
    const result = await ports.verify(start, end);
    integrity = toVerificationJson(result);
    for (const f of result.findings) {
      findings.push({ kind: isFailure(f) ? "integrity" : "integrity-gap", key: f.key, message: `${f.kind}: ${f.message}` });
    }
  } catch (err) {
    integrity = { error: errorText(err) };
    findings.push({ kind: "verification-failed", key: config.trailArn, message: `The digest chain could not be verified: ${errorText(err)}` });
  }

  const query = nonRoutineOperationsQuery(config.deployerRoleArns);
  let nonRoutineOperations: ReviewRecord["nonRoutineOperations"];
  try {
    const rows = await ports.runInsightsQuery(query, start, end);
    // The query already excludes the deployer roles; filtering again here also catches their
    // sessions reported under an assumed-role ARN.
    const operations = parseNonRoutineRows(rows).filter((op) => !isDeployerPrincipal(op.principalArn, config.deployerRoleArns));
    nonRoutineOperations = { query, excludedPrincipals: config.deployerRoleArns, total: operations.reduce((n, op) => n + op.calls, 0), operations };
    const byPrincipal = new Map<string, NonRoutineOperation[]>();
    for (const op of operations) byPrincipal.set(op.principalArn, [...(byPrincipal.get(op.principalArn) ?? []), op]);
    for (const [principal, ops] of byPrincipal) {
      const calls = ops.reduce((n, op) => n + op.calls, 0);
      const shown = ops
        .slice(0, ALERT_OPERATIONS_PER_PRINCIPAL)
        .map((op) => `${op.eventSource.replace(/\.amazonaws\.com$/, "")}:${op.eventName} x${op.calls}`)
        .join(", ");
      const more = ops.length > ALERT_OPERATIONS_PER_PRINCIPAL ? `, and ${ops.length - ALERT_OPERATIONS_PER_PRINCIPAL} more` : "";
      findings.push({ kind: "non-routine-operations", key: principal, message: `${calls} write call(s) outside the deployment roles: ${shown}${more}` });
    }
  } catch (err) {
    nonRoutineOperations = { query, excludedPrincipals: config.deployerRoleArns, error: errorText(err) };
    findings.push({ kind: "query-failed", key: config.logGroupName, message: `Non-routine operations could not be summarised: ${errorText(err)}` });
  }

  const key = reviewRecordKey(start, now);
  const record: ReviewRecord = {
    schema: REVIEW_RECORD_SCHEMA,
    reviewedAt: iso(now),
    reviewedPeriod: { start: iso(start), end: iso(end) },
    trailArn: config.trailArn,
    logGroupName: config.logGroupName,
    trailStatus,
    integrity,
    nonRoutineOperations,
    findings,
    outcome: findings.length > 0 ? "attention" : "clean",
    notification: { sent: false, topicArn: config.alertTopicArn },
  };

  let notifyError: unknown;
  if (findings.length > 0) {
    const trailName = parseTrailArn(config.trailArn)?.trailName ?? "trail";
    // SNS subjects: ASCII, at most 100 characters.
    const subject = `Audit review ${trailName} ${iso(start).slice(0, 10)}: ${findings.length} finding(s)`.slice(0, 100);
    try {
      await ports.notify(subject, alertMessage(record, key, config.logBucket));
      record.notification.sent = true;
    } catch (err) {
      notifyError = err;
      record.notification.error = errorText(err);
    }
  }

  // The record is stored even when the alert failed: the review happened and says so.
  await ports.putRecord(key, JSON.stringify(record, null, 2) + "\n");
  if (notifyError !== undefined) throw notifyError;
  return { key, record };
}
