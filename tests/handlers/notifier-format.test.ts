/**
 * The notifier's pure formatter (E8, E9, E10, E14; A1-A6; No.29, No.50): exact message text for
 * every event kind, routine skips, and malformed input that must still be notified raw.
 */
import { strict as assert } from "node:assert";
import { RAW_MESSAGE_MAX_CHARS } from "../../handlers/notifier/builders/raw";
import { classifyMessage, extractIncomingMessages } from "../../handlers/notifier/classify";
import type { ClassifiedMessage, IncomingMessage, Notification } from "../../handlers/notifier/notification";
import { renderFallbackPayload, renderSlackPayload, type SlackPayload } from "../../handlers/notifier/render";
import { describeInstant } from "../../handlers/notifier/text";
import { tamperOperation } from "../../policy/lib/tamper-events";
import {
  ACCOUNT_ID,
  ADMIN_ROLE_ARN,
  ADMIN_SESSION_ARN,
  alarmMessage,
  cloudTrailEvent,
  configComplianceEvent,
  dailyReviewMessage,
  DEPLOYER_ROLE_ARN,
  EVENT_ID,
  KEY_ARN,
  LOG_BUCKET,
  REGION,
  SOURCE_IP,
  snsEvent,
  TRAIL_ARN,
  USER_AGENT,
  type CloudTrailOverrides,
} from "./fixtures/notifier/events";

const RENDER = { environment: "prd", channel: "bs-notification-prd" } as const;
const NO_DEPLOYERS = { deployerRoleArns: new Set<string>() };
const CONSOLE_LINK = `https://${REGION}.console.aws.amazon.com/cloudtrailv2/home?region=${REGION}#/events/${EVENT_ID}`;

function message(body: unknown, extra: Partial<IncomingMessage> = {}): IncomingMessage {
  return { index: 0, body: typeof body === "string" ? body : JSON.stringify(body), ...extra };
}

function notified(result: ClassifiedMessage): Notification {
  assert.equal(result.action, "notify", "expected a notification, got a routine skip");
  if (result.action !== "notify") throw new Error("unreachable");
  return result.notification;
}

function classify(body: unknown, deployers: readonly string[] = []): ClassifiedMessage {
  return classifyMessage(message(body), { deployerRoleArns: new Set(deployers) });
}

/** All facts, label -> value; fails on duplicate labels so assertions are unambiguous. */
function facts(n: Notification): Map<string, string> {
  const map = new Map<string, string>();
  for (const section of n.sections) {
    for (const f of section.facts) {
      assert.ok(!map.has(f.label), `duplicate fact label ${f.label}`);
      map.set(f.label, f.value);
    }
  }
  return map;
}

function blockTexts(payload: SlackPayload): string[] {
  return (payload.blocks ?? []).flatMap((block) => (block.type === "context" ? block.elements.map((e) => e.text) : [block.text.text]));
}

function renderedText(payload: SlackPayload): string {
  return blockTexts(payload).join("\n");
}

interface TamperCase {
  readonly eventName: string;
  readonly overrides: CloudTrailOverrides;
  readonly severity: "critical" | "high";
  readonly headline: string;
  readonly resource: string;
  readonly extraFacts?: Readonly<Record<string, string>>;
  /** Request-body content that must not be echoed (No.50). */
  readonly notEchoed?: string;
}

const S3 = { source: "aws.s3", eventSource: "s3.amazonaws.com" } as const;
const KMS = { source: "aws.kms", eventSource: "kms.amazonaws.com" } as const;
const KEY_RESOURCES = [{ accountId: ACCOUNT_ID, type: "AWS::KMS::Key", ARN: KEY_ARN }];
const KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab";
const BUCKET_HOST = `${LOG_BUCKET}.s3.${REGION}.amazonaws.com`;

