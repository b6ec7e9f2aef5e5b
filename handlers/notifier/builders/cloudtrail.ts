/**
 * CloudTrail API calls and sign-ins (E8 tamper operations, E9 denials and sign-in failures): who,
 * what, on which target, when, from where, with which result (A1-A6). Severity and meaning come from
 * the one tamper catalogue (policy/lib/tamper-events.ts), the same the rules and the pack read.
 */
import { tamperOperation, type TamperOperation } from "../../../policy/lib/tamper-events";
import type { ClassifiedMessage, ClassifyOptions, Notification, NotificationFact, Severity } from "../notification";
import { notify } from "../notification";
import { cloudTrailConsoleUrl, describeInstant, fact, isObject, nonEmptyString, path, scalarText, shortenArns, whenFacts, type JsonObject } from "../text";

const ACCESS_DENIED_CODES = new Set(["AccessDenied", "AccessDeniedException", "Client.UnauthorizedOperation", "UnauthorizedOperation"]);

/** Sign-in events whose outcome is in the record rather than in errorCode (CloudTrail user guide, sign-in events). */
const SIGN_IN_OUTCOME: Readonly<Record<string, (r: JsonObject) => unknown>> = {
  ConsoleLogin: (r) => path(r, "responseElements", "ConsoleLogin"),
  UserAuthentication: (r) => path(r, "serviceEventDetails", "UserAuthentication"),
  CredentialVerification: (r) => path(r, "serviceEventDetails", "CredentialVerification"),
  CredentialChallenge: (r) => path(r, "serviceEventDetails", "CredentialChallenge"),
};

export function isCloudTrailRecord(value: unknown): value is JsonObject {
  return isObject(value) && nonEmptyString(value.eventName) !== undefined && nonEmptyString(value.eventSource) !== undefined;
}

