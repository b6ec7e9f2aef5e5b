/**
 * The reducer: merges every shard result into one organisation review record (E14), checked
 * against the plan, so that no shard can be dropped silently. A planned shard without a result,
 * a result without a planned shard, a shard whose Lambda failed after its retries, and a Map Run
 * that failed as a whole are findings of their own.
 *
 * The record goes under REVIEW_PREFIX in the locked log bucket; the alert (same JSON shape the
 * notifier already recognises for the daily review: {kind: "daily-review", date, recordKey,
 * findings}) goes to the alert path's topic when anything was found.
 */
import { REVIEW_PREFIX } from "../constants";
import { isFailure, type Finding } from "../verify/findings";
import type { ShardPlan } from "./planner";
import type { ShardResult } from "./shard-verifier";
import { DAILY_REVIEW_ALERT_KIND, type DailyReviewAlert, type OrganizationReviewShards } from "../review-alert";
import { shardId, type OrganizationTrail } from "./shards";

export const ORG_REVIEW_SCHEMA = "audit-organization-review/v1";

export const ORG_FINDING_KINDS = [
  /** A verifier finding (digest chain, signature, log hash...) in one shard. */
  "integrity",
  /** Informational verifier finding (gap) in one shard. */
  "integrity-gap",
  /** The shard's Lambda failed (after retries) or timed out: nothing is known about the shard. */
  "shard-not-verified",
  /** The plan had the shard but no result came back (never dropped silently). */
  "shard-unreported",
  /** A result came back for a shard that was not planned. */
  "shard-unplanned",
  /** An expected account has no folder under AWSLogs/<o-id>/: it delivers nothing. */
  "account-not-delivering",
  /** An account delivers, but not in a region every account is expected to deliver in. */
  "region-not-delivering",
  /** Found under the trail's prefix but not in the organisation's expected accounts. */
  "account-unexpected",
  /** A result file entry that is neither a shard result nor a shard's input. */
  "result-unreadable",
  /** The Distributed Map (or the local fan-out) failed as a whole. */
  "verification-failed",
] as const;
export type OrgFindingKind = (typeof ORG_FINDING_KINDS)[number];

/** Kinds that do not make the review need attention. */
const INFORMATIONAL: ReadonlySet<OrgFindingKind> = new Set<OrgFindingKind>(["integrity-gap"]);

export interface OrgFinding {
  kind: OrgFindingKind;
  /** The S3 key, shard id (account/region/day) or account the finding is about. */
  key: string;
  message: string;
  accountId?: string;
  region?: string;
  day?: string;
  /** For integrity findings: the verifier's kind (log-hash-mismatch, digest-missing, ...). */
  verifierKind?: Finding["kind"];
}

export interface ShardSummary {
  accountId: string;
  region: string;
  day: string;
  status: "verified" | "error" | "unreported";
  valid: boolean;
  findingsTotal: number;
  digestsChecked: number;
  logFilesChecked: number;
  fullFindings?: { bucket: string; key: string };
}

export interface OrgReviewRecord {
  schema: typeof ORG_REVIEW_SCHEMA;
  reviewedAt: string;
  reviewedPeriod: { start: string; end: string; days: string[] };
  organizationId: string;
  trail: OrganizationTrail;
  /** The execution (or the local run) and, for Step Functions, the Map Run. */
  run: { id: string; engine: "step-functions" | "local"; mapRunArn?: string; resultsManifest?: string };
  accounts: ShardPlan["accounts"];
  regions: string[];
  shards: OrganizationReviewShards;
  totals: { digestsChecked: number; logFilesChecked: number; uncompressedLogBytes: number };
  findings: OrgFinding[];
  perShard: ShardSummary[];
  outcome: "clean" | "attention";
  notification: { sent: boolean; topicArn?: string; error?: string };
}

export interface ReduceInput {
  plan: ShardPlan;
  results: ShardResult[];
  run: OrgReviewRecord["run"];
  /** Set when the Map state (or fan-out) failed as a whole: {Error, Cause} from its Catch. */
  failure?: { error: string; cause: string };
  /** Result entries that could not be read (collectResultWriterOutput). */
  unreadable?: string[];
  now?: () => Date;
}

