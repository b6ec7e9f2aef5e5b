/**
 * The notifier Lambda adapter end to end against a local fake Slack: batches, routine skips,
 * failure -> throw (so Lambda retries and the DLQ keep the event, E8), plain-text fallback,
 * budget from the Lambda context, logs without secrets (No.50), env validation, webhook secret.
 */
import { strict as assert } from "node:assert";
import { NotifierConfigError, readNotifierConfig } from "../../handlers/notifier/config";
import {
  createNotifierHandler,
  createNotifierHandlerFromEnv,
  NotificationDeliveryError,
  type DeliveryTuning,
  type NotifierDependencies,
  type NotifierLogger,
} from "../../handlers/notifier/index";
import { createCachedWebhookUrlSource, parseWebhookSecret, secretsManagerWebhookUrlLoader, type WebhookUrlSource } from "../../handlers/notifier/webhook-url";
import { ADMIN_SESSION_ARN, alarmMessage, cloudTrailEvent, DEPLOYER_ROLE_ARN, EVENT_ID, snsEvent } from "./fixtures/notifier/events";
import { startFakeSlack, type FakeSlack, type FakeSlackResponder } from "./fixtures/notifier/slack-server";

const TUNING: Partial<DeliveryTuning> = {
  // Long enough that a loaded machine (the suite runs files in parallel) never aborts a request
  // the local server answers at once, which made a delivered message count twice; the test of a
  // hanging request sets its own.
  perRequestTimeoutMs: 2_000,
  backoffBaseMs: 5,
  backoffMaxMs: 20,
  retryAfterMaxMs: 30,
  minAttemptMs: 5,
  safetyMarginMs: 50,
};

interface LogLine {
  level: "info" | "warn" | "error";
  message: string;
  attributes: Record<string, unknown>;
}

function capturingLogger(): NotifierLogger & { lines: LogLine[]; contexts: unknown[] } {
  const lines: LogLine[] = [];
  const contexts: unknown[] = [];
  return {
    lines,
    contexts,
    info: (message, attributes) => void lines.push({ level: "info", message, attributes }),
    warn: (message, attributes) => void lines.push({ level: "warn", message, attributes }),
    error: (message, attributes) => void lines.push({ level: "error", message, attributes }),
    addContext: (context) => void contexts.push(context),
  };
}

function fixedWebhook(url: string): WebhookUrlSource & { invalidations: number } {
  const source = {
    invalidations: 0,
    get: async () => url,
    invalidate: () => {
      source.invalidations += 1;
    },
  };
  return source;
}

const context = (remainingMs = 5_000) => ({ awsRequestId: "req-1", getRemainingTimeInMillis: () => remainingMs });

