// Issue 13: documents and comments cite what a clone of the repository has (docs/requirements.md,
// the public AWS pages and aws-cli's source), never the design folder outside it; and the statements
// about the alert path's encryption match infra/components/alert-delivery.ts (DLQ: SSE-SQS on
// purpose; webhook secret: the alert key).
import * as assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const SKIP = new Set(["node_modules", ".git", "coverage", ".cache"]);
const TEXT = /\.(ts|js|mjs|md|json|ya?ml)$/;
/** Design documents that exist only outside the repository. */
const OUTSIDE =
  /\.\.\/shared\/design|\bdesign\/(requirements|style|digest-validation|architecture|offline-check)\.md|\b(digest-validation|offline-check|architecture|style)\.md\b/;

async function textFiles(dir: string, out: string[] = []): Promise<string[]> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name) || (entry.name.startsWith(".") && entry.name !== ".github" && entry.name !== ".ci")) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await textFiles(full, out);
    else if (TEXT.test(entry.name) && full !== __filename) out.push(full);
  }
  return out;
}

describe("documentation references (issue 13)", function () {
  it("no file cites a design document that a clone of the repository does not have", async function () {
    const offenders: string[] = [];
    for (const file of await textFiles(ROOT)) {
      if (/package-lock\.json$/.test(file)) continue;
      const lines = (await fs.readFile(file, "utf8")).split("\n");
      lines.forEach((line, i) => {
        if (OUTSIDE.test(line)) offenders.push(`${path.relative(ROOT, file)}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
    }
    assert.deepEqual(offenders, [], `point these to docs/requirements.md or the public source:\n${offenders.join("\n")}`);
  });

  it("the requirements links of docs/operations.md and policy/README.md resolve", async function () {
    for (const [doc, link] of [
      ["docs/operations.md", "](requirements.md)"],
      ["policy/README.md", "](../docs/requirements.md)"],
    ] as const) {
      const text = await fs.readFile(path.join(ROOT, doc), "utf8");
      assert.ok(text.includes(link), `${doc} does not link ${link}`);
      const target = link.slice(2, -1);
      await fs.access(path.resolve(ROOT, path.dirname(doc), target));
    }
  });

  it("README and runbooks say what alert-delivery.ts does: DLQ under SSE-SQS, webhook secret under the alert key", async function () {
    const code = await fs.readFile(path.join(ROOT, "infra/components/alert-delivery.ts"), "utf8");
    assert.match(code, /sqsManagedSseEnabled: true/, "the premise changed: update the documents and this test");
    const readme = await fs.readFile(path.join(ROOT, "README.md"), "utf8");
    const operations = await fs.readFile(path.join(ROOT, "docs/operations.md"), "utf8");
    for (const [name, text] of [
      ["README.md", readme],
      ["docs/operations.md", operations],
    ]) {
      const flat = text.replace(/\s+/g, " ");
      assert.doesNotMatch(flat, /dead-letter queue and the webhook secret are encrypted with the alert key/, `${name}: the DLQ is SSE-SQS`);
      assert.doesNotMatch(flat, /DLQ[^.|]{0,40}(KMS-encrypted|SSE-KMS|encrypted with the (alert|audit|estate) key)/, `${name}: the DLQ is SSE-SQS`);
      assert.doesNotMatch(flat, /slack-webhook-url`, encrypted with the estate key/, `${name}: the webhook secret is under the alert key`);
    }
    assert.match(readme.replace(/\s+/g, " "), /slack-webhook-url`, encrypted with the alert key/);
  });
});