function iso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function reduceShardResults(input: ReduceInput): OrgReviewRecord {
  const { plan } = input;
  const findings: OrgFinding[] = [];
  const planned = new Map(plan.shards.map((s) => [shardId(s), s]));
  const byId = new Map<string, ShardResult>();
  let unplanned = 0;
  for (const result of input.results) {
    const id = shardId(result.shard);
    if (!planned.has(id)) {
      unplanned++;
      findings.push({ kind: "shard-unplanned", key: id, message: `A result came back for shard ${id}, which the plan does not have`, ...where(result.shard) });
      continue;
    }
    // A retried child may report twice; a verified result wins over an error.
    const previous = byId.get(id);
    if (!previous || (previous.status === "error" && result.status === "verified")) byId.set(id, result);
  }

  for (const accountId of plan.accounts.missing) {
    findings.push({
      kind: "account-not-delivering",
      key: accountId,
      accountId,
      message: `Account ${accountId} is in organization ${plan.trail.organizationId} but nothing of it is under s3://${plan.trail.bucket}/${orgPrefix(plan.trail)}${accountId}/: it delivers no CloudTrail logs or digests`,
    });
  }
  for (const accountId of plan.accounts.unexpected) {
    findings.push({
      kind: "account-unexpected",
      key: accountId,
      accountId,
      message: `Account ${accountId} delivers to the organization trail but is not among the organization's expected accounts`,
    });
  }
  for (const accountId of plan.accounts.listed) {
    const own = plan.regionsByAccount[accountId] ?? [];
    for (const region of plan.regions.filter((r) => !own.includes(r))) {
      findings.push({
        kind: "region-not-delivering",
        key: `${accountId}/${region}`,
        accountId,
        region,
        message: `Account ${accountId} has no digests in ${region}, a region of the trail: logging or validation is off there for this account, or its digests were removed`,
      });
    }
  }

  const perShard: ShardSummary[] = [];
  let verified = 0;
  let invalid = 0;
  let notVerified = 0;
  let unreported = 0;
  const totals = { digestsChecked: 0, logFilesChecked: 0, uncompressedLogBytes: 0 };
  for (const shard of plan.shards) {
    const id = shardId(shard);
    const result = byId.get(id);
    if (!result) {
      unreported++;
      findings.push({
        kind: "shard-unreported",
        key: id,
        ...where(shard),
        message: `Shard ${id} was planned but no result came back${input.failure ? ` (the fan-out failed: ${input.failure.error})` : ""}: it is not verified`,
      });
      perShard.push({ ...where(shard), status: "unreported", valid: false, findingsTotal: 0, digestsChecked: 0, logFilesChecked: 0 });
      continue;
    }
    if (result.status === "error") {
      notVerified++;
      findings.push({
        kind: "shard-not-verified",
        key: id,
        ...where(shard),
        message: `Shard ${id} could not be verified: ${result.error?.error ?? "error"}: ${truncate(result.error?.cause ?? "", 400)}`,
      });
    } else {
      verified++;
      if (!result.valid) invalid++;
      for (const f of result.findings) {
        findings.push({ kind: isFailure(f) ? "integrity" : "integrity-gap", key: f.key, message: f.message, verifierKind: f.kind, ...where(shard) });
      }
      const omitted = result.findingsTotal - result.findings.length;
      if (omitted > 0) {
        const counts = Object.entries(result.findingCounts)
          .map(([k, n]) => `${k} ${n}`)
          .join(", ");
        findings.push({
          kind: "integrity",
          key: id,
          ...where(shard),
          message: `Shard ${id}: ${omitted} more finding(s) not listed here (${counts})${result.fullFindings ? `; all of them in s3://${result.fullFindings.bucket}/${result.fullFindings.key}` : ""}`,
        });
      }
    }
    totals.digestsChecked += result.digestsChecked;
    totals.logFilesChecked += result.logFilesChecked;
    totals.uncompressedLogBytes += result.uncompressedLogBytes;
    perShard.push({
      ...where(shard),
      status: result.status,
      valid: result.valid,
      findingsTotal: result.findingsTotal,
      digestsChecked: result.digestsChecked,
      logFilesChecked: result.logFilesChecked,
      ...(result.fullFindings ? { fullFindings: result.fullFindings } : {}),
    });
  }
  for (const what of input.unreadable ?? []) {
    findings.push({ kind: "result-unreadable", key: what.split(" ")[0], message: `Unreadable result: ${truncate(what, 600)}` });
  }
  if (input.failure) {
    findings.push({
      kind: "verification-failed",
      key: input.run.mapRunArn ?? input.run.id,
      message: `The organisation verification failed as a whole: ${input.failure.error}: ${truncate(input.failure.cause, 600)}`,
    });
  }

  const days = [...plan.days].sort();
  const last = new Date(`${days[days.length - 1]}T00:00:00Z`).getTime() + 86_400_000;
  const attention = findings.some((f) => !INFORMATIONAL.has(f.kind));
  return {
    schema: ORG_REVIEW_SCHEMA,
    reviewedAt: iso(input.now?.() ?? new Date()),
    reviewedPeriod: { start: `${days[0]}T00:00:00Z`, end: iso(new Date(last)), days },
    organizationId: plan.trail.organizationId,
    trail: plan.trail,
    run: input.run,
    accounts: plan.accounts,
    regions: plan.regions,
    shards: { planned: plan.shards.length, verified, invalid, notVerified, unreported, unplanned },
    totals,
    findings,
    perShard,
    outcome: attention ? "attention" : "clean",
    notification: { sent: false },
  };
}