// E8 / 003 6-1: every tamper operation the EventBridge rule forwards.
const TAMPER_CASES: readonly TamperCase[] = [
  {
    eventName: "StopLogging",
    overrides: { requestParameters: { name: TRAIL_ARN } },
    severity: "critical",
    headline: "StopLogging - trail audit-trail-prd",
    resource: `trail ${TRAIL_ARN}`,
    extraFacts: { Parameters: "name" },
  },
  {
    eventName: "DeleteTrail",
    overrides: { requestParameters: { name: "audit-trail-prd" } },
    severity: "critical",
    headline: "DeleteTrail - trail audit-trail-prd",
    resource: "trail audit-trail-prd",
  },
  {
    eventName: "UpdateTrail",
    overrides: { requestParameters: { name: TRAIL_ARN, enableLogFileValidation: false, s3BucketName: "other-bucket" } },
    severity: "critical",
    headline: "UpdateTrail - trail audit-trail-prd",
    resource: `trail ${TRAIL_ARN}`,
    extraFacts: { Parameters: "name, enableLogFileValidation=false, s3BucketName" },
    notEchoed: "other-bucket",
  },
  {
    eventName: "PutEventSelectors",
    overrides: {
      requestParameters: {
        trailName: TRAIL_ARN,
        eventSelectors: [{ readWriteType: "ReadOnly", includeManagementEvents: false, dataResources: [] }],
      },
    },
    severity: "critical",
    headline: "PutEventSelectors - trail audit-trail-prd",
    resource: `trail ${TRAIL_ARN}`,
    extraFacts: { Parameters: "trailName, eventSelectors" },
    notEchoed: "ReadOnly",
  },
  {
    eventName: "PutInsightSelectors",
    overrides: { requestParameters: { trailName: TRAIL_ARN, insightSelectors: [] } },
    severity: "high",
    headline: "PutInsightSelectors - trail audit-trail-prd",
    resource: `trail ${TRAIL_ARN}`,
  },
  {
    eventName: "DisableKey",
    overrides: { ...KMS, requestParameters: { keyId: KEY_ID }, resources: KEY_RESOURCES },
    severity: "critical",
    headline: `DisableKey - KMS key ${KEY_ID}`,
    resource: `KMS key ${KEY_ARN}`,
  },
  {
    eventName: "ScheduleKeyDeletion",
    overrides: { ...KMS, requestParameters: { keyId: KEY_ID, pendingWindowInDays: 7 }, resources: KEY_RESOURCES },
    severity: "critical",
    headline: `ScheduleKeyDeletion - KMS key ${KEY_ID}`,
    resource: `KMS key ${KEY_ARN}`,
    extraFacts: { "Deletion window": "7 days", Parameters: "keyId, pendingWindowInDays=7" },
  },
  {
    eventName: "PutKeyPolicy",
    overrides: {
      ...KMS,
      // No resources[]: the key comes from requestParameters.keyId.
      requestParameters: { keyId: KEY_ID, policyName: "default", policy: '{"Statement":[{"Sid":"SecretSidValue"}]}' },
    },
    severity: "critical",
    headline: `PutKeyPolicy - KMS key ${KEY_ID}`,
    resource: `KMS key ${KEY_ID}`,
    extraFacts: { Parameters: "keyId, policyName, policy" },
    notEchoed: "SecretSidValue",
  },
  {
    eventName: "PutObjectLockConfiguration",
    overrides: {
      ...S3,
      requestParameters: {
        bucketName: LOG_BUCKET,
        Host: BUCKET_HOST,
        objectLock: "",
        ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: "GOVERNANCE", Days: 1 } } },
      },
    },
    severity: "critical",
    headline: `PutObjectLockConfiguration - bucket ${LOG_BUCKET}`,
    resource: `bucket ${LOG_BUCKET}`,
    extraFacts: { "Default retention": "GOVERNANCE, 1 days" },
  },
  {
    eventName: "PutBucketObjectLockConfiguration",
    overrides: {
      ...S3,
      requestParameters: {
        bucketName: LOG_BUCKET,
        ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: "COMPLIANCE", Years: 1 } } },
      },
    },
    severity: "critical",
    headline: `PutBucketObjectLockConfiguration - bucket ${LOG_BUCKET}`,
    resource: `bucket ${LOG_BUCKET}`,
    extraFacts: { "Default retention": "COMPLIANCE, 1 years" },
  },
  {
    eventName: "DeleteBucketPolicy",
    overrides: { ...S3, requestParameters: { bucketName: LOG_BUCKET, Host: BUCKET_HOST, policy: "" } },
    severity: "critical",
    headline: `DeleteBucketPolicy - bucket ${LOG_BUCKET}`,
    resource: `bucket ${LOG_BUCKET}`,
  },
  {
    eventName: "PutBucketPolicy",
    overrides: {
      ...S3,
      requestParameters: {
        bucketName: LOG_BUCKET,
        Host: BUCKET_HOST,
        bucketPolicy: { Version: "2012-10-17", Statement: [{ Sid: "AllowEveryoneSecretSid", Effect: "Allow", Principal: "*" }] },
      },
    },
    severity: "critical",
    headline: `PutBucketPolicy - bucket ${LOG_BUCKET}`,
    resource: `bucket ${LOG_BUCKET}`,
    extraFacts: { Parameters: "bucketName, Host, bucketPolicy" },
    notEchoed: "AllowEveryoneSecretSid",
  },
  {
    eventName: "PutBucketLifecycle",
    overrides: {
      ...S3,
      requestParameters: {
        bucketName: LOG_BUCKET,
        lifecycle: "",
        LifecycleConfiguration: { Rule: { ID: "expire-fast", Status: "Enabled", Expiration: { Days: 1 } } },
      },
    },
    severity: "critical",
    headline: `PutBucketLifecycle - bucket ${LOG_BUCKET}`,
    resource: `bucket ${LOG_BUCKET}`,
  },
  {
    eventName: "PutBucketVersioning",
    overrides: {
      ...S3,
      requestParameters: { bucketName: LOG_BUCKET, versioning: "", VersioningConfiguration: { Status: "Suspended" } },
    },
    severity: "critical",
    headline: `PutBucketVersioning - bucket ${LOG_BUCKET}`,
    resource: `bucket ${LOG_BUCKET}`,
    extraFacts: { Versioning: "Suspended" },
  },
  {
    eventName: "DeleteBucket",
    overrides: { ...S3, requestParameters: { bucketName: LOG_BUCKET, Host: BUCKET_HOST } },
    severity: "critical",
    headline: `DeleteBucket - bucket ${LOG_BUCKET}`,
    resource: `bucket ${LOG_BUCKET}`,
  },
];

