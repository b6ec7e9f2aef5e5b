// E8, E9, E10 under the mocked runtime with the real stack files: the tamper rules' exact event
// names, sources and scope; the alert path (KMS topic, notifier, DLQ at every hop); the burst
// alarms with their metric, threshold, action and CIS control; the posture services per stack.
import { strict as assert } from "assert";
import { MOCK_ACCOUNT_ID } from "../../offline/mocks";
import { asList, resourcesOf, Resources, statement, statements, STACKS } from "../support/estate";

const ACCOUNT = MOCK_ACCOUNT_ID;
const REGION = "ap-northeast-1";
const P = "audit-trail-estate";
const T = {
  rule: "aws:cloudwatch/eventRule:EventRule",
  target: "aws:cloudwatch/eventTarget:EventTarget",
  topic: "aws:sns/topic:Topic",
  topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
  queue: "aws:sqs/queue:Queue",
  queuePolicy: "aws:sqs/queuePolicy:QueuePolicy",
  fn: "aws:lambda/function:Function",
  invokeConfig: "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
  permission: "aws:lambda/permission:Permission",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  filter: "aws:cloudwatch/logMetricFilter:LogMetricFilter",
  secret: "aws:secretsmanager/secret:Secret",
  secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  key: "aws:kms/key:Key",
  configRule: "aws:cfg/rule:Rule",
  recorder: "aws:cfg/recorder:Recorder",
  delivery: "aws:cfg/deliveryChannel:DeliveryChannel",
  bucket: "aws:s3/bucket:Bucket",
  chatbot: "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration",
};
const CHANNEL = { dev: "bs-notification-dev", dev2: "bs-notification-stg", prd: "bs-notification-prd" } as const;
const THRESHOLDS = { dev: { auth: 10, denied: 50 }, dev2: { auth: 5, denied: 20 }, prd: { auth: 5, denied: 20 } } as const;

const pattern = (r: Resources, name: string) => JSON.parse(r.one(T.rule, name).inputs.eventPattern);

