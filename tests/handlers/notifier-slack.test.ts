/**
 * Slack delivery against a real HTTP server on 127.0.0.1 (E8: a Slack outage never drops an
 * alert; retries stay inside the Lambda's time budget). Waits are kept tiny through the policy.
 */
import { strict as assert } from "node:assert";
import {
  backoffDelay,
  defaultSlackTransport,
  parseRetryAfter,
  postSlackMessage,
  RESPONSE_BODY_MAX_BYTES,
  SlackDeliveryError,
  type SlackRetryPolicy,
  type SlackTransport,
} from "../../handlers/notifier/slack";
import { startFakeSlack, type FakeSlack, type FakeSlackResponder } from "./fixtures/notifier/slack-server";

const FAST: SlackRetryPolicy = {
  budgetMs: 2_000,
  perRequestTimeoutMs: 500,
  backoffBaseMs: 5,
  backoffMaxMs: 20,
  retryAfterMaxMs: 30,
  minAttemptMs: 5,
  // The budget, not the attempt cap, bounds these tests (the cap has its own).
  maxAttempts: 1_000,
};

const PAYLOAD = { text: "CRITICAL [prd] StopLogging", blocks: [{ type: "section", text: { type: "mrkdwn", text: "hi" } }] };

/** Real fetch and clock; sleeps are real but recorded. */
function recordingTransport(): SlackTransport & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    ...defaultSlackTransport,
    sleeps,
    sleep: (ms) => {
      sleeps.push(ms);
      return defaultSlackTransport.sleep(ms);
    },
  };
}

async function expectDeliveryError(promise: Promise<unknown>): Promise<SlackDeliveryError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SlackDeliveryError, `expected SlackDeliveryError, got ${String(error)}`);
    return error;
  }
  assert.fail("delivery was expected to fail");
}