describe("notifier formatter: CloudTrail tamper operations (E8, A1-A6)", () => {
  for (const c of TAMPER_CASES) {
    it(`${c.eventName}: ${c.severity}, who/what/when/where/result and console link`, () => {
      const event = cloudTrailEvent({ eventName: c.eventName, ...c.overrides });
      const n = notified(classify(event));
      assert.equal(n.kind, "cloudtrail-api-call");
      assert.equal(n.severity, c.severity);
      assert.equal(n.headline, c.headline);
      assert.equal(n.reference, EVENT_ID);

      const f = facts(n);
      // A2 who
      assert.equal(f.get("Principal"), ADMIN_SESSION_ARN);
      assert.equal(f.get("Identity type"), "AssumedRole");
      assert.equal(f.get("Role (session issuer)"), ADMIN_ROLE_ARN);
      assert.equal(f.get("MFA"), "yes");
      assert.equal(f.get("Access key"), "ASIAEXAMPLEKEY");
      assert.equal(f.get("Account"), ACCOUNT_ID);
      // A3 / A4 what
      assert.equal(f.get("Event"), c.eventName);
      assert.equal(f.get("Event source"), c.overrides.eventSource ?? "cloudtrail.amazonaws.com");
      assert.equal(f.get("Target"), c.resource);
      assert.equal(f.get("Meaning"), tamperOperation(c.eventName)!.why);
      assert.equal(f.get("Event ID"), EVENT_ID);
      // A1 when: UTC as recorded, JST explicit (crosses midnight here)
      assert.equal(f.get("UTC"), "2024-05-01T15:30:00Z");
      assert.equal(f.get("JST (UTC+9)"), "2024-05-02T00:30:00+09:00");
      // A5 where
      assert.equal(f.get("Source IP"), SOURCE_IP);
      assert.equal(f.get("User agent"), USER_AGENT);
      assert.equal(f.get("Region"), REGION);
      // A6 result
      assert.equal(f.get("Result"), "Success");
      assert.equal(f.has("Error code"), false);
      for (const [label, value] of Object.entries(c.extraFacts ?? {})) assert.equal(f.get(label), value, label);

      assert.deepEqual(n.links, [{ label: "Open in CloudTrail event history", url: CONSOLE_LINK }]);

      const payload = renderSlackPayload(n, RENDER);
      const emoji = c.severity === "critical" ? ":rotating_light:" : ":warning:";
      const header = (payload.blocks ?? [])[0];
      assert.equal(header.type, "header");
      assert.equal(header.type === "header" ? header.text.text : "", `${emoji} ${c.severity.toUpperCase()} [prd] ${c.headline}`);
      assert.equal(payload.text, `${c.severity.toUpperCase()} [prd] ${c.headline}`);
      assert.equal(payload.channel, "bs-notification-prd");
      const text = renderedText(payload);
      for (const line of [
        `*Principal:* \`${ADMIN_SESSION_ARN}\``,
        `*Role (session issuer):* \`${ADMIN_ROLE_ARN}\``,
        "*MFA:* `yes`",
        `*Event:* \`${c.eventName}\``,
        `*Target:* \`${c.resource}\``,
        "*UTC:* `2024-05-01T15:30:00Z`",
        "*JST (UTC+9):* `2024-05-02T00:30:00+09:00`",
        `*Source IP:* \`${SOURCE_IP}\``,
        `*User agent:* \`${USER_AGENT}\``,
        `*Region:* \`${REGION}\``,
        "*Result:* `Success`",
        `<${CONSOLE_LINK}|Open in CloudTrail event history>`,
        "Environment: prd  |  Channel: #bs-notification-prd",
      ]) {
        assert.ok(text.includes(line), `rendered message lacks ${JSON.stringify(line)}:\n${text}`);
      }
      if (c.notEchoed !== undefined) {
        assert.ok(!text.includes(c.notEchoed), `request body content ${c.notEchoed} was echoed (No.50)`);
      }
    });
  }
});