describe("notifier Lambda handler", function () {
  this.timeout(10_000);
  let slack: FakeSlack | undefined;
  const serve = async (responder: FakeSlackResponder): Promise<FakeSlack> => {
    slack = await startFakeSlack(responder);
    return slack;
  };
  afterEach(async () => {
    await slack?.close();
    slack = undefined;
  });

  function build(server: FakeSlack, overrides: Partial<NotifierDependencies> = {}) {
    const logger = capturingLogger();
    const webhookUrl = fixedWebhook(server.url);
    const deps: NotifierDependencies = {
      environment: "prd",
      slackChannel: "bs-notification-prd",
      deployerRoleArns: new Set([DEPLOYER_ROLE_ARN]),
      webhookUrl,
      logger,
      tuning: TUNING,
      ...overrides,
    };
    return { handler: createNotifierHandler(deps), logger, webhookUrl };
  }

  it("delivers one SNS record as one Slack message with the formatted blocks", async () => {
    const server = await serve(() => ({ status: 200 }));
    const { handler, logger } = build(server);
    const summary = await handler(snsEvent(JSON.stringify(cloudTrailEvent())), context());
    assert.deepEqual(summary, { messages: 1, delivered: 1, skippedRoutine: 0, failed: 0 });
    assert.equal(server.requests.length, 1);
    const body = JSON.parse(server.requests[0].body);
    assert.equal(body.channel, "bs-notification-prd");
    assert.equal(body.text, "CRITICAL [prd] StopLogging - trail audit-trail-prd");
    assert.ok(JSON.stringify(body.blocks).includes(`*Principal:* \`${ADMIN_SESSION_ARN}\``));
    // Every mrkdwn text object is verbatim: Slack neither auto-links nor parses mentions in values.
    for (const block of body.blocks)
      for (const t of block.type === "context" ? block.elements : [block.text]) if (t.type === "mrkdwn") assert.equal(t.verbatim, true);
    assert.equal(logger.contexts.length, 1);
    const delivered = logger.lines.find((l) => l.message === "Notification delivered");
    assert.deepEqual(delivered?.attributes, {
      recordIndex: 0,
      snsMessageId: "sns-message-0",
      kind: "cloudtrail-api-call",
      severity: "critical",
      reference: EVENT_ID,
      attempts: 1,
    });
  });

  it("routine deployer operations: not sent, logged with what was skipped, counted in the summary metric", async () => {
    const server = await serve(() => ({ status: 200 }));
    const { handler, logger } = build(server);
    const routine = JSON.stringify(cloudTrailEvent({ eventName: "PutBucketEncryption", sessionIssuerArn: DEPLOYER_ROLE_ARN }));
    const summary = await handler(snsEvent(routine, routine), context());
    assert.deepEqual(summary, { messages: 2, delivered: 0, skippedRoutine: 2, failed: 0 });
    assert.equal(server.requests.length, 0);
    const skipped = logger.lines.filter((l) => l.message === "Routine deployer operation recorded, not notified");
    assert.equal(skipped.length, 2);
    assert.deepEqual(skipped[1].attributes, {
      recordIndex: 1,
      snsMessageId: "sns-message-1",
      eventName: "PutBucketEncryption",
      eventId: EVENT_ID,
      sessionIssuerArn: DEPLOYER_ROLE_ARN,
    });
    const metricLine = logger.lines.find((l) => l.message === "Notifier invocation summary");
    assert.equal(metricLine?.attributes.RoutineOperationsSkipped, 2);
    assert.equal(metricLine?.attributes.NotificationsDelivered, 0);
    const emf = metricLine?.attributes._aws as { CloudWatchMetrics: Array<{ Namespace: string; Metrics: Array<{ Name: string }> }> };
    assert.equal(emf.CloudWatchMetrics[0].Namespace, "AuditTrail/Notifier");
    assert.deepEqual(
      emf.CloudWatchMetrics[0].Metrics.map((m) => m.Name),
      ["NotificationsDelivered", "RoutineOperationsSkipped", "NotificationsFailed"],
    );
  });

  it("a batch where one message cannot be delivered: the others are delivered, then it throws naming the failed one", async () => {
    // Slack is down only for the alarm message.
    const server = await serve((request) =>
      request.body.includes("audit-auth-failure-burst-prd") ? { status: 503, body: "service_unavailable" } : { status: 200 },
    );
    const { handler, logger } = build(server);
    const event = snsEvent(JSON.stringify(cloudTrailEvent()), JSON.stringify(alarmMessage()), JSON.stringify(cloudTrailEvent({ eventName: "DeleteTrail" })));
    let thrown: unknown;
    try {
      await handler(event, context(400));
    } catch (error) {
      thrown = error;
    }
    assert.ok(thrown instanceof NotificationDeliveryError, `expected NotificationDeliveryError, got ${String(thrown)}`);
    assert.deepEqual(
      thrown.undelivered.map((u) => [u.index, u.snsMessageId]),
      [[1, "sns-message-1"]],
    );
    assert.match(thrown.message, /^1 of 3 notification\(s\) not delivered to Slack/);
    // Retries run until the 400 ms budget is spent; on a loaded machine the last attempt can be the
    // one cut short by the remaining budget, so the last result is the 503 or that timeout.
    assert.match(
      thrown.message,
      /record 1 \(SNS message sns-message-1\): Slack delivery failed after \d+ attempt\(s\).*(HTTP 503|time budget exhausted; last result: request timed out after \d+ ms)/,
    );
    const bodies = server.requests.map((r) => JSON.parse(r.body).text as string);
    assert.ok(bodies.includes("CRITICAL [prd] StopLogging - trail audit-trail-prd"));
    assert.ok(bodies.includes("CRITICAL [prd] DeleteTrail - trail audit-trail-prd"));
    assert.ok(bodies.filter((t) => t.includes("audit-auth-failure-burst-prd")).length >= 2, "the failing one was retried");
    const summary = logger.lines.find((l) => l.message === "Notifier invocation summary");
    assert.equal(summary?.attributes.NotificationsDelivered, 2);
    assert.equal(summary?.attributes.NotificationsFailed, 1);
  });

  it("the retry budget comes from the remaining invocation time minus the safety margin", async () => {
    const server = await serve(() => ({ status: 500 }));
    const { handler } = build(server);
    const started = Date.now();
    await assert.rejects(handler(snsEvent(JSON.stringify(alarmMessage())), context(250)), NotificationDeliveryError);
    const elapsed = Date.now() - started;
    // 250 ms remaining - 50 ms margin = 200 ms of retries at most.
    assert.ok(elapsed <= 200 + 100, `ran ${elapsed} ms past a 200 ms budget`);
    assert.ok(server.requests.length >= 3, `only ${server.requests.length} attempts`);
  });

  it("Slack refuses the blocks (400): the plain-text fallback with the original message is delivered", async () => {
    const server = await serve((request) => (JSON.parse(request.body).blocks !== undefined ? { status: 400, body: "invalid_blocks" } : { status: 200 }));
    const { handler, logger } = build(server);
    const original = JSON.stringify(alarmMessage());
    const summary = await handler(snsEvent(original), context());
    assert.equal(summary.delivered, 1);
    assert.equal(server.requests.length, 2);
    const fallback = JSON.parse(server.requests[1].body);
    assert.equal(fallback.blocks, undefined);
    assert.ok(fallback.text.startsWith("HIGH [prd] Alarm ALARM: audit-auth-failure-burst-prd\n```"));
    assert.ok(fallback.text.includes('"AlarmName":"audit-auth-failure-burst-prd"'));
    assert.ok(logger.lines.some((l) => l.level === "warn" && /plain-text fallback/.test(l.message)));
  });

  it("webhook gone (404 no_service): throws, and the cached webhook URL is invalidated for the retry", async () => {
    const server = await serve(() => ({ status: 404, body: "no_service" }));
    const { handler, webhookUrl } = build(server);
    await assert.rejects(handler(snsEvent(JSON.stringify(alarmMessage())), context()), /HTTP 404 \("no_service"\)/);
    assert.equal(server.requests.length, 1);
    assert.equal(webhookUrl.invalidations, 1);
  });

  it("the webhook secret cannot be read: throws (event kept), nothing sent", async () => {
    const server = await serve(() => ({ status: 200 }));
    const { handler } = build(server, {
      webhookUrl: { get: () => Promise.reject(new Error("Could not read the Slack webhook secret")), invalidate: () => undefined },
    });
    await assert.rejects(handler(snsEvent(JSON.stringify(alarmMessage())), context()), /Could not read the Slack webhook secret/);
    assert.equal(server.requests.length, 0);
  });

  it("a malformed Lambda event (empty Records) is still notified raw", async () => {
    const server = await serve(() => ({ status: 200 }));
    const { handler } = build(server);
    await handler({ Records: [] }, context());
    assert.equal(server.requests.length, 1);
    const body = JSON.parse(server.requests[0].body);
    assert.equal(body.text, "MEDIUM [prd] Unrecognised notification: Lambda event has an empty Records list");
    assert.ok(JSON.stringify(body.blocks).includes('```{\\"Records\\":[]}```'));
  });

  it("logs never carry the webhook URL, the principal or the message body (No.50)", async () => {
    // First message: 500, then a hang, then 200. Second: Slack answers 400 echoing the secret path,
    // for the blocks and for the fallback, so warn and error lines are written too.
    const server = await serve((request, n) => {
      if (request.body.includes("Unrecognised notification")) return { status: 400, body: `invalid_blocks at ${request.path}` };
      return n === 0 ? { status: 500, body: "oops" } : n === 1 ? "hang" : { status: 200 };
    });
    const logger = capturingLogger();
    const { handler } = build(server, { logger, tuning: { ...TUNING, perRequestTimeoutMs: 200 } });
    await handler(snsEvent(JSON.stringify(cloudTrailEvent())), context());
    await assert.rejects(handler(snsEvent("not json: 198.51.100.7"), context()), NotificationDeliveryError);
    assert.ok(logger.lines.some((l) => l.level === "warn"));
    assert.ok(logger.lines.some((l) => l.level === "error"));
    const logged = JSON.stringify(logger.lines);
    for (const secret of [server.url, server.secretPath, ADMIN_SESSION_ARN, "203.0.113.10", "198.51.100.7"]) {
      assert.ok(!logged.includes(secret), `log contains ${secret}`);
    }
  });
});