function where(shard: { accountId: string; region: string; day: string }): { accountId: string; region: string; day: string } {
  return { accountId: shard.accountId, region: shard.region, day: shard.day };
}

function orgPrefix(trail: OrganizationTrail): string {
  return `${trail.prefix ? `${trail.prefix}/` : ""}AWSLogs/${trail.organizationId}/`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** review/<YYYY>/<MM>/<DD of the first reviewed day>/organization-review-<ISO time>-<run>.json */
export function orgReviewRecordKey(record: Pick<OrgReviewRecord, "reviewedPeriod" | "reviewedAt" | "run">): string {
  const day = record.reviewedPeriod.days[0].replace(/-/g, "/");
  const run = record.run.id.replace(/[^A-Za-z0-9._-]/g, "-").slice(-80);
  return `${REVIEW_PREFIX}${day}/organization-review-${record.reviewedAt}-${run}.json`;
}

const ALERT_MAX_FINDINGS = 200;
const ALERT_MAX_MESSAGE = 600;

/** The alert body: the daily review's shape (the notifier formats it), with the organisation context. */
export function orgAlertMessage(record: OrgReviewRecord, recordKey: string, logBucket: string, trailArn?: string): string {
  const failures = record.findings.filter((f) => !INFORMATIONAL.has(f.kind));
  // The same type the single-account review publishes (cloudtrail/review-alert.ts): the notifier
  // formats both, and a field renamed on one side fails the build on the other.
  const alert: Omit<DailyReviewAlert, "trailArn"> & { trailArn?: string } = {
    kind: DAILY_REVIEW_ALERT_KIND,
    scope: "organization",
    date: record.reviewedPeriod.days[0],
    recordKey,
    recordUri: `s3://${logBucket}/${recordKey}`,
    ...(trailArn ? { trailArn } : {}),
    organizationId: record.organizationId,
    reviewedPeriod: { start: record.reviewedPeriod.start, end: record.reviewedPeriod.end },
    reviewedAt: record.reviewedAt,
    shards: record.shards,
    findingsTotal: failures.length,
    findings: failures.slice(0, ALERT_MAX_FINDINGS).map((f) => ({
      kind: f.kind === "integrity" && f.verifierKind ? `integrity:${f.verifierKind}` : f.kind,
      key: f.accountId && f.kind === "integrity" ? `${f.accountId}/${f.region}/${f.day} ${f.key}` : f.key,
      message: truncate(f.message, ALERT_MAX_MESSAGE),
    })),
  };
  return JSON.stringify(alert);
}

export function orgAlertSubject(record: OrgReviewRecord): string {
  const s = record.shards;
  const bad = s.invalid + s.notVerified + s.unreported;
  // SNS subjects: at most 100 ASCII characters.
  return `Organisation audit review ${record.reviewedPeriod.days[0]}: ${bad} of ${s.planned} shard(s) need attention`.slice(0, 100);
}