describe("notifier formatter: failures, AccessDenied and identities (E9, A2, A6)", () => {
  it("AccessDenied on the log bucket: high, error code and message, object key shown", () => {
    const n = notified(
      classify(
        cloudTrailEvent({
          ...S3,
          eventName: "GetObject",
          requestParameters: { bucketName: LOG_BUCKET, key: "AWSLogs/111122223333/CloudTrail/x.json.gz" },
          errorCode: "AccessDenied",
          errorMessage: "Access Denied",
        }),
      ),
    );
    assert.equal(n.severity, "high");
    assert.equal(n.headline, `GetObject denied (AccessDenied) - object s3://${LOG_BUCKET}/AWSLogs/111122223333/CloudTrail/x.json.gz`);
    const f = facts(n);
    assert.equal(f.get("Result"), "Failed");
    assert.equal(f.get("Error code"), "AccessDenied");
    assert.equal(f.get("Error message"), "Access Denied");
    assert.equal(f.get("Target"), `object s3://${LOG_BUCKET}/AWSLogs/111122223333/CloudTrail/x.json.gz`);
    const text = renderedText(renderSlackPayload(n, RENDER));
    assert.ok(text.includes("*Result:* `Failed`\n*Error code:* `AccessDenied`\n*Error message:* `Access Denied`"));
  });

  it("a data event gets no event-history link (event history has management events only)", () => {
    const event = cloudTrailEvent({ ...S3, eventName: "GetObject", requestParameters: { bucketName: LOG_BUCKET, key: "k" }, errorCode: "AccessDenied" });
    Object.assign(event.detail as Record<string, unknown>, { managementEvent: false, eventCategory: "Data" });
    const n = notified(classify(event));
    assert.deepEqual(n.links, []);
    assert.equal(facts(n).get("Event category"), "Data event (not in CloudTrail event history: query the trail log group or Athena)");
    // a management event keeps its link
    assert.equal(notified(classify(cloudTrailEvent())).links.length, 1);
  });

  it("a failed tamper attempt keeps the operation severity and says it failed", () => {
    const n = notified(
      classify(
        cloudTrailEvent({
          eventName: "StopLogging",
          errorCode: "AccessDenied",
          errorMessage: `User: ${ADMIN_SESSION_ARN} is not authorized to perform: cloudtrail:StopLogging`,
        }),
      ),
    );
    assert.equal(n.severity, "critical");
    assert.equal(n.headline, "StopLogging attempt failed (AccessDenied) - trail audit-trail-prd");
    assert.equal(facts(n).get("Error message"), `User: ${ADMIN_SESSION_ARN} is not authorized to perform: cloudtrail:StopLogging`);
  });

  it('MFA "false" reads "no"; a missing flag reads "not recorded"', () => {
    assert.equal(facts(notified(classify(cloudTrailEvent({ mfaAuthenticated: "false" })))).get("MFA"), "no");
    assert.equal(facts(notified(classify(cloudTrailEvent({ mfaAuthenticated: null })))).get("MFA"), "not recorded");
  });

  it("root user: critical whatever the event, principal and no role shown", () => {
    const n = notified(
      classify(
        cloudTrailEvent({
          eventName: "ListBuckets",
          ...S3,
          requestParameters: null,
          userIdentity: {
            type: "Root",
            principalId: ACCOUNT_ID,
            arn: `arn:aws:iam::${ACCOUNT_ID}:root`,
            accountId: ACCOUNT_ID,
            sessionContext: { attributes: { mfaAuthenticated: "false", creationDate: "2024-05-01T15:00:00Z" } },
          },
        }),
      ),
    );
    assert.equal(n.severity, "critical");
    assert.equal(n.headline, "ListBuckets called - by the ROOT user");
    const f = facts(n);
    assert.equal(f.get("Principal"), `arn:aws:iam::${ACCOUNT_ID}:root`);
    assert.equal(f.get("Identity type"), "Root");
    assert.equal(f.get("Role (session issuer)"), "none (not an assumed-role session)");
    assert.equal(f.get("MFA"), "no");
  });

  it("a field cannot forge Slack links or mentions: <, > and & are escaped", () => {
    const event = cloudTrailEvent({ eventName: "StopLogging" });
    (event.detail as Record<string, unknown>).userAgent = "<!channel> <https://evil.example|click> & more";
    const text = renderedText(renderSlackPayload(notified(classify(event)), RENDER));
    assert.ok(text.includes("*User agent:* `&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; more`"));
    assert.ok(!text.includes("<!channel>"));
  });

  it("no console link when region or eventID is not well-formed (no URL injection)", () => {
    const n = notified(classify(cloudTrailEvent({ eventID: "abc#/../x|y" })));
    assert.deepEqual(n.links, []);
    const m = notified(classify(cloudTrailEvent({ awsRegion: "evil.example.com/" })));
    assert.deepEqual(m.links, []);
  });
});

describe("notifier formatter: routine deployer operations (001 No.29)", () => {
  it("a successful non-critical call whose session issuer is a deployer role is skipped, with what to log", () => {
    const result = classify(cloudTrailEvent({ eventName: "PutBucketEncryption", ...S3, sessionIssuerArn: DEPLOYER_ROLE_ARN }), [DEPLOYER_ROLE_ARN]);
    assert.deepEqual(result, {
      action: "skip-routine",
      routine: { eventName: "PutBucketEncryption", eventId: EVENT_ID, sessionIssuerArn: DEPLOYER_ROLE_ARN },
    });
  });

  it("a non-tamper call by a deployer role is routine too", () => {
    assert.equal(classify(cloudTrailEvent({ eventName: "CreateTags", sessionIssuerArn: DEPLOYER_ROLE_ARN }), [DEPLOYER_ROLE_ARN]).action, "skip-routine");
  });

  for (const eventName of [
    "StopLogging",
    "DeleteTrail",
    "DeleteBucket",
    "PutBucketPolicy",
    "PutBucketLifecycle",
    "ScheduleKeyDeletion",
    "DisableKey",
    "DeleteTopic",
    "DeleteAlarms",
  ]) {
    it(`a successful critical ${eventName} by a deployer role notifies, and says a deployer role made it (issue 10)`, () => {
      const op = tamperOperation(eventName)!;
      assert.equal(op.critical, true);
      const event = cloudTrailEvent({ eventName, source: op.eventBridgeSource, eventSource: op.eventSource, sessionIssuerArn: DEPLOYER_ROLE_ARN });
      const n = notified(classify(event, [DEPLOYER_ROLE_ARN]));
      assert.equal(n.severity, "critical");
      assert.match(n.headline, / - by a deployer role$/);
      assert.equal(facts(n).get("Deployer role"), "yes: critical operations notify whoever made them");
      assert.equal(facts(n).get("Role (session issuer)"), DEPLOYER_ROLE_ARN);
    });
  }

  it("the same non-critical call by another role is notified", () => {
    const result = classify(cloudTrailEvent({ eventName: "PutBucketEncryption", ...S3 }), [DEPLOYER_ROLE_ARN]);
    assert.equal(notified(result).severity, "high");
  });

  it("a deployer call that FAILED is not routine and is notified", () => {
    const result = classify(cloudTrailEvent({ eventName: "PutBucketEncryption", ...S3, sessionIssuerArn: DEPLOYER_ROLE_ARN, errorCode: "AccessDenied" }), [
      DEPLOYER_ROLE_ARN,
    ]);
    assert.equal(notified(result).severity, "high");
    assert.equal(facts(notified(result)).get("Result"), "Failed");
  });
});