describe("notifier configuration (env vars)", () => {
  const VALID = {
    ENVIRONMENT: "prd",
    SLACK_CHANNEL: "bs-notification-prd",
    DEPLOYER_ROLE_ARNS: JSON.stringify([DEPLOYER_ROLE_ARN]),
    SLACK_WEBHOOK_SECRET_ARN: "arn:aws:secretsmanager:ap-northeast-1:111122223333:secret:notifier/slack-webhook-AbCdEf",
  };

  it("reads a valid environment", () => {
    const config = readNotifierConfig(VALID);
    assert.equal(config.environment, "prd");
    assert.equal(config.slackChannel, "bs-notification-prd");
    assert.deepEqual([...config.deployerRoleArns], [DEPLOYER_ROLE_ARN]);
    assert.equal(config.webhookSecretArn, VALID.SLACK_WEBHOOK_SECRET_ARN);
  });

  it("DEPLOYER_ROLE_ARNS may be unset (no routine roles); a leading # on the channel is dropped", () => {
    const config = readNotifierConfig({ ...VALID, DEPLOYER_ROLE_ARNS: undefined, SLACK_CHANNEL: "#bs-notification-stg" });
    assert.equal(config.deployerRoleArns.size, 0);
    assert.equal(config.slackChannel, "bs-notification-stg");
  });

  const invalid: ReadonlyArray<[string, Record<string, string | undefined>, RegExp]> = [
    ["ENVIRONMENT missing", { ENVIRONMENT: undefined }, /ENVIRONMENT is not set/],
    ["ENVIRONMENT unknown", { ENVIRONMENT: "staging" }, /ENVIRONMENT must be one of dev, dev2, prd \(got "staging"\)/],
    ["SLACK_CHANNEL missing", { SLACK_CHANNEL: "" }, /SLACK_CHANNEL is not set/],
    ["SLACK_CHANNEL invalid", { SLACK_CHANNEL: "Bad Channel!" }, /SLACK_CHANNEL is not a Slack channel name/],
    ["DEPLOYER_ROLE_ARNS not JSON", { DEPLOYER_ROLE_ARNS: "arn:aws:iam::1:role/x" }, /DEPLOYER_ROLE_ARNS is not valid JSON/],
    ["DEPLOYER_ROLE_ARNS not an array", { DEPLOYER_ROLE_ARNS: '{"a":1}' }, /DEPLOYER_ROLE_ARNS must be a JSON array/],
    [
      "DEPLOYER_ROLE_ARNS with a user ARN",
      { DEPLOYER_ROLE_ARNS: '["arn:aws:iam::111122223333:user/bob"]' },
      /DEPLOYER_ROLE_ARNS contains entries that are not IAM role ARNs/,
    ],
    ["SLACK_WEBHOOK_SECRET_ARN missing", { SLACK_WEBHOOK_SECRET_ARN: undefined }, /SLACK_WEBHOOK_SECRET_ARN is not set/],
    [
      "SLACK_WEBHOOK_SECRET_ARN is a URL",
      { SLACK_WEBHOOK_SECRET_ARN: "https://hooks.slack.com/services/T/B/x" },
      /SLACK_WEBHOOK_SECRET_ARN is not a Secrets Manager secret ARN/,
    ],
  ];
  for (const [name, change, expected] of invalid) {
    it(`${name}: NotifierConfigError naming the variable`, () => {
      assert.throws(
        () => readNotifierConfig({ ...VALID, ...change }),
        (error: Error) => {
          assert.ok(error instanceof NotifierConfigError);
          assert.match(error.message, expected);
          return true;
        },
      );
    });
  }

  it("the secret ARN is validated without echoing a webhook URL put there by mistake", () => {
    assert.throws(
      () => readNotifierConfig({ ...VALID, SLACK_WEBHOOK_SECRET_ARN: "https://hooks.slack.com/services/T/B/topsecret" }),
      (error: Error) => !error.message.includes("topsecret"),
    );
  });

  it("reports every problem at once", () => {
    assert.throws(
      () => readNotifierConfig({}),
      (error: Error) => {
        assert.ok(error instanceof NotifierConfigError);
        assert.deepEqual(
          error.problems.map((p) => p.split(" ")[0]),
          ["ENVIRONMENT", "SLACK_CHANNEL", "SLACK_WEBHOOK_SECRET_ARN"],
        );
        return true;
      },
    );
  });

  it("the production wiring refuses to build from a bad environment, naming the variable", () => {
    assert.throws(() => createNotifierHandlerFromEnv({ ...VALID, ENVIRONMENT: "test" }), /ENVIRONMENT must be one of/);
    assert.equal(typeof createNotifierHandlerFromEnv(VALID), "function");
  });
});

