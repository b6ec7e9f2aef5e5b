// E8, E9, E10 under the mocked runtime with the real stack files: the tamper rules' names, sources,
// states and targets (their behaviour on real CloudTrail records: tamper-rules.test.ts); the alert
// delivery (KMS topic, notifier, DLQ at every hop, the out-of-band topic and key); the burst and CIS
// alarms with their metric, threshold, action and control; the posture services per stack.
import { strict as assert } from "assert";
import { MOCK_ACCOUNT_ID } from "../../offline/mocks";
import { TAMPER_CATALOGUE } from "../../policy/lib/tamper-events";
import { asList, resourcesOf, Resources, statement, statements, STACKS } from "../support/estate";
import { ALERT_EMAIL, SHARED_OPTIONS, SLACK_WEBHOOK_URL } from "./shared-options";

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

  describe(`alerting and posture, stack ${stack}`, () => {
    let r: Resources;
    let auditKeyArn: string;
    let alertKeyArn: string;
    let topicArn: string;
    let outOfBandArn: string;
    let outOfBandKeyArn: string;
    let dlqArn: string;
    before(async () => {
      r = await resourcesOf(stack);
      auditKeyArn = r.one(T.key, "audit-key").rawOutputs.arn as string;
      alertKeyArn = r.one(T.key, "alert-key").rawOutputs.arn as string;
      topicArn = r.one(T.topic, "alert-delivery-topic").rawOutputs.arn as string;
      outOfBandArn = r.one(T.topic, "alert-delivery-out-of-band-topic").rawOutputs.arn as string;
      outOfBandKeyArn = r.one(T.key, "out-of-band-key").rawOutputs.arn as string;
      dlqArn = r.one(T.queue, "alert-delivery-dlq").rawOutputs.arn as string;
    });

    describe("tamper rules (E8): shape (behaviour on real records: tamper-rules.test.ts)", () => {
      it("takes every event name from the one catalogue, each spelling included", () => {
        const names = (n: string) => pattern(r, n).detail.eventName;
        assert.deepEqual(names("tamper-rules-trail"), ["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "PutInsightSelectors"]);
        assert.deepEqual(names("tamper-rules-key"), ["DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy", "DisableKeyRotation"]);
        for (const spelling of [
          "PutObjectLockConfiguration",
          "PutBucketObjectLockConfiguration",
          "PutBucketLifecycle",
          "PutBucketLifecycleConfiguration",
          "DeleteBucketPublicAccessBlock",
          "DeletePublicAccessBlock",
        ]) {
          assert.ok(names("tamper-rules-bucket").includes(spelling), spelling);
        }
        assert.deepEqual(
          [...names("tamper-rules-trail"), ...names("tamper-rules-key"), ...names("tamper-rules-bucket"), ...names("tamper-rules-alert-path")].sort(),
          TAMPER_CATALOGUE.flatMap((op) => [...op.spellings]).sort(),
        );
      });
      it("CloudWatch's API calls are matched as source aws.monitoring, not aws.cloudwatch", () => {
        const p = pattern(r, "tamper-rules-alert-path");
        assert.deepEqual(p.source, ["aws.events", "aws.sns", "aws.logs", "aws.monitoring", "aws.config"]);
        assert.ok(!p.source.includes("aws.cloudwatch"));
      });
      it("pins every rule to this account", () => {
        for (const rule of r.ofType(T.rule).filter((x) => x.name.startsWith("tamper-rules-"))) {
          assert.deepEqual(JSON.parse(rule.inputs.eventPattern).account, [ACCOUNT], rule.name);
        }
      });
      it("only the log-bucket access-denied rule sees read-only management events (cost)", () => {
        const states = Object.fromEntries(
          r
            .ofType(T.rule)
            .filter((x) => x.name.startsWith("tamper-rules-"))
            .map((x) => [x.name, x.inputs.state]),
        );
        assert.deepEqual(states, {
          "tamper-rules-trail": "ENABLED",
          "tamper-rules-key": "ENABLED",
          "tamper-rules-bucket": "ENABLED",
          "tamper-rules-alert-path": "ENABLED",
          "tamper-rules-log-bucket-access-denied": "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
        });
      });
      it("keeps the physical rule names deployed before the rename (no replacement)", () => {
        const names = r
          .ofType(T.rule)
          .filter((x) => x.name.startsWith("tamper-rules-"))
          .map((x) => x.inputs.name)
          .sort();
        assert.deepEqual(
          names,
          ["alert-path", "cloudtrail", "kms", "log-bucket-access-denied", "s3"].map((k) => `audit-${stack}-tamper-${k}`),
        );
      });
      it("sends every rule to the alert topic, keys and alert path also out of band, failed deliveries to the DLQ", () => {
        const rules = r.ofType(T.rule).filter((x) => x.name.startsWith("tamper-rules-"));
        assert.equal(rules.length, 5);
        for (const rule of rules) {
          const targets = r.ofType(T.target).filter((t) => t.name === rule.name || t.name === `${rule.name}-out-of-band`);
          const want = rule.name === "tamper-rules-key" || rule.name === "tamper-rules-alert-path" ? [topicArn, outOfBandArn] : [topicArn];
          assert.deepEqual(targets.map((t) => t.inputs.arn).sort(), want.sort(), rule.name);
          for (const t of targets) {
            assert.equal(t.inputs.deadLetterConfig.arn, dlqArn, t.name);
            assert.equal(t.inputs.retryPolicy.maximumRetryAttempts, 185);
          }
        }
      });
      it("does not filter deployer roles away: the notifier decides what is routine", () => {
        for (const rule of r.ofType(T.rule).filter((x) => x.name.startsWith("tamper-rules-"))) {
          assert.ok(!rule.inputs.eventPattern.includes("sessionIssuer"), rule.name);
        }
      });
      it("every registered pattern fits EventBridge's default 2048-character quota", () => {
        for (const rule of r.ofType(T.rule)) assert.ok(rule.inputs.eventPattern.length <= 2048, `${rule.name}: ${rule.inputs.eventPattern.length}`);
      });
    });

    describe("out of band (E8, issue 10)", () => {
      it("a second topic under a key of its own, neither the alert key nor the AWS managed key", () => {
        const t = r.one(T.topic, "alert-delivery-out-of-band-topic").inputs;
        assert.equal(t.name, `audit-${stack}-audit-alerts-out-of-band`);
        assert.equal(t.kmsMasterKeyId, outOfBandKeyArn);
        assert.ok(![alertKeyArn, auditKeyArn].includes(outOfBandKeyArn));
        assert.ok(!String(t.kmsMasterKeyId).includes("alias/aws/sns"));
        assert.equal(r.one(T.key, "out-of-band-key").inputs.enableKeyRotation, true);
      });
      it("its key serves alarms and the estate's rules for that topic only", () => {
        const policy = r.one(T.key, "out-of-band-key").inputs.policy;
        const topic = `arn:aws:sns:${REGION}:${ACCOUNT}:audit-${stack}-audit-alerts-out-of-band`;
        const alarms = statement(policy, "AlarmsOfThisAccountPublish");
        assert.deepEqual(alarms.Principal, { Service: "cloudwatch.amazonaws.com" });
        assert.equal(alarms.Condition?.StringEquals["aws:SourceAccount"], ACCOUNT);
        assert.equal(alarms.Condition?.StringEquals["kms:EncryptionContext:aws:sns:topicArn"], topic);
        const rules = statement(policy, "EstateRulesPublish");
        assert.deepEqual(rules.Principal, { Service: "events.amazonaws.com" });
        assert.equal(rules.Condition?.StringEquals["kms:EncryptionContext:aws:sns:topicArn"], topic);
        assert.equal(outOfBandArn, topic);
      });
      it("the DLQ-depth alarm reports out of band first, and to the alert topic", () => {
        assert.deepEqual(r.one(T.alarm, "alert-delivery-dlq-depth").inputs.alarmActions, [outOfBandArn, topicArn]);
      });
      it("the daily review reports out of band when it failed (its alert undeliverable) or did not run", () => {
        const failed = r.one(T.alarm, "daily-review-watch-failed").inputs;
        assert.deepEqual([failed.namespace, failed.metricName, failed.dimensions.FunctionName], ["AWS/Lambda", "Errors", `audit-${stack}-daily-review`]);
        assert.deepEqual([failed.threshold, failed.comparisonOperator, failed.treatMissingData], [1, "GreaterThanOrEqualToThreshold", "notBreaching"]);
        assert.deepEqual(failed.alarmActions, [outOfBandArn]);
        const notRun = r.one(T.alarm, "daily-review-watch-not-run").inputs;
        assert.deepEqual(
          [notRun.metricName, notRun.period, notRun.threshold, notRun.comparisonOperator, notRun.treatMissingData],
          ["Invocations", 86400, 1, "LessThanThreshold", "breaching"],
        );
        assert.deepEqual(notRun.alarmActions, [outOfBandArn]);
      });
      it("lets only this estate's rules and this account's alarms publish to it, over TLS", () => {
        const policy = r.one(T.topicPolicy, "alert-delivery-out-of-band-topic-policy").inputs.policy;
        assert.equal(
          statement(policy, "EventBridgeRulesOfThisEstate").Condition?.ArnLike["aws:SourceArn"],
          `arn:aws:events:${REGION}:${ACCOUNT}:rule/audit-${stack}-*`,
        );
        assert.equal(statement(policy, "CloudWatchAlarmsOfThisAccount").Condition?.StringEquals["aws:SourceAccount"], ACCOUNT);
        assert.equal(statement(policy, "DenyInsecureTransport").Effect, "Deny");
      });
    });

    describe("alert path (E8)", () => {
      it("encrypts the topic with the alert key, not the audit key (a disabled audit key must still be alerted), the DLQ with SSE-SQS; the DLQ keeps 14 days", () => {
        assert.notEqual(alertKeyArn, auditKeyArn);
        assert.equal(r.one(T.topic, "alert-delivery-topic").inputs.kmsMasterKeyId, alertKeyArn);
        // SSE-SQS: if the alert key is disabled, the queue must still accept what the topic refuses.
        const q = r.one(T.queue, "alert-delivery-dlq").inputs;
        assert.equal(q.sqsManagedSseEnabled, true);
        assert.equal(q.kmsMasterKeyId, undefined);
        const key = r.one(T.key, "alert-key");
        assert.equal(key.inputs.enableKeyRotation, true);
        assert.equal(key.protect, stack !== "dev");
        assert.equal(q.messageRetentionSeconds, 1209600);
      });
      it("lets only this estate's rules and this account's alarms publish, over TLS", () => {
        const policy = r.one(T.topicPolicy, "alert-delivery-topic-policy").inputs.policy;
        const events = statement(policy, "EventBridgeRulesOfThisEstate");
        assert.deepEqual(events.Principal, { Service: "events.amazonaws.com" });
        assert.equal(events.Condition?.ArnLike["aws:SourceArn"], `arn:aws:events:${REGION}:${ACCOUNT}:rule/audit-${stack}-*`);
        assert.equal(statement(policy, "CloudWatchAlarmsOfThisAccount").Condition?.StringEquals["aws:SourceAccount"], ACCOUNT);
        assert.equal(statement(policy, "DenyInsecureTransport").Effect, "Deny");
      });
      it("lets EventBridge and SNS put failed deliveries in the DLQ, bound to their sources", () => {
        const policy = r.one(T.queuePolicy, "alert-delivery-dlq-policy").inputs.policy;
        assert.equal(statement(policy, "SnsSubscriptionFailures").Condition?.ArnEquals["aws:SourceArn"], topicArn);
        assert.equal(
          statement(policy, "EventBridgeTargetFailures").Condition?.ArnLike["aws:SourceArn"],
          `arn:aws:events:${REGION}:${ACCOUNT}:rule/audit-${stack}-*`,
        );
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
        const fn = r.one(T.fn, "alert-delivery-notifier");
        assert.equal(fn.inputs.runtime, "nodejs22.x");
        assert.deepEqual(fn.inputs.architectures, ["arm64"]);
        assert.equal(fn.inputs.handler, "index.handler");
        assert.equal(fn.inputs.kmsKeyArn, alertKeyArn);
        const env = fn.inputs.environment.variables;
        assert.equal(env.SLACK_CHANNEL, CHANNEL[stack]);
        assert.equal(env.ENVIRONMENT, stack);
        assert.equal(env.DEPLOYER_ROLE_ARNS, "[]");
        assert.equal(env.SLACK_WEBHOOK_SECRET_ARN, r.one(T.secret, "alert-delivery-slack-webhook").rawOutputs.arn);
        assert.ok(!JSON.stringify(env).includes("hooks.slack.com"), "the webhook URL is never in the environment");
        const code = fn.rawInputs.code as any;
        assert.ok(code && JSON.stringify(code).includes("index.js"), "code is an archive with index.js");
      });
      it("keeps the webhook secret encrypted with the alert key", () => {
        assert.equal(r.one(T.secret, "alert-delivery-slack-webhook").inputs.kmsKeyId, alertKeyArn);
      });
      it("subscribes the notifier with a redrive policy, retries twice, then keeps the event in the DLQ", () => {
        const sub = r.ofType(T.subscription).find((s) => s.name === "alert-delivery-notifier-subscription")!.inputs;
        assert.equal(sub.protocol, "lambda");
        assert.equal(JSON.parse(sub.redrivePolicy).deadLetterTargetArn, dlqArn);
        const cfg = r.one(T.invokeConfig, "alert-delivery-notifier-on-failure").inputs;
        assert.equal(cfg.maximumRetryAttempts, 2);
        assert.equal(cfg.destinationConfig.onFailure.destination, dlqArn);
        const perm = r.one(T.permission, "alert-delivery-notifier-from-sns").inputs;
        assert.equal(perm.principal, "sns.amazonaws.com");
        assert.equal(perm.sourceArn, topicArn);
      });
      it("gives the notifier only its secret, its DLQ and the key through those services", () => {
        const policy = r.one(T.rolePolicy, "alert-delivery-notifier-policy").inputs.policy;
        const secretArn = r.one(T.secret, "alert-delivery-slack-webhook").rawOutputs.arn;
        assert.deepEqual(statement(policy, "ReadWebhookSecret").Resource, secretArn);
        assert.equal(statement(policy, "ReadWebhookSecret").Action, "secretsmanager:GetSecretValue");
        assert.deepEqual(statement(policy, "KeepFailedDeliveries").Resource, dlqArn);
        const kms = statement(policy, "DecryptWebhookSecretThroughSecretsManager");
        assert.equal(kms.Action, "kms:Decrypt");
        assert.deepEqual(asList(kms.Condition?.StringEquals["kms:ViaService"]), [`secretsmanager.${REGION}.amazonaws.com`]);
        const env = statement(policy, "DecryptOwnEnvironment");
        assert.deepEqual(asList(env.Resource), [alertKeyArn]);
        assert.equal(
          env.Condition?.StringEquals["kms:EncryptionContext:aws:lambda:FunctionArn"],
          `arn:aws:lambda:${REGION}:${ACCOUNT}:function:audit-${stack}-audit-notifier`,
        );
        assert.deepEqual(
          statements(policy).map((s) => s.Sid),
          ["DecryptOwnEnvironment", "WriteOwnLogs", "ReadWebhookSecret", "KeepFailedDeliveries", "DecryptWebhookSecretThroughSecretsManager"],
        );
      });
      it("alarms as soon as one alert waits in the DLQ", () => {
        const a = r.one(T.alarm, "alert-delivery-dlq-depth").inputs;
        assert.equal(a.namespace, "AWS/SQS");
        assert.equal(a.metricName, "ApproximateNumberOfMessagesVisible");
        assert.equal(a.dimensions.QueueName, `audit-${stack}-audit-alerts-dlq`);
        assert.equal(a.threshold, 1);
        assert.equal(a.comparisonOperator, "GreaterThanOrEqualToThreshold");
        assert.deepEqual(a.alarmActions, [outOfBandArn, topicArn]);
      });
    });

    describe("burst alarms (E9)", () => {
      // Behaviour on real records: tamper-rules.test.ts. Here: the wiring and the CIS labels.
      const expected: [string, RegExp, number | "auth" | "denied", string][] = [
        [
          "auth-failures",
          /\$\.eventName = ConsoleLogin\) && \(\$\.errorMessage = "Failed authentication"\).*sts\.amazonaws\.com.*cognito-idp\.amazonaws\.com.*CredentialVerification/,
          "auth",
          "001 No.29",
        ],
        [
          "access-denied",
          /\$\.errorCode = "\*UnauthorizedOperation"\) \|\| \(\$\.errorCode = "AccessDenied\*"\)/,
          "denied",
          "001 No.29; CIS v1.4.0 4.1 (CloudWatch.2 is CIS v1.2.0 3.1 only)",
        ],
        ["console-login-without-mfa", /MFAUsed != "Yes".*UserAuthentication/, 1, "CIS v1.4.0 4.2 (CloudWatch.3 is CIS v1.2.0 3.2 only)"],
        ["root-account-use", /\$\.userIdentity\.type = "Root" && \$\.userIdentity\.invokedBy NOT EXISTS/, 1, "CIS v1.4.0 4.3 / CloudWatch.1"],
        ["iam-policy-changes", /\$\.eventName=PutRolePolicy.*\$\.eventName=AttachRolePolicy/, 1, "CIS v1.4.0 4.4 / CloudWatch.4"],
        ["trail-configuration-changes", /\$\.eventName=StopLogging/, 1, "CIS v1.4.0 4.5 / CloudWatch.5"],
        [
          "console-auth-failures",
          /^\{\(\$\.eventName=ConsoleLogin\) && \(\$\.errorMessage="Failed authentication"\)\}$/,
          "auth",
          "CIS v1.4.0 4.6 / CloudWatch.6",
        ],
        ["cmk-disabled-or-deleted", /ScheduleKeyDeletion/, 1, "CIS v1.4.0 4.7 / CloudWatch.7"],
        ["bucket-policy-changes", /DeleteBucketReplication/, 1, "CIS v1.4.0 4.8 / CloudWatch.8"],
        ["config-changes", /StopConfigurationRecorder/, 1, "CIS v1.4.0 4.9 / CloudWatch.9"],
        ["security-group-changes", /AuthorizeSecurityGroupIngress.*RevokeSecurityGroupEgress/, 1, "CIS v1.4.0 4.10 / CloudWatch.10"],
        ["nacl-changes", /CreateNetworkAclEntry.*ReplaceNetworkAclAssociation/, 1, "CIS v1.4.0 4.11 / CloudWatch.11"],
        ["network-gateway-changes", /DetachInternetGateway/, 1, "CIS v1.4.0 4.12 / CloudWatch.12"],
        ["route-table-changes", /DisassociateRouteTable/, 1, "CIS v1.4.0 4.13 / CloudWatch.13"],
        ["vpc-changes", /EnableVpcClassicLink/, 1, "CIS v1.4.0 4.14 / CloudWatch.14"],
      ];
      it("watches every control of Security Hub's CIS v1.4.0 monitoring section (CloudWatch.1, .4-.14)", () => {
        const controls = r
          .ofType(T.alarm)
          .map((a) => /CloudWatch\.(\d+)\]/.exec(a.inputs.alarmDescription ?? "")?.[1])
          .filter((x) => x !== undefined)
          .map(Number)
          .sort((a, b) => a - b);
        assert.deepEqual(controls, [1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
      });
      for (const [id, pat, threshold, control] of expected) {
        it(`${id}: filter on the trail's log group, alarm to the topic [${control}]`, () => {
          const filter = r.one(T.filter, `anomaly-alarms-${id}`).inputs;
          assert.equal(filter.logGroupName, `/aws/cloudtrail/audit-trail-${stack}`);
          // PutMetricFilter: filterPattern is at most 1024 characters (CloudWatch Logs API reference).
          assert.ok(filter.pattern.length <= 1024, `${id}: ${filter.pattern.length}`);
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
        for (const type of [
          T.recorder,
          T.configRule,
          "aws:guardduty/detector:Detector",
          "aws:securityhub/account:Account",
          "aws:inspector2/enabler:Enabler",
          "aws:accessanalyzer/analyzer:Analyzer",
        ]) {
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
        const athenaBucket = `audit-athena-results-${stack}-${ACCOUNT}-${REGION}`;
        const rules: [string, string, Record<string, string> | undefined, string | undefined][] = [
          ["cloud-trail-log-file-validation-enabled", "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED", undefined, undefined],
          ["multi-region-cloudtrail-enabled", "MULTI_REGION_CLOUD_TRAIL_ENABLED", undefined, undefined],
          ["cloud-trail-encryption-enabled", "CLOUD_TRAIL_ENCRYPTION_ENABLED", undefined, undefined],
          ["cloudtrail-s3-dataevents-enabled", "CLOUDTRAIL_S3_DATAEVENTS_ENABLED", { S3BucketNames: dataBucket }, undefined],
          ["s3-bucket-default-lock-enabled", "S3_BUCKET_DEFAULT_LOCK_ENABLED", { mode: "COMPLIANCE" }, logBucket],
          ["s3-default-encryption-kms", "S3_DEFAULT_ENCRYPTION_KMS", { kmsKeyArns: "AUDIT_KEY" }, logBucket],
          [
            "cw-loggroup-retention-period-check",
            "CW_LOGGROUP_RETENTION_PERIOD_CHECK",
            { LogGroupNames: `/aws/cloudtrail/audit-trail-${stack}`, MinRetentionTime: stack === "prd" ? "400" : "365" },
            undefined,
          ],
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
        const estateBuckets = {
          "trail-logs": logBucket,
          "access-logs": accessBucket,
          "backup-data": dataBucket,
          "athena-results": athenaBucket,
          config: configBucket,
        };
        for (const [name, identifier] of [
          ["s3-bucket-versioning-enabled", "S3_BUCKET_VERSIONING_ENABLED"],
          ["s3-bucket-level-public-access-prohibited", "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED"],
          ["s3-bucket-public-read-prohibited", "S3_BUCKET_PUBLIC_READ_PROHIBITED"],
        ]) {
          it(`${identifier} evaluates the estate's own buckets only, one rule each`, () => {
            const found = r.ofType(T.configRule).filter((x) => x.inputs.source.sourceIdentifier === identifier);
            assert.deepEqual(
              Object.fromEntries(found.map((x) => [x.name.slice(`security-posture-${name}-`.length), x.inputs.scope.complianceResourceId])),
              estateBuckets,
            );
            for (const x of found) assert.deepEqual(x.inputs.scope.complianceResourceTypes, ["AWS::S3::Bucket"]);
          });
        }
        it("and the estate's own buckets pass them: each is versioned and blocks public access", () => {
          for (const bucket of Object.values(estateBuckets)) {
            assert.equal(r.forBucket("aws:s3/bucketVersioning:BucketVersioning", bucket).inputs.versioningConfiguration.status, "Enabled", bucket);
            const pab = r.forBucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket).inputs;
            assert.deepEqual([pab.blockPublicAcls, pab.blockPublicPolicy, pab.ignorePublicAcls, pab.restrictPublicBuckets], [true, true, true, true], bucket);
          }
        });
        it("key rotation is evaluated on the estate's keys only, and each rotates", () => {
          const found = r.ofType(T.configRule).filter((x) => x.inputs.source.sourceIdentifier === "CMK_BACKING_KEY_ROTATION_ENABLED");
          const keys = ["audit-key", "alert-key", "out-of-band-key", "backup-data-key"];
          assert.deepEqual(found.map((x) => x.name.replace("security-posture-cmk-backing-key-rotation-enabled-", "")).sort(), [...keys].sort());
          for (const k of keys) {
            const rule = found.find((x) => x.name.endsWith(`-${k}`))!;
            assert.deepEqual(rule.inputs.scope.complianceResourceTypes, ["AWS::KMS::Key"]);
            assert.equal(rule.inputs.scope.complianceResourceId, r.one(T.key, k).rawOutputs.keyId ?? r.one(T.key, k).rawOutputs.id);
            assert.equal(r.one(T.key, k).inputs.enableKeyRotation, true, k);
          }
        });
        it("no Config rule evaluates the whole account's buckets or keys", () => {
          for (const rule of r.ofType(T.configRule)) {
            if (/^S3_|^CMK_/.test(rule.inputs.source.sourceIdentifier)) assert.ok(rule.inputs.scope?.complianceResourceId, rule.name);
          }
        });
        it("notifies Config non-compliance of the estate's rules through the alert path", () => {
          const p = pattern(r, "security-posture-config-noncompliant");
          assert.deepEqual(p["detail-type"], ["Config Rules Compliance Change"]);
          assert.deepEqual(p.detail.newEvaluationResult.complianceType, ["NON_COMPLIANT"]);
          assert.deepEqual(p.detail.configRuleName, [{ prefix: `audit-${stack}-` }]);
          for (const rule of r.ofType(T.configRule)) assert.ok(rule.inputs.name.startsWith(`audit-${stack}-`), rule.inputs.name);
          const target = r.one(T.target, "security-posture-config-noncompliant").inputs;
          assert.equal(target.arn, topicArn);
          assert.equal(target.deadLetterConfig.arn, dlqArn);
        });
        it("sends GuardDuty, Security Hub, Inspector and Access Analyzer findings to the alert path", () => {
          for (const kind of ["guardduty", "securityhub", "inspector", "access-analyzer"]) {
            const target = r.one(T.target, `security-posture-${kind}-findings`).inputs;
            assert.equal(target.arn, topicArn, kind);
            assert.equal(target.deadLetterConfig.arn, dlqArn, kind);
          }
          assert.deepEqual(pattern(r, "security-posture-securityhub-findings").detail.findings.Severity.Label, ["HIGH", "CRITICAL"]);
        });
        it("enables GuardDuty with S3 protection, Security Hub with FSBP and CIS, Inspector for Lambda, Access Analyzer", () => {
          assert.equal(r.one("aws:guardduty/detector:Detector", "security-posture-guardduty").inputs.enable, true);
          const feature = r.one("aws:guardduty/detectorFeature:DetectorFeature", "security-posture-guardduty-s3").inputs;
          assert.deepEqual([feature.name, feature.status], ["S3_DATA_EVENTS", "ENABLED"]);
          const standards = r
            .ofType("aws:securityhub/standardsSubscription:StandardsSubscription")
            .map((s) => s.inputs.standardsArn)
            .sort();
          assert.deepEqual(standards, [
            `arn:aws:securityhub:${REGION}::standards/aws-foundational-security-best-practices/v/1.0.0`,
            // v1.4.0: the version whose monitoring controls (CloudWatch.x) the metric filters satisfy.
            `arn:aws:securityhub:${REGION}::standards/cis-aws-foundations-benchmark/v/1.4.0`,
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
    const r = await resourcesOf("prd", SHARED_OPTIONS);
    const v = r.one(T.secretVersion, "alert-delivery-slack-webhook-value");
    // The engine receives the value wrapped as a secret (the SDK's secret signature).
    assert.equal((v.rawInputs.secretString as any)["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
    assert.equal((v.rawInputs.secretString as any).value, SLACK_WEBHOOK_URL);
    const fn = r.one(T.fn, "alert-delivery-notifier");
    assert.ok(!JSON.stringify(fn.rawInputs).includes("hooks.slack.com"));
  });
  it("chatbot delivery replaces the notifier Lambda with AWS Chatbot on the same topic", async () => {
    const r = await resourcesOf("prd", {
      [`${P}:slackDelivery`]: "chatbot",
      [`${P}:chatbotSlackTeamId`]: "T0123ABCD",
      [`${P}:chatbotSlackChannelId`]: "C0123ABCD",
    });
    assert.equal(r.ofType(T.fn).filter((f) => f.name === "alert-delivery-notifier").length, 0);
    const cb = r.one(T.chatbot, "alert-delivery-chatbot").inputs;
    assert.deepEqual(cb.snsTopicArns, [r.one(T.topic, "alert-delivery-topic").rawOutputs.arn]);
    assert.deepEqual([cb.slackTeamId, cb.slackChannelId], ["T0123ABCD", "C0123ABCD"]);
  });
  it("e-mail addresses are subscribed beside Slack, so alerts arrive while Slack is down", async () => {
    const r = await resourcesOf("prd", SHARED_OPTIONS);
    const sub = r.one(T.subscription, "alert-delivery-email-0").inputs;
    assert.deepEqual([sub.protocol, sub.endpoint], ["email", ALERT_EMAIL]);
    assert.equal(sub.topic, r.one(T.topic, "alert-delivery-topic").rawOutputs.arn);
    // The same address out of band: it still hears when the alert key or topic is broken.
    const oob = r.one(T.subscription, "alert-delivery-out-of-band-email-0").inputs;
    assert.deepEqual([oob.protocol, oob.endpoint, oob.topic], ["email", ALERT_EMAIL, r.one(T.topic, "alert-delivery-out-of-band-topic").rawOutputs.arn]);
  });
  it("a posture service can be switched off where the organisation runs it centrally", async () => {
    const r = await resourcesOf("prd", { [`${P}:enableGuardDuty`]: "false", [`${P}:enableSecurityHub`]: "false" });
    assert.equal(r.ofType("aws:guardduty/detector:Detector").length, 0);
    assert.equal(r.ofType("aws:securityhub/account:Account").length, 0);
    assert.equal(r.ofType(T.recorder).length, 1);
  });
});
