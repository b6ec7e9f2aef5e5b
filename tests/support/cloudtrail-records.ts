// Test support: the real CloudTrail records of tests/fixtures/cloudtrail-records (each file names its
// origin: AWS documentation examples, panther-analysis test cases, Stratus Red Team detonation
// logs), and the substitution of the estate's names into a copy of a record, so that a record of
// someone else's trail, key or bucket can be asked "would this rule see it on ours?". The stored
// records are never modified.
import * as fs from "fs";
import * as path from "path";
import { TamperOperation } from "../../policy/lib/tamper-events";

export const RECORDS_DIR = path.resolve(__dirname, "../fixtures/cloudtrail-records");

export interface RealRecord {
  file: string;
  origin: Record<string, unknown>;
  description: string;
  record: Record<string, any>;
}

let cached: RealRecord[] | undefined;

export function realRecords(): RealRecord[] {
  cached ??= fs
    .readdirSync(RECORDS_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => ({ file, ...JSON.parse(fs.readFileSync(path.join(RECORDS_DIR, file), "utf8")) }));
  return cached;
}

/** The estate's own names, as the program registers them. */
export interface EstateTargets {
  accountId: string;
  region: string;
  base: string;
  trailName: string;
  trailArn: string;
  trailLogGroupName: string;
  bucketName: string;
  keyArn: string;
  topicArn: string;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/**
 * A copy of `record` acting on the estate's resource of the operation's concern: the fields the
 * catalogue names as targets are rewritten (ARN form kept where the record used an ARN), and the
 * account is the estate's. Everything else (identity, IP, user agent, error) stays as recorded.
 */
export function onEstate(record: Record<string, any>, op: TamperOperation, e: EstateTargets): Record<string, any> {
  const r = clone(record);
  r.recipientAccountId = e.accountId;
  if (r.userIdentity && typeof r.userIdentity === "object") r.userIdentity.accountId = e.accountId;
  r.requestParameters = r.requestParameters && typeof r.requestParameters === "object" ? r.requestParameters : {};
  const p = r.requestParameters;
  const isArn = (v: unknown) => typeof v === "string" && v.startsWith("arn:");
  switch (op.concern) {
    case "trail":
      for (const f of ["name", "trailName"]) if (f in p) p[f] = isArn(p[f]) ? e.trailArn : e.trailName;
      if (!("name" in p) && !("trailName" in p)) p[op.name.startsWith("Put") ? "trailName" : "name"] = e.trailName;
      break;
    case "key":
      p.keyId = isArn(p.keyId) ? e.keyArn : e.keyArn.split("/").pop();
      if (Array.isArray(r.resources)) {
        r.resources = r.resources.map((res: Record<string, unknown>) => ({
          ...res,
          ...("arn" in res ? { arn: e.keyArn } : { ARN: e.keyArn }),
          accountId: e.accountId,
        }));
      }
      break;
    case "bucket":
      p.bucketName = e.bucketName;
      if (Array.isArray(r.resources)) {
        r.resources = r.resources.map((res: Record<string, unknown>) =>
          res.type === "AWS::S3::Bucket" ? { ...res, ARN: `arn:aws:s3:::${e.bucketName}` } : res,
        );
      }
      break;
    case "alert-path":
      Object.assign(p, alertPathTarget(op, e));
      break;
  }
  return r;
}

/** The estate's own alert-path resource each operation would act on (physical names of the program). */
export function alertPathTarget(op: TamperOperation, e: EstateTargets): Record<string, unknown> {
  const target: Record<string, unknown> = {};
  for (const field of op.targetFields) {
    switch (field) {
      case "name":
      case "rule":
        target[field] = `${e.base}-tamper-cloudtrail`;
        break;
      case "topicArn":
        target[field] = e.topicArn;
        break;
      case "subscriptionArn":
        target[field] = `${e.topicArn}:0f0b2f3e-8f3c-4c57-9a3b-2f0e8d7c1a11`;
        break;
      case "logGroupName":
        target[field] = e.trailLogGroupName;
        break;
      case "filterName":
        target[field] = `${e.base}-auth-failures`;
        break;
      case "alarmNames":
        target[field] = [`${e.base}-audit-alerts-undelivered`];
        break;
      case "alarmName":
        target[field] = `${e.base}-root-account-use`;
        break;
      case "configurationRecorderName":
        target[field] = `${e.base}-recorder`;
        break;
      case "deliveryChannelName":
        target[field] = `${e.base}-delivery`;
        break;
      case "configRuleName":
        target[field] = `${e.base}-s3-bucket-versioning-enabled-trail-logs`;
        break;
      default:
        throw new Error(`no estate target for ${op.name}.${field}: add it here`);
    }
  }
  return target;
}

/**
 * A record for an operation no public record was found for: the real record of another call of
 * the same service, with eventName and requestParameters changed to the API reference's shape.
 * Tests say "derived" in their titles for these.
 */
export function derivedRecord(base: Record<string, any>, op: TamperOperation, spelling: string): Record<string, any> {
  const r = clone(base);
  r.eventName = spelling;
  r.requestParameters = {};
  delete r.responseElements;
  delete r.errorCode;
  delete r.errorMessage;
  r.readOnly = false;
  return r;
}

/**
 * Does EventBridge deliver this CloudTrail record to a rule in `state` at all? Read-only management
 * events only to ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html).
 */
export function deliveredTo(state: string, record: Record<string, any>): boolean {
  if (state === "DISABLED") return false;
  const dataEvent =
    record.eventCategory === "Data" ||
    record.managementEvent === false ||
    (record.eventSource === "s3.amazonaws.com" && typeof record.requestParameters?.key === "string");
  const readOnly = record.readOnly === true || (record.readOnly === undefined && /^(Get|List|Describe|Head|Lookup)/.test(String(record.eventName)));
  if (!dataEvent && readOnly) return state === "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS";
  return true;
}