describe("notifier webhook URL from Secrets Manager", () => {
  it("accepts the bare URL or JSON {webhookUrl} / {url}", () => {
    assert.equal(parseWebhookSecret(" https://hooks.slack.com/services/T/B/x \n"), "https://hooks.slack.com/services/T/B/x");
    assert.equal(parseWebhookSecret('{"webhookUrl":"https://hooks.slack.com/services/T/B/y"}'), "https://hooks.slack.com/services/T/B/y");
    assert.equal(parseWebhookSecret('{"url":"https://hooks.slack.com/services/T/B/z"}'), "https://hooks.slack.com/services/T/B/z");
  });

  it("rejects empty or unusable secrets without echoing their content", () => {
    assert.throws(() => parseWebhookSecret(undefined), /has no SecretString/);
    assert.throws(
      () => parseWebhookSecret('{"webhook":"topsecret"}'),
      (e: Error) => /without a "webhookUrl"/.test(e.message) && !e.message.includes("topsecret"),
    );
    assert.throws(
      () => parseWebhookSecret("{topsecret"),
      (e: Error) => /does not parse/.test(e.message) && !e.message.includes("topsecret"),
    );
  });

  it("reads the secret named by the ARN once, caches it, and reloads after invalidate()", async () => {
    const requested: string[] = [];
    const reader = { getSecretString: async (id: string) => (requested.push(id), `https://hooks.slack.com/services/T/B/v${requested.length}`) };
    const arn = "arn:aws:secretsmanager:ap-northeast-1:111122223333:secret:notifier/slack-webhook-AbCdEf";
    const source = createCachedWebhookUrlSource(secretsManagerWebhookUrlLoader(arn, reader));
    assert.equal(await source.get(), "https://hooks.slack.com/services/T/B/v1");
    assert.equal(await source.get(), "https://hooks.slack.com/services/T/B/v1");
    assert.deepEqual(requested, [arn]);
    source.invalidate();
    assert.equal(await source.get(), "https://hooks.slack.com/services/T/B/v2");
    assert.equal(requested.length, 2);
  });

  it("a failed read is not cached: the next call tries again", async () => {
    let calls = 0;
    const reader = {
      getSecretString: async () => {
        calls += 1;
        if (calls === 1) throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
        return "https://hooks.slack.com/services/T/B/ok";
      },
    };
    const source = createCachedWebhookUrlSource(secretsManagerWebhookUrlLoader("arn:x", reader));
    await assert.rejects(source.get(), /Could not read the Slack webhook secret named by SLACK_WEBHOOK_SECRET_ARN: ThrottlingException: Rate exceeded/);
    assert.equal(await source.get(), "https://hooks.slack.com/services/T/B/ok");
    assert.equal(calls, 2);
  });
});