for (const stack of STACKS) {
  const logBucket = `audit-trail-logs-${stack}-${ACCOUNT}-${REGION}`;
  const accessBucket = `audit-access-logs-${stack}-${ACCOUNT}-${REGION}`;
  const dataBucket = `audit-backup-data-${stack}-${ACCOUNT}-${REGION}`;
  const trailArn = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/audit-trail-${stack}`;

  describe(`alerting and posture, stack ${stack}`, () => {
    let r: Resources;
    let auditKeyArn: string;
    let alertKeyArn: string;
    let topicArn: string;
    let dlqArn: string;
    before(async () => {
      r = await resourcesOf(stack);
      auditKeyArn = r.one(T.key, "audit-key").rawOutputs.arn as string;
      alertKeyArn = r.one(T.key, "alert-key").rawOutputs.arn as string;
      topicArn = r.one(T.topic, "tamper-alerting-topic").rawOutputs.arn as string;
      dlqArn = r.one(T.queue, "tamper-alerting-dlq").rawOutputs.arn as string;
    });

    describe("tamper rules (E8)", () => {
      it("watches the trail operations, on this trail only", () => {
        const p = pattern(r, "tamper-alerting-cloudtrail");
        assert.deepEqual(p.source, ["aws.cloudtrail"]);
        assert.deepEqual(p["detail-type"], ["AWS API Call via CloudTrail"]);
        assert.deepEqual(p.detail.eventSource, ["cloudtrail.amazonaws.com"]);
        assert.deepEqual(p.detail.eventName, ["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "PutInsightSelectors"]);
        // StopLogging/DeleteTrail/UpdateTrail record `name`; PutEventSelectors/PutInsightSelectors `trailName`.
        assert.deepEqual(p.detail.$or, [
          { requestParameters: { name: [`audit-trail-${stack}`, trailArn] } },
          { requestParameters: { trailName: [`audit-trail-${stack}`, trailArn] } },
        ]);
      });
      it("watches the key operations, on the estate's keys only", () => {
        const p = pattern(r, "tamper-alerting-kms");
        assert.deepEqual(p.source, ["aws.kms"]);
        assert.deepEqual(p.detail.eventName, ["DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy", "DisableKeyRotation"]);
        assert.deepEqual(p.detail.resources.ARN, [auditKeyArn, alertKeyArn, r.one(T.key, "backup-data-key").rawOutputs.arn]);
      });
      it("watches the bucket operations, on the estate's buckets only", () => {
        const p = pattern(r, "tamper-alerting-s3");
        assert.deepEqual(p.source, ["aws.s3"]);
        assert.deepEqual(p.detail.eventName, [
          "PutObjectLockConfiguration", "DeleteBucketPolicy", "PutBucketPolicy", "PutBucketLifecycle", "PutBucketVersioning", "DeleteBucket",
          "DeletePublicAccessBlock", "PutBucketPublicAccessBlock", "PutBucketEncryption", "DeleteBucketEncryption", "PutBucketLogging",
        ]);
        assert.deepEqual(p.detail.requestParameters.bucketName, [logBucket, accessBucket, dataBucket]);
      });
      it("watches any AccessDenied on the log bucket", () => {
        const p = pattern(r, "tamper-alerting-log-bucket-access-denied");
        assert.deepEqual(p.detail.errorCode, ["AccessDenied"]);
        assert.deepEqual(p.detail.requestParameters.bucketName, [logBucket]);
      });
      it("watches attempts to silence the alert path itself: the estate's rules, topic, log groups, alarms, Config", () => {
        const p = pattern(r, "tamper-alerting-alert-path");
        assert.deepEqual(p.source, ["aws.events", "aws.sns", "aws.logs", "aws.cloudwatch", "aws.config"]);
        for (const name of ["DisableRule", "DeleteRule", "RemoveTargets", "DeleteTopic", "SetTopicAttributes", "Unsubscribe", "DeleteLogGroup", "PutRetentionPolicy", "DeleteMetricFilter", "DeleteAlarms", "DisableAlarmActions", "StopConfigurationRecorder"]) {
          assert.ok(p.detail.eventName.includes(name), name);
        }
        assert.deepEqual(p.detail.$or[0], { requestParameters: { name: [{ prefix: `audit-${stack}-` }] } });
        assert.deepEqual(p.detail.$or[5], { requestParameters: { alarmNames: [{ prefix: `audit-${stack}-` }] } });
      });
      it("sends every rule to the alert topic, keeping failed deliveries in the DLQ", () => {
        const rules = r.ofType(T.rule).filter((x) => x.name.startsWith("tamper-alerting-"));
        assert.equal(rules.length, 5);
        for (const rule of rules) {
          const target = r.one(T.target, rule.name).inputs;
          assert.equal(target.arn, topicArn, rule.name);
          assert.equal(target.deadLetterConfig.arn, dlqArn, rule.name);
          assert.equal(target.retryPolicy.maximumRetryAttempts, 185);
          assert.match(rule.inputs.name, new RegExp(`^audit-${stack}-tamper-`));
        }
      });
      it("does not filter deployer roles away: the notifier records routine operations itself", () => {
        for (const rule of r.ofType(T.rule).filter((x) => x.name.startsWith("tamper-alerting-"))) {
          assert.ok(!rule.inputs.eventPattern.includes("sessionIssuer"), rule.name);
        }
      });
    });

    describe("alert path (E8)", () => {
      it("encrypts the topic with the alert key, not the audit key (a disabled audit key must still be alerted), the DLQ with SSE-SQS; the DLQ keeps 14 days", () => {
        assert.notEqual(alertKeyArn, auditKeyArn);
        assert.equal(r.one(T.topic, "tamper-alerting-topic").inputs.kmsMasterKeyId, alertKeyArn);
        // SSE-SQS: if the alert key is disabled, the queue must still accept what the topic refuses.
        const q = r.one(T.queue, "tamper-alerting-dlq").inputs;
        assert.equal(q.sqsManagedSseEnabled, true);
        assert.equal(q.kmsMasterKeyId, undefined);
        const key = r.one(T.key, "alert-key");
        assert.equal(key.inputs.enableKeyRotation, true);
        assert.equal(key.protect, stack !== "dev");
        assert.equal(q.messageRetentionSeconds, 1209600);
      });
      it("lets only this estate's rules and this account's alarms publish, over TLS", () => {
        const policy = r.one(T.topicPolicy, "tamper-alerting-topic-policy").inputs.policy;
        const events = statement(policy, "EventBridgeRulesOfThisEstate");
        assert.deepEqual(events.Principal, { Service: "events.amazonaws.com" });
        assert.equal(events.Condition?.ArnLike["aws:SourceArn"], `arn:aws:events:${REGION}:${ACCOUNT}:rule/audit-${stack}-*`);
        assert.equal(statement(policy, "CloudWatchAlarmsOfThisAccount").Condition?.StringEquals["aws:SourceAccount"], ACCOUNT);
        assert.equal(statement(policy, "DenyInsecureTransport").Effect, "Deny");
      });
      it("lets EventBridge and SNS put failed deliveries in the DLQ, bound to their sources", () => {
        const policy = r.one(T.queuePolicy, "tamper-alerting-dlq-policy").inputs.policy;
        assert.equal(statement(policy, "SnsSubscriptionFailures").Condition?.ArnEquals["aws:SourceArn"], topicArn);
        assert.equal(statement(policy, "EventBridgeTargetFailures").Condition?.ArnLike["aws:SourceArn"], `arn:aws:events:${REGION}:${ACCOUNT}:rule/audit-${stack}-*`);
      });
      it("lets alarms and EventBridge use the alert key for the alert topic only (SNS encryption context), and not the audit key", () => {
        const auditSids = statements(r.one(T.key, "audit-key").inputs.policy).map((x) => x.Sid);
        assert.ok(!auditSids.includes("AllowCloudWatchAlarmsToPublish") && !auditSids.includes("AllowEventBridgeRulesToPublish"));
        const policy = r.one(T.key, "alert-key").inputs.policy;
        const s = statement(policy, "AllowCloudWatchAlarmsToPublish");
        assert.deepEqual(s.Principal, { Service: "cloudwatch.amazonaws.com" });
        assert.equal(s.Condition?.StringEquals["aws:SourceAccount"], ACCOUNT);
        assert.equal(s.Condition?.StringEquals["kms:EncryptionContext:aws:sns:topicArn"], topicArn);
        // EventBridge sends no aws:SourceAccount to KMS; SNS's encryption context binds it to the topic.
        const eb = statement(policy, "AllowEventBridgeRulesToPublish");
        assert.deepEqual(eb.Principal, { Service: "events.amazonaws.com" });
        assert.deepEqual(asList(eb.Action).sort(), ["kms:Decrypt", "kms:GenerateDataKey*"]);
        assert.deepEqual(eb.Condition, { StringEquals: { "kms:EncryptionContext:aws:sns:topicArn": topicArn } });
        // No grant to SNS itself: the DLQ is SSE-SQS.
        assert.ok(!JSON.stringify(statements(policy)).includes("sns.amazonaws.com"));
      });
      it(`runs the notifier (nodejs22.x, arm64, esbuild bundle) for #${CHANNEL[stack]}`, () => {
        const fn = r.one(T.fn, "tamper-alerting-notifier");
        assert.equal(fn.inputs.runtime, "nodejs22.x");
        assert.deepEqual(fn.inputs.architectures, ["arm64"]);
        assert.equal(fn.inputs.handler, "index.handler");
        assert.equal(fn.inputs.kmsKeyArn, alertKeyArn);
        const env = fn.inputs.environment.variables;
        assert.equal(env.SLACK_CHANNEL, CHANNEL[stack]);
        assert.equal(env.ENVIRONMENT, stack);
        assert.equal(env.DEPLOYER_ROLE_ARNS, "[]");
        assert.equal(env.SLACK_WEBHOOK_SECRET_ARN, r.one(T.secret, "tamper-alerting-slack-webhook").rawOutputs.arn);
        assert.ok(!JSON.stringify(env).includes("hooks.slack.com"), "the webhook URL is never in the environment");
        const code = fn.rawInputs.code as any;
        assert.ok(code && JSON.stringify(code).includes("index.js"), "code is an archive with index.js");
      });
      it("keeps the webhook secret encrypted with the alert key", () => {
        assert.equal(r.one(T.secret, "tamper-alerting-slack-webhook").inputs.kmsKeyId, alertKeyArn);
      });
      it("subscribes the notifier with a redrive policy, retries twice, then keeps the event in the DLQ", () => {
        const sub = r.ofType(T.subscription).find((s) => s.name === "tamper-alerting-notifier-subscription")!.inputs;
        assert.equal(sub.protocol, "lambda");
        assert.equal(JSON.parse(sub.redrivePolicy).deadLetterTargetArn, dlqArn);
        const cfg = r.one(T.invokeConfig, "tamper-alerting-notifier-on-failure").inputs;
        assert.equal(cfg.maximumRetryAttempts, 2);
        assert.equal(cfg.destinationConfig.onFailure.destination, dlqArn);
        const perm = r.one(T.permission, "tamper-alerting-notifier-from-sns").inputs;
        assert.equal(perm.principal, "sns.amazonaws.com");
        assert.equal(perm.sourceArn, topicArn);
      });
      it("gives the notifier only its secret, its DLQ and the key through those services", () => {
        const policy = r.one(T.rolePolicy, "tamper-alerting-notifier-policy").inputs.policy;
        const secretArn = r.one(T.secret, "tamper-alerting-slack-webhook").rawOutputs.arn;
        assert.deepEqual(statement(policy, "ReadWebhookSecret").Resource, secretArn);
        assert.equal(statement(policy, "ReadWebhookSecret").Action, "secretsmanager:GetSecretValue");
        assert.deepEqual(statement(policy, "KeepFailedDeliveries").Resource, dlqArn);
        const kms = statement(policy, "DecryptWebhookSecretThroughSecretsManager");
        assert.equal(kms.Action, "kms:Decrypt");
        assert.deepEqual(asList(kms.Condition?.StringEquals["kms:ViaService"]), [`secretsmanager.${REGION}.amazonaws.com`]);
        const env = statement(policy, "DecryptOwnEnvironment");
        assert.deepEqual(asList(env.Resource), [alertKeyArn]);
        assert.equal(env.Condition?.StringEquals["kms:EncryptionContext:aws:lambda:FunctionArn"], `arn:aws:lambda:${REGION}:${ACCOUNT}:function:audit-${stack}-audit-notifier`);
        assert.deepEqual(statements(policy).map((s) => s.Sid), ["DecryptOwnEnvironment", "WriteOwnLogs", "ReadWebhookSecret", "KeepFailedDeliveries", "DecryptWebhookSecretThroughSecretsManager"]);
      });
      it("alarms as soon as one alert waits in the DLQ", () => {
        const a = r.one(T.alarm, "tamper-alerting-dlq-depth").inputs;
        assert.equal(a.namespace, "AWS/SQS");
        assert.equal(a.metricName, "ApproximateNumberOfMessagesVisible");
        assert.equal(a.dimensions.QueueName, `audit-${stack}-audit-alerts-dlq`);
        assert.equal(a.threshold, 1);
        assert.equal(a.comparisonOperator, "GreaterThanOrEqualToThreshold");
        assert.deepEqual(a.alarmActions, [topicArn]);
      });
    });

    describe("burst alarms (E9)", () => {
      const expected: [string, RegExp, number | "auth" | "denied", string][] = [
        ["auth-failures", /\$\.eventName = ConsoleLogin\) && \(\$\.errorMessage = "Failed authentication"\).*sts\.amazonaws\.com.*cognito-idp\.amazonaws\.com/, "auth", "CIS 4.6 / CloudWatch.6"],
        ["access-denied", /\$\.errorCode = "\*UnauthorizedOperation"\) \|\| \(\$\.errorCode = "AccessDenied\*"\)/, "denied", "CIS 4.1 / CloudWatch.2"],
        ["console-login-without-mfa", /MFAUsed != "Yes"/, 1, "CIS 4.2 / CloudWatch.3"],
        ["root-account-use", /\$\.userIdentity\.type = "Root" && \$\.userIdentity\.invokedBy NOT EXISTS/, 1, "CIS 4.3 / CloudWatch.1"],
        ["iam-policy-changes", /\$\.eventName=PutRolePolicy.*\$\.eventName=AttachRolePolicy/, 1, "CIS 4.4 / CloudWatch.4"],
        ["security-group-changes", /AuthorizeSecurityGroupIngress.*RevokeSecurityGroupEgress/, 1, "CIS 4.10 / CloudWatch.10"],
        ["nacl-changes", /CreateNetworkAclEntry.*ReplaceNetworkAclAssociation/, 1, "CIS 4.11 / CloudWatch.11"],
      ];
      for (const [id, pat, threshold, control] of expected) {
        it(`${id}: filter on the trail's log group, alarm to the topic [${control}]`, () => {
          const filter = r.one(T.filter, `anomaly-alarms-${id}`).inputs;
          assert.equal(filter.logGroupName, `/aws/cloudtrail/audit-trail-${stack}`);
          assert.match(filter.pattern, pat);
          assert.equal(filter.metricTransformation.namespace, `AuditTrail/${stack}`);
          assert.equal(filter.metricTransformation.value, "1");
          const alarm = r.one(T.alarm, `anomaly-alarms-${id}`).inputs;
          assert.equal(alarm.metricName, filter.metricTransformation.name);
          assert.equal(alarm.namespace, `AuditTrail/${stack}`);
          assert.equal(alarm.statistic, "Sum");
          assert.equal(alarm.period, 300);
          const want = threshold === "auth" ? THRESHOLDS[stack].auth : threshold === "denied" ? THRESHOLDS[stack].denied : threshold;
          assert.equal(alarm.threshold, want);
          assert.equal(alarm.comparisonOperator, "GreaterThanOrEqualToThreshold");
          assert.equal(alarm.treatMissingData, "notBreaching");
          assert.deepEqual(alarm.alarmActions, [topicArn]);
          assert.ok(alarm.alarmDescription.includes(`[${control}]`), alarm.alarmDescription);
        });
      }
      it("names the root-use alarm so the notifier ranks it critical", () => {
        assert.match(r.one(T.alarm, "anomaly-alarms-root-account-use").inputs.name, /root/);
      });
    });

    if (stack === "dev") {
      it("runs without the posture services in dev (001: optional there)", () => {
        for (const type of [T.recorder, T.configRule, "aws:guardduty/detector:Detector", "aws:securityhub/account:Account", "aws:inspector2/enabler:Enabler", "aws:accessanalyzer/analyzer:Analyzer"]) {
          assert.equal(r.ofType(type).length, 0, type);
        }
      });
    } else {
      describe("posture (E10)", () => {
        const configBucket = `audit-config-${stack}-${ACCOUNT}-${REGION}`;
        it("records every resource type, global ones in the home region, into its own bucket (not the locked one)", () => {
          const rec = r.one(T.recorder, "security-posture-recorder").inputs;
          assert.equal(rec.recordingGroup.allSupported, true);
          assert.equal(rec.recordingGroup.includeGlobalResourceTypes, true);
          const ch = r.one(T.delivery, "security-posture-delivery").inputs;
          assert.equal(ch.s3BucketName, configBucket);
          assert.equal(ch.s3KmsKeyArn, auditKeyArn);
          const b = r.one(T.bucket, "security-posture-config-bucket").inputs;
          assert.notEqual(b.objectLockEnabled, true);
          assert.notEqual(configBucket, logBucket);
        });
        it("encrypts and blocks public access on the Config bucket", () => {
          const sse = r.forBucket("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", configBucket).inputs.rules[0];
          assert.equal(sse.applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
          const pab = r.forBucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", configBucket).inputs;
          assert.deepEqual([pab.blockPublicAcls, pab.blockPublicPolicy, pab.ignorePublicAcls, pab.restrictPublicBuckets], [true, true, true, true]);
        });
        const rules: [string, string, Record<string, string> | undefined, string | undefined][] = [
          ["cloud-trail-log-file-validation-enabled", "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED", undefined, undefined],
          ["multi-region-cloudtrail-enabled", "MULTI_REGION_CLOUD_TRAIL_ENABLED", undefined, undefined],
          ["cloud-trail-encryption-enabled", "CLOUD_TRAIL_ENCRYPTION_ENABLED", undefined, undefined],
          ["cloudtrail-s3-dataevents-enabled", "CLOUDTRAIL_S3_DATAEVENTS_ENABLED", { S3BucketNames: dataBucket }, undefined],
          ["s3-bucket-default-lock-enabled", "S3_BUCKET_DEFAULT_LOCK_ENABLED", { mode: "COMPLIANCE" }, logBucket],
          ["s3-bucket-level-public-access-prohibited", "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED", undefined, undefined],
          ["s3-default-encryption-kms", "S3_DEFAULT_ENCRYPTION_KMS", { kmsKeyArns: "AUDIT_KEY" }, logBucket],
          ["s3-bucket-versioning-enabled", "S3_BUCKET_VERSIONING_ENABLED", undefined, undefined],
          ["cmk-backing-key-rotation-enabled", "CMK_BACKING_KEY_ROTATION_ENABLED", undefined, undefined],
          ["cw-loggroup-retention-period-check", "CW_LOGGROUP_RETENTION_PERIOD_CHECK", { LogGroupNames: `/aws/cloudtrail/audit-trail-${stack}`, MinRetentionTime: stack === "prd" ? "400" : "365" }, undefined],
          ["s3-bucket-public-read-prohibited", "S3_BUCKET_PUBLIC_READ_PROHIBITED", undefined, undefined],
        ];
        for (const [name, identifier, params, scopedBucket] of rules) {
          it(`Config rule ${name} (${identifier})`, () => {
            const rule = r.one(T.configRule, `security-posture-${name}`).inputs;
            assert.equal(rule.source.owner, "AWS");
            assert.equal(rule.source.sourceIdentifier, identifier);
            const want = params && Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v === "AUDIT_KEY" ? auditKeyArn : v]));
            assert.deepEqual(rule.inputParameters ? JSON.parse(rule.inputParameters) : undefined, want);
            assert.equal(rule.scope?.complianceResourceId, scopedBucket);
          });
        }
        it("notifies Config non-compliance of the estate's rules through the alert path", () => {
          const p = pattern(r, "security-posture-config-noncompliant");
          assert.deepEqual(p["detail-type"], ["Config Rules Compliance Change"]);
          assert.deepEqual(p.detail.newEvaluationResult.complianceType, ["NON_COMPLIANT"]);
          assert.equal(p.detail.configRuleName.length, 11);
          assert.ok(p.detail.configRuleName.every((n: string) => n.startsWith(`audit-${stack}-`)));
          const target = r.one(T.target, "security-posture-config-noncompliant").inputs;
          assert.equal(target.arn, topicArn);
          assert.equal(target.deadLetterConfig.arn, dlqArn);
        });
        it("enables GuardDuty with S3 protection, Security Hub with FSBP and CIS, Inspector for Lambda, Access Analyzer", () => {
          assert.equal(r.one("aws:guardduty/detector:Detector", "security-posture-guardduty").inputs.enable, true);
          const feature = r.one("aws:guardduty/detectorFeature:DetectorFeature", "security-posture-guardduty-s3").inputs;
          assert.deepEqual([feature.name, feature.status], ["S3_DATA_EVENTS", "ENABLED"]);
          const standards = r.ofType("aws:securityhub/standardsSubscription:StandardsSubscription").map((s) => s.inputs.standardsArn).sort();
          assert.deepEqual(standards, [
            `arn:aws:securityhub:${REGION}::standards/aws-foundational-security-best-practices/v/1.0.0`,
            `arn:aws:securityhub:${REGION}::standards/cis-aws-foundations-benchmark/v/3.0.0`,
          ]);
          assert.deepEqual(r.one("aws:inspector2/enabler:Enabler", "security-posture-inspector").inputs.resourceTypes, ["LAMBDA"]);
          assert.equal(r.one("aws:accessanalyzer/analyzer:Analyzer", "security-posture-access-analyzer").inputs.type, "ACCOUNT");
        });
      });
    }
  });
}