describe("notifier formatter: CloudWatch alarms (E9)", () => {
  it('auth-failure burst ALARM: high, state, reason, metric, UTC/JST of "+0000" time, console link', () => {
    const n = notified(classify(alarmMessage()));
    assert.equal(n.kind, "cloudwatch-alarm");
    assert.equal(n.severity, "high");
    assert.equal(n.headline, "Alarm ALARM: audit-auth-failure-burst-prd");
    const f = facts(n);
    assert.equal(f.get("Alarm"), "audit-auth-failure-burst-prd");
    assert.equal(f.get("Description"), "More than 5 console sign-in failures in 5 minutes (No.29)");
    assert.equal(f.get("State"), "OK -> ALARM");
    assert.ok(f.get("Reason")?.startsWith("Threshold Crossed: 1 out of the last 1 datapoints"));
    assert.equal(f.get("Metric"), "AuditTrail/Security / ConsoleSignInFailures");
    assert.equal(f.get("Condition"), "SUM GreaterThanOrEqualToThreshold 5");
    assert.equal(f.get("Window"), "1 x 300 s");
    assert.equal(f.get("UTC"), "2024-05-01T15:30:00.123Z");
    assert.equal(f.get("JST (UTC+9)"), "2024-05-02T00:30:00.123+09:00");
    assert.equal(f.get("Region"), "Asia Pacific (Tokyo)");
    assert.equal(f.get("Account"), ACCOUNT_ID);
    assert.deepEqual(n.links, [
      {
        label: "Open alarm in CloudWatch",
        url: `https://${REGION}.console.aws.amazon.com/cloudwatch/home?region=${REGION}#alarmsV2:alarm/audit-auth-failure-burst-prd`,
      },
    ]);
    assert.ok(renderedText(renderSlackPayload(n, RENDER)).includes("*State:* `OK -&gt; ALARM`"));
  });

  it("burst alarms of every kind are notified with their own name", () => {
    for (const name of ["audit-access-denied-burst", "audit-iam-policy-change", "audit-sg-nacl-change", "audit-waf-blocks"]) {
      const n = notified(classify(alarmMessage({ AlarmName: name })));
      assert.equal(n.headline, `Alarm ALARM: ${name}`);
      assert.equal(n.severity, "high");
    }
  });

  it("root-use alarm is critical", () => {
    assert.equal(notified(classify(alarmMessage({ AlarmName: "audit-root-account-usage" }))).severity, "critical");
  });

  it("DLQ depth alarm is critical and says alerts are waiting undelivered", () => {
    const n = notified(
      classify(
        alarmMessage({
          AlarmName: "notifier-dlq-depth-prd",
          Trigger: {
            MetricName: "ApproximateNumberOfMessagesVisible",
            Namespace: "AWS/SQS",
            Threshold: 0,
            ComparisonOperator: "GreaterThanThreshold",
            Period: 60,
            EvaluationPeriods: 1,
            Statistic: "MAXIMUM",
          },
        }),
      ),
    );
    assert.equal(n.severity, "critical");
    assert.equal(n.headline, "Alarm ALARM: notifier-dlq-depth-prd - undelivered notifications in the DLQ");
    assert.equal(facts(n).get("Meaning"), "notifications failed delivery and wait in the dead-letter queue");
  });

  it("back to OK is info", () => {
    const n = notified(classify(alarmMessage({ NewStateValue: "OK", OldStateValue: "ALARM" })));
    assert.equal(n.severity, "info");
    assert.equal(facts(n).get("State"), "ALARM -> OK");
  });
});

