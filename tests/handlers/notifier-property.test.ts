/**
 * Property: for any input at all, the formatter neither throws nor produces a message Slack
 * would reject (E8: every message is delivered, never lost to a formatting bug).
 */
import { strict as assert } from "node:assert";
import fc from "fast-check";
import { binaryString } from "../../testkit/fast-check-units";
import { classifyMessage, extractIncomingMessages } from "../../handlers/notifier/classify";
import { renderFallbackPayload, renderSlackPayload, SLACK_LIMITS, type SlackPayload } from "../../handlers/notifier/render";
import { alarmMessage, cloudTrailEvent, configComplianceEvent, dailyReviewMessage } from "./fixtures/notifier/events";

const RENDER = { environment: "dev2", channel: "bs-notification-stg" } as const;
const OPTIONS = { deployerRoleArns: new Set(["arn:aws:iam::111122223333:role/deployer"]) };
const RUNS = 300;

/** Slack's documented limits, checked independently of the formatter's own constants. */
function assertWithinSlackLimits(payload: SlackPayload): void {
  assert.ok(payload.text.trim().length > 0, "empty fallback text");
  assert.ok(payload.text.length <= 3000, `fallback text of ${payload.text.length}`);
  const blocks = payload.blocks ?? [];
  assert.ok(blocks.length >= 2 && blocks.length <= 50, `${blocks.length} blocks`);
  let total = 0;
  for (const block of blocks) {
    if (block.type === "header") {
      assert.equal(block.text.type, "plain_text");
      assert.ok(block.text.text.length > 0 && block.text.text.length <= 150, `header of ${block.text.text.length}`);
      total += block.text.text.length;
    } else if (block.type === "section") {
      assert.ok(block.text.text.length > 0 && block.text.text.length <= 3000, `section of ${block.text.text.length}`);
      total += block.text.text.length;
    } else {
      assert.ok(block.elements.length >= 1 && block.elements.length <= 10);
      for (const element of block.elements) {
        assert.ok(element.text.length > 0 && element.text.length <= 3000);
        total += element.text.length;
      }
    }
  }
  // Slack rejects block sets of roughly 13k characters (msg_blocks_too_long).
  assert.ok(total <= 12_000, `blocks total ${total} characters`);
  assert.ok(SLACK_LIMITS.totalBlockText <= 12_000);
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function formatsSafely(body: string): void {
  const [message] = extractIncomingMessages({ Records: [{ Sns: { MessageId: "m", Message: body } }] });
  const result = classifyMessage(message, OPTIONS);
  if (result.action === "skip-routine") return;
  assertWithinSlackLimits(renderSlackPayload(result.notification, RENDER));
  const fallback = renderFallbackPayload(result.notification, body, RENDER);
  assert.ok(fallback.text.length > 0 && fallback.text.length <= 3000);
}

/** Any JSON value, or any string, in place of a known field. */
const wild = fc.oneof(fc.jsonValue(), fc.string({ unit: "grapheme", maxLength: 5000 }), binaryString({ maxLength: 200 }));

describe("notifier formatter properties (fast-check)", () => {
  it("arbitrary JSON: never throws, always a non-empty message within Slack limits", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => formatsSafely(JSON.stringify(value))),
      { numRuns: RUNS },
    );
  });

  it("arbitrary text (not JSON, lone surrogates, huge): never throws, within limits", () => {
    fc.assert(fc.property(fc.oneof(binaryString({ maxLength: 20_000 }), fc.string({ unit: "grapheme-ascii" })), formatsSafely), { numRuns: RUNS });
  });

  it("known shapes with any field replaced by anything: never throws, within limits", () => {
    const shapes = [cloudTrailEvent(), alarmMessage(), configComplianceEvent(), dailyReviewMessage(3)];
    fc.assert(
      fc.property(
        fc.constantFrom(...shapes),
        fc.array(fc.tuple(fc.constantFrom("detail", "root"), fc.string({ maxLength: 30 }), wild), { maxLength: 6 }),
        fc.constantFrom(
          "eventName",
          "userIdentity",
          "requestParameters",
          "eventTime",
          "errorCode",
          "userAgent",
          "awsRegion",
          "eventID",
          "AlarmName",
          "NewStateValue",
          "Trigger",
          "StateChangeTime",
          "findings",
          "configRuleName",
          "newEvaluationResult",
        ),
        wild,
        (shape, randomEdits, knownField, knownValue) => {
          const event = structuredClone(shape) as Record<string, unknown>;
          const target = (where: string) =>
            where === "detail" && typeof event.detail === "object" && event.detail !== null ? (event.detail as Record<string, unknown>) : event;
          target("detail")[knownField] = knownValue;
          for (const [where, key, value] of randomEdits) target(where)[key] = value;
          formatsSafely(JSON.stringify(event));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("truncation never splits a surrogate pair of well-formed input (emoji at every cut position)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1240, max: 1600 }), (prefix, pairs) => {
        const body = `${"x".repeat(prefix)}${"\u{1F6A8}".repeat(pairs)}`; // not JSON -> raw, cut near 2500
        const [message] = extractIncomingMessages({ Records: [{ Sns: { Message: body } }] });
        const result = classifyMessage(message, OPTIONS);
        assert.equal(result.action, "notify");
        if (result.action !== "notify") return;
        const payload = renderSlackPayload(result.notification, RENDER);
        for (const block of payload.blocks ?? []) {
          const text = block.type === "context" ? block.elements.map((e) => e.text).join("") : block.text.text;
          assert.ok(!LONE_SURROGATE.test(text), "a surrogate pair was split");
        }
        assert.ok(!LONE_SURROGATE.test(renderFallbackPayload(result.notification, body, RENDER).text));
      }),
      { numRuns: 40 },
    );
  });

  it("huge values in every CloudTrail field still fit (6 x 3000-char sections would not)", () => {
    fc.assert(
      // Mostly characters that Slack escaping inflates (& -> &amp;), so every section hits its cap.
      fc.property(fc.string({ unit: fc.constantFrom("&", "<", ">", "a", "\u{1F6A8}", "\n"), minLength: 2000, maxLength: 8000 }), (big) => {
        const event = cloudTrailEvent({ eventName: "StopLogging", errorCode: big, errorMessage: big, eventTime: big });
        const detail = event.detail as Record<string, unknown>;
        Object.assign(detail, { userAgent: big, sourceIPAddress: big });
        detail.userIdentity = { type: big, arn: big, accessKeyId: big, accountId: big, sessionContext: { sessionIssuer: { arn: big } } };
        detail.requestParameters = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${big.slice(0, 50)}${i}`, big]));
        formatsSafely(JSON.stringify(event));
        // ...and the short, vital parts are not crowded out by the huge ones.
        const [message] = extractIncomingMessages({ Records: [{ Sns: { Message: JSON.stringify(event) } }] });
        const result = classifyMessage(message, OPTIONS);
        assert.equal(result.action, "notify");
        if (result.action !== "notify") return;
        const sections = (renderSlackPayload(result.notification, RENDER).blocks ?? []).flatMap((b) => (b.type === "section" ? [b.text.text] : []));
        assert.deepEqual(
          sections.map((t) => t.split("\n")[0].slice(0, 9)),
          ["*Who*", "*What*", "*When*", "*Where*", "*Result*", "<https://"],
        );
      }),
      { numRuns: 25 },
    );
  });
});