describe("alerting options", () => {
  it("stores the Slack webhook as a Pulumi secret in Secrets Manager, never in plain text", async () => {
    const r = await resourcesOf("prd", { [`${P}:slackWebhookUrl`]: "https://hooks.slack.com/services/T000/B000/XXXX" });
    const v = r.one(T.secretVersion, "tamper-alerting-slack-webhook-value");
    // The engine receives the value wrapped as a secret (the SDK's secret signature).
    assert.equal((v.rawInputs.secretString as any)["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
    assert.equal((v.rawInputs.secretString as any).value, "https://hooks.slack.com/services/T000/B000/XXXX");
    const fn = r.one(T.fn, "tamper-alerting-notifier");
    assert.ok(!JSON.stringify(fn.rawInputs).includes("hooks.slack.com"));
  });
  it("chatbot delivery replaces the notifier Lambda with AWS Chatbot on the same topic", async () => {
    const r = await resourcesOf("prd", { [`${P}:slackDelivery`]: "chatbot", [`${P}:chatbotSlackTeamId`]: "T0123ABCD", [`${P}:chatbotSlackChannelId`]: "C0123ABCD" });
    assert.equal(r.ofType(T.fn).filter((f) => f.name === "tamper-alerting-notifier").length, 0);
    const cb = r.one(T.chatbot, "tamper-alerting-chatbot").inputs;
    assert.deepEqual(cb.snsTopicArns, [r.one(T.topic, "tamper-alerting-topic").rawOutputs.arn]);
    assert.deepEqual([cb.slackTeamId, cb.slackChannelId], ["T0123ABCD", "C0123ABCD"]);
  });
  it("e-mail addresses are subscribed beside Slack, so alerts arrive while Slack is down", async () => {
    const r = await resourcesOf("prd", { [`${P}:alertEmailAddresses`]: JSON.stringify(["soc@example.org"]) });
    const sub = r.one(T.subscription, "tamper-alerting-email-0").inputs;
    assert.deepEqual([sub.protocol, sub.endpoint], ["email", "soc@example.org"]);
  });
  it("a posture service can be switched off where the organisation runs it centrally", async () => {
    const r = await resourcesOf("prd", { [`${P}:enableGuardDuty`]: "false", [`${P}:enableSecurityHub`]: "false" });
    assert.equal(r.ofType("aws:guardduty/detector:Detector").length, 0);
    assert.equal(r.ofType("aws:securityhub/account:Account").length, 0);
    assert.equal(r.ofType(T.recorder).length, 1);
  });
});