interface Outcome {
  readonly failed: boolean;
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

/** A failed ConsoleLogin has no errorCode: responseElements.ConsoleLogin is "Failure". */
function outcomeOf(record: JsonObject, eventName: string): Outcome {
  const errorCode = scalarText(record.errorCode);
  const errorMessage = scalarText(record.errorMessage);
  if (errorCode !== undefined) return { failed: true, errorCode, errorMessage };
  const signIn = SIGN_IN_OUTCOME[Object.prototype.hasOwnProperty.call(SIGN_IN_OUTCOME, eventName) ? eventName : ""];
  if (signIn !== undefined && signIn(record) === "Failure") return { failed: true, errorMessage };
  return { failed: false };
}

/**
 * A deployer's successful non-critical call is routine (001 No.29): recorded, not notified. A
 * critical operation notifies whoever made it: the trail is what proves routine work, and a
 * leaked CI role must not be able to stop it in silence. A failed call is never routine.
 */
export function classifyCloudTrail(record: JsonObject, envelope: JsonObject, options: ClassifyOptions): ClassifiedMessage {
  const eventName = nonEmptyString(record.eventName) ?? "unknown";
  const op = tamperOperation(eventName, nonEmptyString(record.eventSource));
  const sessionIssuerArn = nonEmptyString(path(record, "userIdentity", "sessionContext", "sessionIssuer", "arn"));
  const deployer = sessionIssuerArn !== undefined && options.deployerRoleArns.has(sessionIssuerArn);
  if (deployer && !outcomeOf(record, eventName).failed && op?.critical !== true) {
    return { action: "skip-routine", routine: { eventName, eventId: nonEmptyString(record.eventID), sessionIssuerArn: sessionIssuerArn! } };
  }
  return notify(cloudTrailNotification(record, envelope, deployer));
}

export function cloudTrailNotification(record: JsonObject, envelope: JsonObject, byDeployer = false): Notification {
  const eventName = nonEmptyString(record.eventName) ?? "unknown";
  const eventSource = nonEmptyString(record.eventSource) ?? "unknown";
  const op = tamperOperation(eventName, eventSource);
  const eventId = nonEmptyString(record.eventID);
  const outcome = outcomeOf(record, eventName);
  const region = nonEmptyString(record.awsRegion) ?? nonEmptyString(envelope.region);
  const identity = isObject(record.userIdentity) ? record.userIdentity : {};
  const identityType = nonEmptyString(identity.type);
  const issuer = nonEmptyString(path(identity, "sessionContext", "sessionIssuer", "arn"));
  const target = describeTarget(record, op);

  const denied = outcome.errorCode !== undefined && ACCESS_DENIED_CODES.has(outcome.errorCode);
  const signInFailure = outcome.failed && Object.prototype.hasOwnProperty.call(SIGN_IN_OUTCOME, eventName);
  let severity: Severity = op?.severity ?? (denied || signInFailure ? "high" : "medium");
  // Root use is never routine and always worth a page (CIS 1.7; E9 root-use alarm).
  if (identityType === "Root") severity = "critical";

  const headline = [
    headlineVerb(eventName, outcome, denied, op !== undefined),
    target === undefined ? undefined : shortenArns(target),
    identityType === "Root" ? "by the ROOT user" : undefined,
    byDeployer ? "by a deployer role" : undefined,
  ]
    .filter((part) => part !== undefined)
    .join(" - ");

  // Event history holds management events only; a link for a data event (S3 GetObject) would
  // open an empty page, so those point to the trail's Logs Insights / Athena instead (E7).
  const isDataEvent = record.eventCategory === "Data" || record.managementEvent === false;
  const consoleUrl = isDataEvent ? undefined : cloudTrailConsoleUrl(region, eventId);

  const who: NotificationFact[] = [
    fact("Principal", principalOf(identity)),
    fact("Identity type", identityType ?? "not recorded"),
    fact("Role (session issuer)", issuer ?? "none (not an assumed-role session)"),
    fact("MFA", mfaOf(identity, record, eventName)),
  ];
  if (byDeployer) who.push(fact("Deployer role", "yes: critical operations notify whoever made them"));
  const accessKeyId = nonEmptyString(identity.accessKeyId);
  if (accessKeyId !== undefined) who.push(fact("Access key", accessKeyId));
  const account = nonEmptyString(identity.accountId) ?? nonEmptyString(record.recipientAccountId) ?? nonEmptyString(envelope.account);
  if (account !== undefined) who.push(fact("Account", account));

  const what: NotificationFact[] = [fact("Event", eventName), fact("Event source", eventSource)];
  if (op !== undefined) what.push(fact("Meaning", op.why), fact("Tamper severity", `${op.severity}${op.critical ? " (critical: never routine)" : ""}`));
  what.push(fact("Target", target ?? "not recorded"));
  what.push(...notableParameters(eventName, record.requestParameters));
  if (eventId !== undefined) what.push(fact("Event ID", eventId));
  if (isDataEvent) what.push(fact("Event category", "Data event (not in CloudTrail event history: query the trail log group or Athena)"));

  const result: NotificationFact[] = outcome.failed
    ? [
        fact("Result", "Failed"),
        ...(outcome.errorCode === undefined ? [] : [fact("Error code", outcome.errorCode)]),
        fact("Error message", outcome.errorMessage ?? "not recorded"),
      ]
    : [fact("Result", "Success")];

  return {
    kind: "cloudtrail-api-call",
    severity,
    headline,
    sections: [
      { title: "Who", facts: who },
      { title: "What", facts: what },
      { title: "When", facts: whenFacts(describeInstant(nonEmptyString(record.eventTime) ?? nonEmptyString(envelope.time))) },
      {
        title: "Where",
        facts: [
          fact("Source IP", nonEmptyString(record.sourceIPAddress) ?? "not recorded"),
          fact("User agent", nonEmptyString(record.userAgent) ?? "not recorded"),
          fact("Region", region ?? "not recorded"),
        ],
      },
      { title: "Result", facts: result },
    ],
    links: consoleUrl === undefined ? [] : [{ label: "Open in CloudTrail event history", url: consoleUrl }],
    reference: eventId,
  };
}

/** "StopLogging", "StopLogging attempt failed (AccessDenied)", "GetObject denied (AccessDenied)", "ListBuckets called". */
function headlineVerb(eventName: string, outcome: Outcome, denied: boolean, tamper: boolean): string {
  if (!outcome.failed) return tamper ? eventName : `${eventName} called`;
  const why = outcome.errorCode ?? outcome.errorMessage ?? "failed";
  if (tamper) return `${eventName} attempt failed (${why})`;
  return denied ? `${eventName} denied (${why})` : `${eventName} failed (${why})`;
}

/** ARN, else the IAM Identity Center user (user name, or user id in its identity store), else the principal id. */
function principalOf(identity: JsonObject): string {
  const arn = nonEmptyString(identity.arn);
  if (arn !== undefined) return arn;
  const userId = nonEmptyString(path(identity, "onBehalfOf", "userId"));
  const store = nonEmptyString(path(identity, "onBehalfOf", "identityStoreArn"));
  if (userId !== undefined) return `IAM Identity Center user ${userId}${store === undefined ? "" : ` (${store})`}`;
  const userName = nonEmptyString(identity.userName);
  if (userName !== undefined) return `${userName}${nonEmptyString(identity.principalId) === undefined ? "" : ` (principal ${identity.principalId as string})`}`;
  return nonEmptyString(identity.invokedBy) ?? nonEmptyString(identity.principalId) ?? "not recorded";
}

function mfaOf(identity: JsonObject, record: JsonObject, eventName: string): string {
  const flag = path(identity, "sessionContext", "attributes", "mfaAuthenticated");
  if (flag === "true" || flag === true) return "yes";
  if (flag === "false" || flag === false) return "no";
  // Sign-ins say it elsewhere: ConsoleLogin's MFAUsed, IAM Identity Center's credential types.
  const used = path(record, "additionalEventData", "MFAUsed");
  if (eventName === "ConsoleLogin" && (used === "Yes" || used === "No")) return used === "Yes" ? "yes" : "no";
  const types = scalarText(path(record, "additionalEventData", "CredentialType"));
  if (eventName === "UserAuthentication" && types !== undefined)
    return types.split(",").some((t) => t.trim() !== "PASSWORD") ? `yes (${types})` : `no (${types})`;
  return "not recorded";
}

/**
 * The trail / key / bucket / object / rule / topic / log group / alarm / recorder acted on (A4):
 * the catalogue says which requestParameters name it; otherwise the usual fields and resources[].
 */
function describeTarget(record: JsonObject, op: TamperOperation | undefined): string | undefined {
  const params = isObject(record.requestParameters) ? record.requestParameters : {};
  const eventSource = nonEmptyString(record.eventSource);
  const named = (field: string): string | undefined => {
    const v = params[field];
    if (Array.isArray(v)) {
      const names = v.map(scalarText).filter((x): x is string => x !== undefined);
      return names.length > 0 ? names.join(", ") : undefined;
    }
    return scalarText(v);
  };
  const trail = named("name") ?? named("trailName");
  if (trail !== undefined && eventSource === "cloudtrail.amazonaws.com") return `trail ${trail}`;
  const bucket = named("bucketName");
  if (bucket !== undefined) {
    const objectKey = named("key");
    // Object keys are identifiers CloudTrail records; they are fine to show (No.50 concerns bodies).
    return objectKey === undefined ? `bucket ${bucket}` : `object s3://${bucket}/${objectKey}`;
  }
  if (eventSource === "kms.amazonaws.com") {
    const keyArn = kmsKeyArn(record);
    const keyId = named("keyId");
    return keyArn !== undefined || keyId !== undefined ? `KMS key ${keyArn ?? keyId}` : undefined;
  }
  const labels: Readonly<Record<string, string>> = {
    name: "rule",
    rule: "rule",
    topicArn: "topic",
    subscriptionArn: "subscription",
    logGroupName: "log group",
    filterName: "metric filter",
    alarmNames: "alarms",
    alarmName: "alarm",
    configurationRecorderName: "Config recorder",
    deliveryChannelName: "Config delivery channel",
    configRuleName: "Config rule",
  };
  // The catalogue's target fields first; any other known one when the record names it differently.
  const partsOf = (fields: readonly string[]) =>
    fields
      .map((f) => [f, named(f)] as const)
      .filter(([, v]) => v !== undefined)
      .map(([f, v]) => `${labels[f] ?? f} ${v}`);
  const parts = op === undefined ? [] : partsOf(op.targetFields);
  const fallback = parts.length > 0 ? parts : partsOf(Object.keys(labels));
  if (fallback.length > 0) return fallback.join(", ");
  if (Array.isArray(record.resources)) {
    const first = record.resources.find((r: unknown) => isObject(r) && nonEmptyString(r.ARN ?? r.arn) !== undefined);
    if (isObject(first)) return nonEmptyString(first.ARN ?? first.arn);
  }
  return undefined;
}

/** The key's ARN from resources[]: by type, or (older records without `type`) by the ARN's shape. */
function kmsKeyArn(record: JsonObject): string | undefined {
  if (!Array.isArray(record.resources)) return undefined;
  const arns = record.resources.filter(isObject).map((r) => ({ type: r.type, arn: nonEmptyString(r.ARN) ?? nonEmptyString(r.arn) }));
  return arns.find((r) => r.type === "AWS::KMS::Key" && r.arn !== undefined)?.arn ?? arns.find((r) => r.arn !== undefined && /:key\/[^/]+$/.test(r.arn))?.arn;
}

/**
 * What changed, without echoing request bodies (No.50): a few settings that decide whether logs
 * survive are shown with their values; everything else only by parameter name.
 */
function notableParameters(eventName: string, requestParameters: unknown): NotificationFact[] {
  if (!isObject(requestParameters)) return [];
  const facts: NotificationFact[] = [];
  if (eventName === "ScheduleKeyDeletion") {
    const days = scalarText(requestParameters.pendingWindowInDays);
    facts.push(fact("Deletion window", days === undefined ? "not recorded (default 30 days)" : `${days} days`));
  }
  if (eventName === "PutBucketVersioning") {
    const status = scalarText(path(requestParameters, "VersioningConfiguration", "Status"));
    const mfaDelete = scalarText(path(requestParameters, "VersioningConfiguration", "MfaDelete"));
    facts.push(fact("Versioning", `${status ?? "not recorded"}${mfaDelete === undefined ? "" : `, MFA delete ${mfaDelete}`}`));
  }
  if (eventName === "PutObjectLockConfiguration" || eventName === "PutBucketObjectLockConfiguration") {
    const retention = path(requestParameters, "ObjectLockConfiguration", "Rule", "DefaultRetention");
    if (isObject(retention)) {
      const mode = scalarText(retention.Mode) ?? "no mode";
      const days = scalarText(retention.Days);
      const years = scalarText(retention.Years);
      facts.push(fact("Default retention", `${mode}, ${days !== undefined ? `${days} days` : years !== undefined ? `${years} years` : "no period"}`));
    } else {
      facts.push(fact("Default retention", "none (default retention removed or not recorded)"));
    }
  }
  const names = Object.keys(requestParameters).map((name) => {
    const value = requestParameters[name];
    // Booleans and numbers are settings (enableLogFileValidation=false), never personal data.
    return typeof value === "boolean" || typeof value === "number" ? `${name}=${String(value)}` : name;
  });
  if (names.length > 0) facts.push(fact("Parameters", names.join(", ")));
  return facts;
}