describe("notifier formatter: AWS Config compliance changes (E10)", () => {
  it("NON_COMPLIANT: high, rule, resource, transition, annotation, times, console link", () => {
    const n = notified(classify(configComplianceEvent()));
    assert.equal(n.kind, "config-compliance");
    assert.equal(n.severity, "high");
    assert.equal(n.headline, `Config NON_COMPLIANT: s3-bucket-public-read-prohibited - AWS::S3::Bucket ${LOG_BUCKET}`);
    const f = facts(n);
    assert.equal(f.get("Config rule"), "s3-bucket-public-read-prohibited");
    assert.equal(f.get("Resource"), `AWS::S3::Bucket ${LOG_BUCKET}`);
    assert.equal(f.get("Compliance"), "COMPLIANT -> NON_COMPLIANT");
    assert.equal(f.get("Annotation"), "The bucket policy allows public read access.");
    assert.equal(f.get("UTC"), "2024-05-01T15:30:45.678Z");
    assert.equal(f.get("JST (UTC+9)"), "2024-05-02T00:30:45.678+09:00");
    assert.equal(f.get("Region"), REGION);
    assert.equal(f.get("Account"), ACCOUNT_ID);
    assert.deepEqual(n.links, [
      {
        label: "Open rule in AWS Config",
        url: `https://${REGION}.console.aws.amazon.com/config/home?region=${REGION}#/rules/details?configRuleName=s3-bucket-public-read-prohibited`,
      },
    ]);
  });

  it("back to COMPLIANT is info", () => {
    assert.equal(notified(classify(configComplianceEvent("COMPLIANT", "NON_COMPLIANT"))).severity, "info");
  });
});

describe("notifier formatter: daily-review findings (E14)", () => {
  it("lists findings with kind, key and message, and the review record key", () => {
    const n = notified(classify(dailyReviewMessage(2)));
    assert.equal(n.kind, "daily-review");
    assert.equal(n.severity, "medium");
    assert.equal(n.headline, "Daily review 2024-05-01: 2 finding(s)");
    const f = facts(n);
    assert.equal(f.get("Review date"), "2024-05-01");
    assert.equal(f.get("Findings"), "2");
    assert.equal(f.get("Review record"), "reviews/2024/05/01/daily-review.json");
    assert.equal(f.get("1. non-routine-operation"), `event-1: PutBucketPolicy by ${ADMIN_SESSION_ARN}`);
    assert.equal(f.get("2. non-routine-operation"), `event-2: PutBucketPolicy by ${ADMIN_SESSION_ARN}`);
  });

  it("caps the list and points to the record for the rest", () => {
    const n = notified(classify(dailyReviewMessage(45)));
    const f = facts(n);
    assert.equal(f.get("Findings"), "45");
    assert.ok(f.has("20. non-routine-operation"));
    assert.ok(!f.has("21. non-routine-operation"));
    assert.equal(f.get("More"), "25 further finding(s) in the review record");
  });

  it("no findings is info (the review ran)", () => {
    const n = notified(classify(dailyReviewMessage(0)));
    assert.equal(n.severity, "info");
    assert.equal(n.headline, "Daily review 2024-05-01: 0 finding(s)");
  });
});