describe("notifier Slack delivery over a real local HTTP server", function () {
  this.timeout(10_000); // a regression (e.g. no request timeout) fails fast instead of at mocha's 60 s
  let slack: FakeSlack | undefined;
  const serve = async (responder: FakeSlackResponder): Promise<FakeSlack> => {
    slack = await startFakeSlack(responder);
    return slack;
  };
  afterEach(async () => {
    await slack?.close();
    slack = undefined;
  });

  it("200 on the first try: exactly one POST of the JSON payload, no waiting", async () => {
    const server = await serve(() => ({ status: 200, body: "ok" }));
    const transport = recordingTransport();
    const receipt = await postSlackMessage(server.url, PAYLOAD, FAST, transport);
    assert.equal(receipt.attempts, 1);
    assert.equal(receipt.status, 200);
    assert.equal(server.requests.length, 1);
    const [request] = server.requests;
    assert.equal(request.method, "POST");
    assert.equal(request.path, server.secretPath);
    assert.equal(request.contentType, "application/json; charset=utf-8");
    assert.deepEqual(JSON.parse(request.body), PAYLOAD);
    assert.deepEqual(transport.sleeps, []);
  });

  it("500 then 200: retried after a jittered backoff, delivered on the second attempt", async () => {
    const server = await serve((_r, n) => (n === 0 ? { status: 500, body: "internal_error" } : { status: 200 }));
    const transport = recordingTransport();
    const receipt = await postSlackMessage(server.url, PAYLOAD, FAST, transport);
    assert.equal(receipt.attempts, 2);
    assert.equal(server.requests.length, 2);
    assert.equal(server.requests[1].body, server.requests[0].body, "the retry resends the same message");
    assert.equal(transport.sleeps.length, 1);
    // equal jitter on the first step (base 5 ms): between 2.5 and 5 ms
    assert.ok(transport.sleeps[0] >= 2 && transport.sleeps[0] <= 5, `backoff ${transport.sleeps[0]}`);
  });

  it("429 with Retry-After: waits exactly Retry-After when under the cap", async () => {
    const server = await serve((_r, n) => (n === 0 ? { status: 429, headers: { "retry-after": "1" }, body: "rate_limited" } : { status: 200 }));
    const sleeps: number[] = [];
    // Recorded but not slept, so a 1 s Retry-After costs the test nothing.
    const transport: SlackTransport = { ...defaultSlackTransport, sleep: async (ms) => void sleeps.push(ms) };
    const receipt = await postSlackMessage(server.url, PAYLOAD, { ...FAST, retryAfterMaxMs: 5_000 }, transport);
    assert.equal(receipt.attempts, 2);
    assert.deepEqual(sleeps, [1_000]);
  });

  it("429 with a long Retry-After: the wait is capped, then delivered", async () => {
    const server = await serve((_r, n) => (n === 0 ? { status: 429, headers: { "retry-after": "60" } } : { status: 200 }));
    const transport = recordingTransport();
    const receipt = await postSlackMessage(server.url, PAYLOAD, FAST, transport);
    assert.equal(receipt.attempts, 2);
    assert.deepEqual(transport.sleeps, [FAST.retryAfterMaxMs]);
    assert.ok(server.requests[1].receivedAt - server.requests[0].receivedAt >= FAST.retryAfterMaxMs - 2);
  });

  it("429 whose (capped) Retry-After does not fit the budget: fails now instead of waiting in vain", async () => {
    const server = await serve(() => ({ status: 429, headers: { "retry-after": "60" } }));
    const transport = recordingTransport();
    const error = await expectDeliveryError(postSlackMessage(server.url, PAYLOAD, { ...FAST, budgetMs: 300, retryAfterMaxMs: 10_000 }, transport));
    assert.equal(server.requests.length, 1);
    assert.deepEqual(transport.sleeps, []);
    assert.match(error.message, /Retry-After wait of 10000 ms does not fit the remaining time budget/);
    assert.match(error.message, /HTTP 429/);
    assert.equal(error.permanent, false);
  });

  it("always 500: keeps retrying until the budget is spent, then throws naming the status", async () => {
    const server = await serve(() => ({ status: 500, body: "internal_error" }));
    const budgetMs = 250;
    // An attempt starts only with 100 ms left, so on a loaded machine (the suite runs files in
    // parallel) the last one is not cut off by the budget before the server's 500 arrives, which
    // would make its result a timeout: this test is about the status it names, not that race.
    const minAttemptMs = 100;
    const started = Date.now();
    const error = await expectDeliveryError(postSlackMessage(server.url, PAYLOAD, { ...FAST, budgetMs, minAttemptMs }, recordingTransport()));
    const elapsed = Date.now() - started;
    assert.ok(server.requests.length >= 5, `only ${server.requests.length} attempts in the budget`);
    assert.equal(error.attempts, server.requests.length);
    assert.equal(error.lastStatus, 500);
    assert.equal(error.permanent, false);
    assert.match(error.message, /Slack delivery failed after \d+ attempt\(s\) in \d+ ms: time budget exhausted; last result: HTTP 500 \("internal_error"\)/);
    assert.ok(elapsed <= budgetMs + 150, `took ${elapsed} ms for a ${budgetMs} ms budget`);
    assert.ok(elapsed >= budgetMs - FAST.backoffMaxMs - minAttemptMs - 5, `gave up early after ${elapsed} ms`);
  });

  it("hangs: the request is aborted at the per-request timeout and retried", async () => {
    const server = await serve((_r, n) => (n === 0 ? "hang" : { status: 200 }));
    const started = Date.now();
    const receipt = await postSlackMessage(server.url, PAYLOAD, { ...FAST, perRequestTimeoutMs: 100 }, recordingTransport());
    const elapsed = Date.now() - started;
    assert.equal(receipt.attempts, 2);
    assert.equal(server.requests.length, 2);
    assert.ok(elapsed >= 95 && elapsed < 1_000, `elapsed ${elapsed} ms`);
  });

  it("always hangs: throws a timeout error within the budget", async () => {
    const server = await serve(() => "hang");
    const error = await expectDeliveryError(postSlackMessage(server.url, PAYLOAD, { ...FAST, budgetMs: 250, perRequestTimeoutMs: 80 }, recordingTransport()));
    assert.ok(server.requests.length >= 2);
    assert.match(error.message, /last result: request timed out after \d+ ms/);
    assert.equal(error.lastStatus, undefined);
  });

  it("connection refused: retried as a network error, then throws without the webhook URL", async () => {
    const server = await serve(() => ({ status: 200 }));
    const url = server.url;
    await server.close();
    slack = undefined;
    const error = await expectDeliveryError(postSlackMessage(url, PAYLOAD, { ...FAST, budgetMs: 150 }, recordingTransport()));
    assert.ok(error.attempts >= 2);
    assert.match(error.message, /network error: fetch failed \(ECONNREFUSED\)/);
    assert.ok(!error.message.includes("secret"), "the webhook secret path leaked into the error");
  });

  it("404 no_service: permanent, not retried, error names the status and Slack code but not the URL", async () => {
    const server = await serve(() => ({ status: 404, body: "no_service" }));
    const transport = recordingTransport();
    const error = await expectDeliveryError(postSlackMessage(server.url, PAYLOAD, FAST, transport));
    assert.equal(server.requests.length, 1);
    assert.deepEqual(transport.sleeps, []);
    assert.equal(error.permanent, true);
    assert.equal(error.lastStatus, 404);
    assert.match(error.message, /HTTP 404 \("no_service"\)/);
    assert.ok(!error.message.includes(server.secretPath) && !error.message.includes("127.0.0.1"));
  });

  it("a body echoing the webhook path is scrubbed from the error (No.50)", async () => {
    const server = await serve((r) => ({ status: 400, body: `bad request to ${r.path}` }));
    const error = await expectDeliveryError(postSlackMessage(server.url, PAYLOAD, FAST, recordingTransport()));
    assert.ok(!error.message.includes(server.secretPath), error.message);
    assert.match(error.message, /\[webhook path\]/);
  });

  it("no budget left: no request at all, clear error", async () => {
    const server = await serve(() => ({ status: 200 }));
    const error = await expectDeliveryError(postSlackMessage(server.url, PAYLOAD, { ...FAST, budgetMs: 0 }, recordingTransport()));
    assert.equal(server.requests.length, 0);
    assert.equal(error.attempts, 0);
    assert.match(error.message, /no time budget left/);
  });

  for (const retryAfter of ["0", "1.5", "-1", "Tue, 30 Apr 2024 00:00:00 GMT", "2024-05-01"]) {
    it(`429 with Retry-After: ${JSON.stringify(retryAfter)} waits at least the backoff and stops at maxAttempts (issue 12)`, async () => {
      const server = await serve(() => ({ status: 429, headers: { "retry-after": retryAfter }, body: "rate_limited" }));
      const sleeps: number[] = [];
      const transport: SlackTransport = { ...defaultSlackTransport, random: () => 0, sleep: async (ms) => void sleeps.push(ms) };
      const policy = { ...FAST, budgetMs: 60_000, backoffBaseMs: 100, backoffMaxMs: 1_000, retryAfterMaxMs: 10_000, maxAttempts: 6 };
      const error = await expectDeliveryError(postSlackMessage(server.url, PAYLOAD, policy, transport));
      // Not a tight loop: six POSTs in all, each wait at least the (jitter-floor) backoff.
      assert.equal(server.requests.length, 6);
      assert.deepEqual(sleeps, [50, 100, 200, 400, 500]);
      assert.match(error.message, /6 attempts made \(the maximum\)/);
    });
  }

  it("the attempt count also stays within the invocation time: a 2 s budget with 1 s backoffs makes few attempts", async () => {
    const server = await serve(() => ({ status: 429, headers: { "retry-after": "0" } }));
    let clock = Date.now();
    const transport: SlackTransport = { ...defaultSlackTransport, now: () => clock, random: () => 0.999, sleep: async (ms) => void (clock += ms) };
    await expectDeliveryError(
      postSlackMessage(server.url, PAYLOAD, { ...FAST, budgetMs: 2_000, backoffBaseMs: 1_000, backoffMaxMs: 1_000, maxAttempts: 100 }, transport),
    );
    assert.ok(server.requests.length <= 3, `${server.requests.length} attempts`);
  });

  for (const status of [301, 302, 303, 307, 308]) {
    it(`${status} redirect: a failure, not followed, not retried, and the URL is not echoed (issue 12)`, async () => {
      const server = await serve((r) => (r.path === "/elsewhere" ? { status: 200 } : { status, headers: { location: "/elsewhere" } }));
      const error = await expectDeliveryError(postSlackMessage(server.url, PAYLOAD, FAST, recordingTransport()));
      assert.deepEqual(
        server.requests.map((r) => [r.method, r.path]),
        [["POST", server.secretPath]],
      );
      assert.equal(error.permanent, true);
      assert.equal(error.lastStatus, status);
      assert.match(error.message, new RegExp(`HTTP ${status} redirect`));
      assert.ok(!error.message.includes(server.secretPath));
    });
  }

  it("reads at most RESPONSE_BODY_MAX_BYTES of an endless response body", async () => {
    let chunksRead = 0;
    let cancelled = false;
    const endless = {
      getReader: () => ({
        read: async () => {
          chunksRead += 1;
          return { done: false, value: new Uint8Array(1024).fill(0x41) };
        },
        cancel: async () => void (cancelled = true),
      }),
    };
    const transport: SlackTransport = {
      ...defaultSlackTransport,
      fetch: async () => ({
        status: 500,
        headers: { get: () => null },
        body: endless,
        text: async () => assert.fail("text() must not be used when there is a stream"),
      }),
      sleep: async () => undefined,
    };
    const error = await expectDeliveryError(postSlackMessage("https://hooks.slack.com/services/T/B/x", PAYLOAD, { ...FAST, maxAttempts: 1 }, transport));
    assert.equal(chunksRead, RESPONSE_BODY_MAX_BYTES / 1024);
    assert.equal(cancelled, true);
    assert.match(error.message, /HTTP 500/);
    assert.ok(error.message.length < 600, `${error.message.length}`);
  });

  it("refuses a plain-http webhook that is not loopback, without echoing it", async () => {
    await assert.rejects(
      postSlackMessage("http://hooks.slack.com/services/T/B/topsecret", PAYLOAD, FAST, recordingTransport()),
      (error: Error) => /must use https/.test(error.message) && !error.message.includes("topsecret"),
    );
  });
});

