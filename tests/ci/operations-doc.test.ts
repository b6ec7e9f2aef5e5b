// docs/operations.md against the code it describes: every finding kind of the verifier and every
// tamper operation of the alert rules has its place, the `npm run evidence` options it uses exist,
// and the resource names it gives are the ones the program builds. Reads source text only, so it
// stays fast (no AWS SDK or Pulumi provider is loaded).
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { FINDING_KINDS } from "../../cloudtrail/verify/findings";
import { USAGE } from "../../evidence/commands/help";
import { TAMPER_EVENT_NAMES } from "../../policy/lib/tamper-events";

const ROOT = path.resolve(__dirname, "../..");
const read = (rel: string) => readFileSync(path.join(ROOT, rel), "utf8");
const doc = read("docs/operations.md");

/** `who` is being added to evidence/cli.ts; until its usage is there, the agreed usage line. */
const WHO_USAGE =
  "who --bucket <name> [--key <key-or-prefix>] [--principal <arn>] --start <ISO> --end <ISO> [--stack <name>] [--format table|csv|json] [--verify-digests]";

/** Options of each `npm run evidence` command, from the CLI's own usage text. */
function evidenceOptions(): Record<string, Set<string>> {
  // The usage texts are plain data (evidence/commands/help.ts imports nothing).
  const usage = USAGE;
  assert.ok(usage.includes("Commands:"), "evidence/commands/help.ts exports USAGE");
  const sections: Record<string, string> = {};
  let current = "";
  for (const line of usage.split("\n")) {
    const command = /^ {2}([a-z]+) {2,}/.exec(line)?.[1];
    if (command) current = command;
    if (current) sections[current] = (sections[current] ?? "") + line + "\n";
  }
  const flags = (text: string) => new Set(text.match(/--[a-z][a-z0-9-]*/g) ?? []);
  const common = [...flags(/Common options:(.*)/.exec(usage)?.[1] ?? "")];
  const out: Record<string, Set<string>> = {};
  for (const [command, text] of Object.entries(sections)) out[command] = new Set([...flags(text), ...common]);
  if (!out.who) out.who = flags(WHO_USAGE);
  return out;
}