describe("notifier formatter: malformed and unknown input is notified raw, never dropped (E8)", () => {
  const cases: ReadonlyArray<{ name: string; body: string; reason: string }> = [
    { name: "not JSON", body: "StopLogging happened!!", reason: "Message is not JSON" },
    {
      name: "EventBridge event without detail",
      body: JSON.stringify({ "detail-type": "AWS API Call via CloudTrail", source: "aws.cloudtrail" }),
      reason: "EventBridge event without a detail object",
    },
    {
      name: "CloudTrail detail without eventName",
      body: JSON.stringify({ "detail-type": "AWS API Call via CloudTrail", source: "aws.cloudtrail", detail: { eventSource: "x" } }),
      reason: "CloudTrail event without eventName / eventSource",
    },
    {
      name: "EC2 state change (unknown kind)",
      body: JSON.stringify({ "detail-type": "EC2 Instance State-change Notification", source: "aws.ec2", detail: { state: "running" } }),
      reason: "Unrecognised message",
    },
    { name: "JSON null", body: "null", reason: "Unrecognised message" },
    { name: "JSON array", body: "[1,2,3]", reason: "Unrecognised message" },
    { name: "empty string", body: "", reason: "Message is not JSON" },
    { name: "daily review without findings array", body: JSON.stringify({ kind: "daily-review", date: "2024-05-01" }), reason: "Unrecognised message" },
  ];
  for (const c of cases) {
    it(`${c.name} -> raw notification with the original text`, () => {
      const n = notified(classifyMessage(message(c.body, { snsMessageId: "mid-1", subject: "subj" }), NO_DEPLOYERS));
      assert.equal(n.kind, "raw");
      assert.equal(n.severity, "medium");
      assert.equal(n.headline, `Unrecognised notification: ${c.reason}`);
      assert.equal(n.rawText, c.body);
      const f = facts(n);
      assert.equal(f.get("Reason"), c.reason);
      assert.equal(f.get("SNS message ID"), "mid-1");
      assert.equal(f.get("SNS subject"), "subj");
      const payload = renderSlackPayload(n, RENDER);
      const text = renderedText(payload);
      if (c.body.length > 0) assert.ok(text.includes(`\`\`\`${c.body.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")}\`\`\``));
    });
  }

  it("shows detail-type and source of an unknown EventBridge event", () => {
    const f = facts(notified(classify({ "detail-type": "EC2 Instance State-change Notification", source: "aws.ec2", detail: {} })));
    assert.equal(f.get("detail-type"), "EC2 Instance State-change Notification");
    assert.equal(f.get("source"), "aws.ec2");
  });

  it("truncates a huge message to the raw limit, marked, and keeps the rendered section within 3000", () => {
    const body = JSON.stringify({ blob: "<&>".repeat(10_000) });
    const n = notified(classifyMessage(message(body), NO_DEPLOYERS));
    assert.equal(n.rawText?.length, RAW_MESSAGE_MAX_CHARS);
    assert.ok(n.rawText?.endsWith("\u2026"));
    assert.equal(facts(n).get("Size"), `${body.length} characters`);
    for (const text of blockTexts(renderSlackPayload(n, RENDER))) {
      assert.ok(text.length <= 3000, `block of ${text.length} chars`);
      assert.ok(!/&(a|am|amp|l|lt|g|gt)?\u2026/.test(text), "truncation split an HTML entity");
    }
  });

  it("a backtick run cannot close the code block early", () => {
    const n = notified(classifyMessage(message("a```b"), NO_DEPLOYERS));
    const text = renderedText(renderSlackPayload(n, RENDER));
    assert.ok(text.includes("```a\u02cb\u02cb\u02cbb```"));
  });

  it('fields of the wrong type never throw: they read as "not recorded" or fall back to raw', () => {
    const event = cloudTrailEvent();
    const detail = event.detail as Record<string, unknown>;
    detail.userIdentity = "oops";
    detail.eventTime = 12345;
    detail.requestParameters = [1, 2];
    detail.sourceIPAddress = { nested: true };
    const n = notified(classify(event));
    const f = facts(n);
    assert.equal(f.get("Principal"), "not recorded");
    assert.equal(f.get("MFA"), "not recorded");
    assert.equal(f.get("Source IP"), "not recorded");
    // eventTime falls back to the EventBridge envelope time
    assert.equal(f.get("UTC"), "2024-05-01T15:30:00Z");
  });

  it('an eventName like "constructor" is not mistaken for a known operation', () => {
    const n = notified(classify(cloudTrailEvent({ eventName: "constructor", requestParameters: null })));
    assert.equal(n.kind, "cloudtrail-api-call");
    assert.equal(n.severity, "medium");
    assert.equal(n.headline, "constructor called");
  });
});

describe("notifier formatter: Lambda event -> messages", () => {
  it("one message per SNS record, with its MessageId", () => {
    const messages = extractIncomingMessages(snsEvent("a", "b"));
    assert.deepEqual(
      messages.map((m) => [m.index, m.snsMessageId, m.body, m.note]),
      [
        [0, "sns-message-0", "a", undefined],
        [1, "sns-message-1", "b", undefined],
      ],
    );
  });

  it("empty Records, no Records, a record without Sns.Message: still one message each, with a note", () => {
    const empty = extractIncomingMessages({ Records: [] });
    assert.deepEqual(empty, [{ index: 0, body: '{"Records":[]}', note: "Lambda event has an empty Records list" }]);
    const none = extractIncomingMessages({ hello: "world" });
    assert.deepEqual(none, [{ index: 0, body: '{"hello":"world"}', note: "Lambda event is not an SNS event (no Records list)" }]);
    const broken = extractIncomingMessages({ Records: [{ Sns: { MessageId: "m1" } }] });
    assert.equal(broken[0].note, "SNS record without a Message string");
    assert.equal(broken[0].snsMessageId, "m1");
    assert.equal(broken[0].body, '{"Sns":{"MessageId":"m1"}}');
    assert.equal(extractIncomingMessages(undefined)[0].body, "undefined");

    const n = notified(classifyMessage(empty[0], NO_DEPLOYERS));
    assert.equal(n.headline, "Unrecognised notification: Lambda event has an empty Records list");
  });

  it("an EventBridge event invoked directly (not via SNS) is still recognised", () => {
    const [m] = extractIncomingMessages(cloudTrailEvent());
    assert.equal(notified(classifyMessage(m, NO_DEPLOYERS)).kind, "cloudtrail-api-call");
  });
});

describe("notifier formatter: time (A1)", () => {
  const cases: ReadonlyArray<[string, unknown]> = [
    ["2024-05-01T03:04:05Z", { utc: "2024-05-01T03:04:05Z", jst: "2024-05-01T12:04:05+09:00" }],
    ["2024-12-31T15:00:00Z", { utc: "2024-12-31T15:00:00Z", jst: "2025-01-01T00:00:00+09:00" }],
    ["2024-05-01T15:30:00.123+0000", { utc: "2024-05-01T15:30:00.123Z", jst: "2024-05-02T00:30:00.123+09:00" }],
    ["2024-05-01T10:00:00-05:00", { utc: "2024-05-01T15:00:00Z", jst: "2024-05-02T00:00:00+09:00" }],
    ["2024-05-02T00:30:00+09:00", { utc: "2024-05-01T15:30:00Z", jst: "2024-05-02T00:30:00+09:00" }],
    ["2024-02-30T00:00:00Z", { unparsed: "2024-02-30T00:00:00Z" }],
    ["2024-05-01T03:04:05", { unparsed: "2024-05-01T03:04:05" }],
    ["yesterday", { unparsed: "yesterday" }],
  ];
  for (const [input, expected] of cases) {
    it(`${input}`, () => assert.deepEqual(describeInstant(input), expected));
  }

  it("an unparseable eventTime is shown as recorded, never guessed", () => {
    const f = facts(notified(classify(cloudTrailEvent({ eventTime: "2024-05-01 3pm" }))));
    assert.equal(f.get("UTC"), "2024-05-01 3pm (as recorded, not parseable)");
    assert.equal(f.get("JST (UTC+9)"), "not available");
  });
});