describe("notifier Slack retry arithmetic", () => {
  it("Retry-After: seconds, HTTP date, garbage", () => {
    const now = Date.parse("2024-05-01T00:00:00Z");
    assert.equal(parseRetryAfter("30", now), 30_000);
    assert.equal(parseRetryAfter("Wed, 01 May 2024 00:00:10 GMT", now), 10_000);
    assert.equal(parseRetryAfter("Tue, 30 Apr 2024 00:00:00 GMT", now), 0);
    assert.equal(parseRetryAfter("soon", now), undefined);
    // Only delta-seconds or an IMF-fixdate: V8's Date.parse reads "1.5" as a date in 2001.
    assert.equal(parseRetryAfter("1.5", now), undefined);
    assert.equal(parseRetryAfter("-1", now), undefined);
    assert.equal(parseRetryAfter("2024-05-01T00:00:10Z", now), undefined);
    assert.equal(parseRetryAfter("0", now), 0);
    assert.equal(parseRetryAfter(null, now), undefined);
  });

  it("backoff doubles per attempt, is capped, and keeps at least half the step", () => {
    const policy = { backoffBaseMs: 100, backoffMaxMs: 1_000 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, policy, () => 0)),
      [50, 100, 200, 400, 500, 500],
    );
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, policy, () => 0.999999)),
      [100, 200, 400, 800, 1_000, 1_000],
    );
  });
});