describe("docs/operations.md", () => {
  it("has the ten runbooks, each naming its requirements, controls, severity, who acts and what to record", () => {
    const runbooks = doc.split(/^## (?=\d+\. )/m).slice(2);
    assert.equal(runbooks.length, 10);
    for (const text of runbooks) {
      const title = text.split("\n")[0];
      const rb = text.replace(/\s+/g, " ");
      assert.match(rb, /\*\*Serves\*\*: [^\n]*\b[ME]\d+\b/, `${title}: requirement ids`);
      for (const framework of ["PCI DSS 10.", "ISO 27001 A.", "SOC 2 CC", "HIPAA 164."]) assert.ok(rb.includes(framework), `${title}: ${framework}`);
      assert.match(rb, /\*\*Severity\*\*/, `${title}: severity`);
      assert.match(rb, /\*\*Who acts\*\*/, `${title}: who acts`);
      assert.match(rb, /\*\*Record afterwards\*\*/, `${title}: record`);
    }
  });

  it("covers every finding kind of the digest verifier (evidence/verify/findings.ts)", () => {
    const table = doc.slice(doc.indexOf("## 4. Digest verification failed"), doc.indexOf("## 5."));
    for (const kind of FINDING_KINDS) assert.ok(table.includes(`\`${kind}\``), `runbook 4 handles ${kind}`);
  });

  it("names every tamper operation the alert rules watch (policy/lib/tamper-events.ts)", () => {
    for (const name of TAMPER_EVENT_NAMES) assert.ok(doc.includes(`\`${name}\``), name);
  });

  it("uses only options that npm run evidence has", () => {
    const options = evidenceOptions();
    for (const command of ["verify", "export", "package", "who"]) assert.ok(options[command]?.size, `options of ${command}`);
    assert.ok(options.verify.has("--public-keys") && options.package.has("--log-bucket") && options.export.has("--regions"), "usage parsed per command");
    const uses = [...doc.replace(/\\\n\s*/g, " ").matchAll(/npm run evidence -- ([a-z]+)([^\n`|>]*)/g)];
    assert.ok(uses.length >= 8, "the runbooks use the evidence CLI");
    for (const [, command, rest] of uses) {
      assert.ok(options[command], `npm run evidence -- ${command} is a command`);
      for (const flag of rest.match(/--[a-z][a-z0-9-]*/g) ?? []) assert.ok(options[command].has(flag), `npm run evidence -- ${command} has ${flag}`);
    }
  });

  it("gives the resource names the program builds", () => {
    const index = read("infra/index.ts");
    const alerting = read("infra/components/alert-delivery.ts");
    const naming = read("infra/lib/naming.ts");
    const alarms = read("infra/components/anomaly-alarms.ts");
    assert.match(naming, /return `\$\{prefix\}-trail-\$\{stack\}`/);
    assert.ok(doc.includes("TRAIL=${PREFIX}-trail-${STACK}"));
    for (const purpose of ["trail-logs", "access-logs", "backup-data", "config", "athena-results"]) {
      assert.ok(index.includes(`bucketName(prefix, "${purpose}", stack, ctx)`), `infra builds the ${purpose} bucket`);
      assert.ok(doc.includes(`<prefix>-${purpose}-<stack>-<account>-<region>`), `the doc names the ${purpose} bucket`);
    }
    assert.match(index, /const trailLogGroupName = `\/aws\/cloudtrail\/\$\{plannedTrailName\}`/);
    assert.match(index, /const dailyReviewName = `\$\{prefix\}-\$\{stack\}-daily-review`/);
    assert.match(index, /aliasName: `\$\{prefix\}-audit-\$\{stack\}`/);
    assert.match(index, /aliasName: `\$\{prefix\}-backup-data-\$\{stack\}`/);
    for (const suffix of ["-audit-alerts`", "-audit-alerts-dlq`", "-audit-alerts-undelivered`", "-audit-notifier`", "/slack-webhook-url`"]) {
      assert.ok(alerting.includes(`\`\${base}${suffix}`), `alertDelivery builds ${suffix}`);
      assert.ok(doc.includes(`<prefix>-<stack>${suffix.slice(0, -1)}`), `the doc names <prefix>-<stack>${suffix.slice(0, -1)}`);
    }
    for (const kind of ["cloudtrail", "kms", "s3", "log-bucket-access-denied"]) assert.ok(doc.includes(`tamper-${kind}`), `rule tamper-${kind}`);
    for (const id of [...alarms.matchAll(/id: "([a-z-]+)"/g)].map((m) => m[1])) assert.ok(doc.includes(`-${id}`), `alarm ${id}`);
    for (const channel of ["bs-notification-dev", "bs-notification-stg", "bs-notification-prd"]) assert.ok(doc.includes(channel));
  });

  it("tells the real npm, Pulumi and AWS CLI commands", () => {
    for (const text of [
      "npm run check -- --stack",
      "npx pulumi config set --secret slackWebhookUrl -s",
      "npx pulumi config set --path 'existingDataBuckets[0]'",
      "aws cloudtrail get-trail-status --name",
      "aws cloudtrail start-logging --name",
      "aws cloudtrail validate-logs --trail-arn",
      "aws kms cancel-key-deletion --key-id",
      "aws kms enable-key --key-id",
      "aws s3api get-bucket-policy --bucket",
      "aws s3api get-object-lock-configuration --bucket",
      "aws sqs receive-message --queue-url",
      "aws secretsmanager put-secret-value --secret-id",
      "sha256sum -c SHA256SUMS",
    ]) {
      assert.ok(doc.includes(text), text);
    }
    assert.doesNotMatch(doc, /aws s3api get-bucket-object-lock-configuration|--policy-pack-config=|aws sqs purge-queue --queue-url/);
  });
});
