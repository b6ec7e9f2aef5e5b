/**
 * Attacker-controlled text is shown verbatim (issue 12): a user agent, an error message, an object
 * key, a role session name or an alarm reason cannot reformat the message, hide or reverse text,
 * create links or mention people. Asserted on the payload Slack receives.
 */
import { strict as assert } from "node:assert";
import { classifyMessage } from "../../handlers/notifier/classify";
import type { Notification } from "../../handlers/notifier/notification";
import { renderFallbackPayload, renderSlackPayload, type SlackPayload, type SlackText } from "../../handlers/notifier/render";
import { alarmMessage, cloudTrailEvent } from "./fixtures/notifier/events";

const RENDER = { environment: "prd", channel: "bs-notification-prd" } as const;
const HOSTILE =
  "ok ```\n*bold* _it_ ~s~ <!here> <!channel> <@U0123ABCD> <#C0123|x> https://evil.example/login evil.example \u2028next\u2029para \u202Egnp.exe \u200Bzw \u2066iso\u2069 `tick`";

function notification(body: unknown): Notification {
  const r = classifyMessage({ index: 0, body: JSON.stringify(body) }, { deployerRoleArns: new Set() });
  assert.equal(r.action, "notify");
  return (r as { notification: Notification }).notification;
}

function texts(payload: SlackPayload): SlackText[] {
  return (payload.blocks ?? []).flatMap((b) => (b.type === "context" ? [...b.elements] : [b.text]));
}

function assertInert(payload: SlackPayload, where: string): void {
  const json = JSON.stringify(payload);
  // No character that hides, reverses or breaks lines survives anywhere in what Slack receives.
  for (const c of ["\u2028", "\u2029", "\u202E", "\u200B", "\u2066", "\u2069"])
    assert.ok(!json.includes(c), `${where}: U+${c.charCodeAt(0).toString(16)} reached Slack`);
  for (const t of texts(payload)) {
    if (t.type === "mrkdwn") {
      assert.equal(t.verbatim, true, `${where}: mrkdwn without verbatim (URLs would be auto-linked)`);
      // Slack's manual parsing needs a raw "<": every one left is one of our own console links.
      for (const m of t.text.matchAll(/<([^>]*)>/g)) assert.match(m[1], /^https:\/\/[a-z0-9-]+\.console\.aws\.amazon\.com\//, `${where}: <${m[1]}>`);
      // No ``` fence can open inside a value.
      assert.ok(!/```/.test(t.text) || t.text.startsWith("```"), `${where}: a fence inside ${t.text}`);
    }
  }
  assert.ok(!payload.text.includes("<!here>"), `${where}: fallback text`);
  // The fallback text has no fence, or exactly the one code block around the original message.
  assert.ok([0, 2].includes((payload.text.match(/```/g) ?? []).length), `${where}: fences in the fallback text`);
}

describe("notifier renders attacker-controlled text verbatim (issue 12)", () => {
  it("a user agent with a fence, separators, bidi override, mentions and a bare URL", () => {
    const event = cloudTrailEvent({ eventName: "StopLogging" });
    (event.detail as Record<string, unknown>).userAgent = HOSTILE;
    const payload = renderSlackPayload(notification(event), RENDER);
    assertInert(payload, "user agent");
    const line = texts(payload)
      .map((t) => t.text)
      .join("\n")
      .split("\n")
      .find((l) => l.startsWith("*User agent:*"))!;
    assert.equal(
      line,
      "*User agent:* `ok \u02cb\u02cb\u02cb\\u000A*bold* _it_ ~s~ &lt;!here&gt; &lt;!channel&gt; &lt;@U0123ABCD&gt; &lt;#C0123|x&gt; https://evil.example/login evil.example \\u2028next\\u2029para \\u202Egnp.exe \\u200Bzw \\u2066iso\\u2069 \u02cbtick\u02cb`",
    );
  });

  it("an error message, an object key and a role session name", () => {
    const event = cloudTrailEvent({
      eventName: "GetObject",
      source: "aws.s3",
      eventSource: "s3.amazonaws.com",
      errorCode: "AccessDenied",
      errorMessage: HOSTILE,
      requestParameters: { bucketName: "audit-trail-logs-prd", key: `AWSLogs/${HOSTILE}` },
    });
    const detail = event.detail as Record<string, any>;
    detail.userIdentity.arn = `arn:aws:sts::111122223333:assumed-role/AdminRole/${HOSTILE}`;
    const n = notification(event);
    assertInert(renderSlackPayload(n, RENDER), "CloudTrail fields");
    assertInert(renderFallbackPayload(n, JSON.stringify(event), RENDER), "fallback payload");
    // The header (plain_text) shows the object key too: its invisible characters are made visible.
    const header = renderSlackPayload(n, RENDER).blocks![0];
    assert.equal(header.type, "header");
    assert.ok(header.type === "header" && header.text.text.includes("\\u000A") && !header.text.text.includes("\n"));
  });

  it("an alarm reason and description", () => {
    const n = notification(alarmMessage({ NewStateReason: HOSTILE, AlarmDescription: HOSTILE }));
    assertInert(renderSlackPayload(n, RENDER), "alarm");
  });

  it("an unrecognised message shown raw in a code block cannot close it", () => {
    const r = classifyMessage({ index: 0, body: HOSTILE }, { deployerRoleArns: new Set() });
    const payload = renderSlackPayload((r as { notification: Notification }).notification, RENDER);
    assertInert(payload, "raw");
    const block = texts(payload).find((t) => t.text.startsWith("```"))!;
    assert.equal(block.text.match(/```/g)!.length, 2, "exactly the opening and closing fence");
  });
});
