/**
 * Pure half of the notifier, step two: a Notification as Slack Block Kit within Slack's limits.
 * Every value is shown verbatim (text.ts verbatim(): an inline code span, escaped, invisible
 * characters made visible) in text objects marked `verbatim: true`, so Slack neither auto-links a
 * URL or channel name nor parses a mention an attacker wrote into a user agent, an error message,
 * an object key or an alarm reason (Block Kit text object: "verbatim", https://api.slack.com/reference/block-kit/composition-objects#text).
 */
import { RAW_MESSAGE_MAX_CHARS } from "./builders/raw";
import { SEVERITY_EMOJI, type Notification, type RenderOptions } from "./notification";
import { codeBlock, escapeMrkdwn, singleLine, truncateMrkdwn, truncatePlain, verbatim } from "./text";

// Slack limits (Block Kit reference): header text 150, section/context text 3000, 50 blocks.
// Slack also rejects messages whose blocks total roughly 13k characters (msg_blocks_too_long),
// so the whole message is kept well under that.
export const SLACK_LIMITS = {
  headerText: 150,
  sectionText: 3000,
  contextText: 3000,
  blocks: 50,
  fallbackText: 3000,
  totalBlockText: 10_000,
} as const;

/** Per-value cap: one runaway field (a user agent, an error message) must not crowd out the rest. */
const FACT_VALUE_MAX_CHARS = 600;

export interface SlackText {
  readonly type: "plain_text" | "mrkdwn";
  readonly text: string;
  readonly emoji?: boolean;
  /** mrkdwn only: no auto-linking of URLs and channel names, no mention parsing. */
  readonly verbatim?: boolean;
}

export type SlackBlock =
  | { readonly type: "header"; readonly text: SlackText }
  | { readonly type: "section"; readonly text: SlackText }
  | { readonly type: "context"; readonly elements: readonly SlackText[] };

export interface SlackPayload {
  /** Honoured by legacy webhooks; app webhooks post to their own channel and ignore it. */
  readonly channel?: string;
  /** Notification / fallback text; Slack shows blocks when present. */
  readonly text: string;
  readonly blocks?: readonly SlackBlock[];
  readonly unfurl_links: false;
  readonly unfurl_media: false;
}

const mrkdwn = (text: string): SlackText => ({ type: "mrkdwn", text, verbatim: true });

/** "CRITICAL [prd] StopLogging - trail x" - the same line heads the blocks and the fallback text. */
export function headerLine(notification: Notification, options: RenderOptions): string {
  return `${notification.severity.toUpperCase()} [${options.environment}] ${singleLine(notification.headline)}`;
}

/** The fallback text is mrkdwn: escaped, and backticks neutralised like the values. */
function fallbackLine(text: string): string {
  return escapeMrkdwn(text.replace(/`/g, "\u02cb"));
}

export function renderSlackPayload(notification: Notification, options: RenderOptions): SlackPayload {
  const header = headerLine(notification, options);
  const blocks: SlackBlock[] = [
    {
      type: "header",
      text: { type: "plain_text", text: truncatePlain(`${SEVERITY_EMOJI[notification.severity]} ${header}`, SLACK_LIMITS.headerText), emoji: true },
    },
  ];
  // Each section renders itself within a character allowance, whole lines only (a cut inside a
  // code span would unbalance it); the allowances share the message budget fairly, so one huge
  // field cannot push the result or the console link out of the message.
  const sections: Array<(maxChars: number) => string> = notification.sections.map((section) => {
    const lines = section.facts.map((f) => `*${escapeMrkdwn(singleLine(f.label))}:* ${verbatim(f.value, FACT_VALUE_MAX_CHARS)}`);
    return (maxChars) => wholeLines([`*${escapeMrkdwn(section.title)}*`, ...lines], maxChars);
  });
  const { rawText } = notification;
  if (rawText !== undefined) sections.push((maxChars) => codeBlock(rawText, maxChars));
  if (notification.links.length > 0) {
    // Link URLs come only from the validated builders, so they carry no '|' or '>'.
    const links = notification.links.map((link) => `<${link.url}|${escapeMrkdwn(link.label)}>`).join("  |  ");
    sections.push((maxChars) => (links.length <= maxChars ? links : ""));
  }
  const wanted = sections.slice(0, SLACK_LIMITS.blocks - 2).map((render) => render(SLACK_LIMITS.sectionText).length);
  const shares = fairShares(wanted, SLACK_LIMITS.totalBlockText - SLACK_LIMITS.headerText - SLACK_LIMITS.contextText);
  shares.forEach((share, i) => {
    const text = sections[i](share);
    if (text.length > 0) blocks.push({ type: "section", text: mrkdwn(text) });
  });

  const context = [
    `Environment: ${options.environment}`,
    `Channel: #${options.channel}`,
    `Kind: ${notification.kind}`,
    ...(notification.reference === undefined ? [] : [`Ref: ${singleLine(notification.reference)}`]),
  ].join("  |  ");
  blocks.push({ type: "context", elements: [mrkdwn(truncateMrkdwn(fallbackLine(context), SLACK_LIMITS.contextText))] });

  return { channel: options.channel, text: truncateMrkdwn(fallbackLine(header), SLACK_LIMITS.fallbackText), blocks, unfurl_links: false, unfurl_media: false };
}

/**
 * A blocks-free payload for when Slack rejects the Block Kit one (HTTP 400 invalid_blocks etc.):
 * the alert still reaches the channel, as its header plus the original message text.
 */
export function renderFallbackPayload(notification: Notification, originalBody: string, options: RenderOptions): SlackPayload {
  const header = fallbackLine(headerLine(notification, options));
  const room = SLACK_LIMITS.fallbackText - header.length - 1;
  const original = truncatePlain(originalBody, RAW_MESSAGE_MAX_CHARS);
  return {
    channel: options.channel,
    text: truncateMrkdwn(`${header}\n${codeBlock(original, Math.max(room, 0))}`, SLACK_LIMITS.fallbackText),
    unfurl_links: false,
    unfurl_media: false,
  };
}

/** All lines when they fit; else the first lines that fit, then an ellipsis line. */
function wholeLines(lines: string[], maxChars: number): string {
  const all = lines.join("\n");
  if (all.length <= maxChars) return all;
  const kept: string[] = [];
  let size = 0;
  for (const line of lines) {
    const next = size + (kept.length > 0 ? 1 : 0) + line.length;
    if (next + 2 > maxChars) break; // room for "\n…"
    kept.push(line);
    size = next;
  }
  if (kept.length === 0) return truncateMrkdwn(lines[0].replace(/`/g, ""), maxChars);
  return [...kept, "\u2026"].join("\n");
}

/** Max-min fair split of `total` characters: short sections get all they want, long ones share the rest. */
function fairShares(wanted: readonly number[], total: number): number[] {
  const shares = new Array<number>(wanted.length).fill(0);
  let remaining = Math.max(0, total);
  let left = wanted.length;
  for (const i of wanted.map((_, index) => index).sort((a, b) => wanted[a] - wanted[b])) {
    shares[i] = Math.min(wanted[i], Math.floor(remaining / left));
    remaining -= shares[i];
    left -= 1;
  }
  return shares;
}