describe("notifier formatter: plain-text fallback payload", () => {
  it("carries the header and the original message, no blocks", () => {
    const body = JSON.stringify(cloudTrailEvent());
    const n = notified(classify(body));
    const payload = renderFallbackPayload(n, body, RENDER);
    assert.equal(payload.blocks, undefined);
    assert.ok(payload.text.startsWith("CRITICAL [prd] StopLogging - trail audit-trail-prd\n```"));
    assert.ok(payload.text.includes('"eventName":"StopLogging"'));
    assert.ok(payload.text.length <= 3000);
  });
});

describe("notifier formatter: posture findings reach people (E10, issue 10)", () => {
  // Shaped after the EventBridge event reference samples of each service (fields the builder reads).
  it("GuardDuty: severity 8 is high, 9+ critical; type, title and resource type shown", () => {
    const event = {
      "detail-type": "GuardDuty Finding",
      source: "aws.guardduty",
      account: ACCOUNT_ID,
      region: REGION,
      time: "2024-05-01T15:30:00Z",
      detail: {
        id: "abc123",
        type: "UnauthorizedAccess:IAMUser/MaliciousIPCaller",
        severity: 8,
        title: "API called from a known malicious IP",
        description: "d",
        resource: { resourceType: "AccessKey" },
        region: REGION,
        accountId: ACCOUNT_ID,
        updatedAt: "2024-05-01T15:30:00Z",
      },
    };
    const n = notified(classify(event));
    assert.equal(n.kind, "security-finding");
    assert.equal(n.severity, "high");
    assert.equal(n.headline, "Finding HIGH: API called from a known malicious IP");
    const f = facts(n);
    assert.equal(f.get("Finding type"), "UnauthorizedAccess:IAMUser/MaliciousIPCaller");
    assert.equal(f.get("Resource type"), "AccessKey");
    assert.equal(f.get("UTC"), "2024-05-01T15:30:00Z");
    assert.equal(notified(classify({ ...event, detail: { ...event.detail, severity: 9.5 } })).severity, "critical");
  });
  it("Security Hub: the worst of the findings decides; each finding names its resource and control", () => {
    const finding = (label: string, id: string) => ({
      Id: `f-${id}`,
      Title: `title ${id}`,
      Severity: { Label: label },
      Resources: [{ Type: "AwsS3Bucket", Id: `arn:aws:s3:::b-${id}` }],
      Compliance: { SecurityControlId: "S3.8" },
      UpdatedAt: "2024-05-01T15:30:00Z",
    });
    const n = notified(
      classify({
        "detail-type": "Security Hub Findings - Imported",
        source: "aws.securityhub",
        region: REGION,
        account: ACCOUNT_ID,
        detail: { findings: [finding("HIGH", "1"), finding("CRITICAL", "2")] },
      }),
    );
    assert.equal(n.severity, "critical");
    const f = facts(n);
    assert.equal(f.get("Findings"), "2");
    assert.equal(f.get("2. CRITICAL"), "title 2");
    assert.equal(f.get("1. resource"), "AwsS3Bucket arn:aws:s3:::b-1");
    assert.equal(f.get("1. control"), "S3.8");
  });
  it("Inspector and Access Analyzer", () => {
    const inspector = notified(
      classify({
        "detail-type": "Inspector2 Finding",
        source: "aws.inspector2",
        detail: {
          severity: "HIGH",
          status: "ACTIVE",
          title: "CVE-2024-0001 - openssl",
          findingArn: "arn:aws:inspector2:x",
          resources: [{ type: "AWS_LAMBDA_FUNCTION", id: "arn:aws:lambda:fn" }],
        },
      }),
    );
    assert.equal(inspector.severity, "high");
    assert.equal(facts(inspector).get("Resource"), "AWS_LAMBDA_FUNCTION arn:aws:lambda:fn");
    const analyzer = notified(
      classify({
        "detail-type": "Access Analyzer Finding",
        source: "aws.access-analyzer",
        detail: {
          id: "x",
          status: "ACTIVE",
          resourceType: "AWS::S3::Bucket",
          resource: "arn:aws:s3:::b",
          isPublic: true,
          principal: { AWS: "*" },
          action: ["s3:GetObject"],
        },
      }),
    );
    assert.equal(analyzer.severity, "critical");
    assert.equal(analyzer.headline, "Finding CRITICAL: AWS::S3::Bucket shared outside the account (public)");
    assert.equal(facts(analyzer).get("Principal"), '{"AWS":"*"}');
  });
});
