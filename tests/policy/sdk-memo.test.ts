// The pack's deserialisation memo on the policy SDK (policy/lib/sdk-memo.ts): active under the
// pinned SDK version, inert on any other shape, and invisible in the verdicts: every fixture of the
// policy tests (each style, both views, the compliant stack and the stack with each resource
// removed in turn) gets the same violations, in the same order, with the memo on and off.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { capturePack, evaluatePolicies, LoadedPack } from "../../offline/analyze";
import { compliantStack, StackFixture, Style } from "../../offline/fixtures/policy-stacks";
import { installDeserializeMemo, PINNED_POLICY_SDK } from "../../policy/lib/sdk-memo";
import { stackModelBuilds } from "../../policy/lib/stack-model";
import { plain, UNKNOWN } from "../../policy/lib/values";
import policyPackageJson from "../../policy/package.json";

const PACK_DIR = path.resolve(__dirname, "../../policy");
const SDK_DIR = path.dirname(require.resolve("@pulumi/policy/package.json", { paths: [PACK_DIR] }));

interface Loaded {
  pack: LoadedPack;
  /** What the pack's index module exported (its memo status). */
  status: { active: boolean; reason?: string };
  /** The deserialize module of the SDK instance this pack was served by. */
  deserialize: { deserializeProperties: (s: unknown, proxySecrets: boolean) => unknown };
  /** Its proxy module. */
  proxy: { unknownCheckingProxy: (target: object) => object };
}

/** A fresh load of the real pack (its own SDK instance), with the memo switch as given. */
async function loadPack(key: string, memo: boolean): Promise<Loaded> {
  let status: Loaded["status"] | undefined;
  let deserialize: Loaded["deserialize"] | undefined;
  let proxy: Loaded["proxy"] | undefined;
  const pack = await capturePack(path.join(PACK_DIR, `.memo-${key}`), () => {
    // The pack's own modules too (capturePack forgets the SDK's), so they bind to this SDK instance.
    for (const id of Object.keys(require.cache))
      if (id.startsWith(PACK_DIR + path.sep) && !id.includes(`${path.sep}node_modules${path.sep}`)) delete require.cache[id];
    const before = process.env.AUDIT_TRAIL_MUST_SDK_MEMO;
    const cwd = process.cwd();
    if (memo) delete process.env.AUDIT_TRAIL_MUST_SDK_MEMO;
    else process.env.AUDIT_TRAIL_MUST_SDK_MEMO = "off";
    try {
      process.chdir(PACK_DIR);
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the pack as the engine loads it
      status = require(PACK_DIR).sdkMemo;
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the instance just loaded
      deserialize = require(path.join(SDK_DIR, "deserialize.js"));
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the instance just loaded
      proxy = require(path.join(SDK_DIR, "proxy.js"));
    } finally {
      process.chdir(cwd);
      if (before === undefined) delete process.env.AUDIT_TRAIL_MUST_SDK_MEMO;
      else process.env.AUDIT_TRAIL_MUST_SDK_MEMO = before;
    }
  });
  return { pack, status: status!, deserialize: deserialize!, proxy: proxy! };
}

/** Every fixture: each style and view, compliant and with each resource removed in turn. */
function corpus(): { label: string; fixture: StackFixture }[] {
  const out: { label: string; fixture: StackFixture }[] = [];
  for (const style of ["v7", "v2", "inline"] as Style[]) {
    for (const firstPreview of [true, false]) {
      const view = `${style} ${firstPreview ? "first preview" : "known outputs"}`;
      out.push({ label: `${view}, compliant`, fixture: compliantStack(style, firstPreview) });
      for (const r of compliantStack(style, firstPreview).resources) {
        out.push({ label: `${view}, without ${r.name}`, fixture: compliantStack(style, firstPreview).remove(r.name) });
      }
      out.push({
        label: `${view}, GOVERNANCE 30 days and a 7-day log group`,
        fixture: compliantStack(style, firstPreview)
          .set(style === "inline" ? "log-bucket" : "log-lock", style === "inline" ? "objectLockConfiguration.rule.defaultRetention" : "rule.defaultRetention", {
            mode: "GOVERNANCE",
            days: 30,
          })
          .set("trail-log-group", "retentionInDays", 7),
      });
    }
  }
  return out;
}

describe("policy SDK deserialisation memo (policy/lib/sdk-memo.ts)", () => {
  let on: Loaded;
  let off: Loaded;
  before(async () => {
    on = await loadPack("on", true);
    off = await loadPack("off", false);
  });

  it("is written against the SDK version the pack pins", () => {
    assert.equal(policyPackageJson.dependencies["@pulumi/policy"], PINNED_POLICY_SDK);
    const installed = JSON.parse(fs.readFileSync(path.join(SDK_DIR, "package.json"), "utf8")).version.replace(/^v/, "");
    assert.equal(installed, PINNED_POLICY_SDK);
  });

  it("is active in the pack under the pinned SDK, and off with AUDIT_TRAIL_MUST_SDK_MEMO=off", () => {
    assert.deepEqual(on.status, { active: true, sdkDir: SDK_DIR });
    assert.deepEqual(off.status, { active: false, reason: "AUDIT_TRAIL_MUST_SDK_MEMO=off", sdkDir: SDK_DIR });
  });

  it("hands the same object for the same Struct, and deserialises as the SDK does", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the protobuf module the SDK uses
    const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [SDK_DIR] }));
    const struct = Struct.fromJavaScript({ bucket: "b", rule: { defaultRetention: { mode: "COMPLIANCE", days: 365 } }, tags: ["x"] });
    const first = on.deserialize.deserializeProperties(struct, false);
    assert.equal(on.deserialize.deserializeProperties(struct, false), first);
    assert.deepEqual(first, off.deserialize.deserializeProperties(struct, false));
    assert.notEqual(off.deserialize.deserializeProperties(struct, false), off.deserialize.deserializeProperties(struct, false));
    // The proxy over a memoised object is one per object too (the stack model keys on it).
    assert.equal(on.proxy.unknownCheckingProxy(first as object), on.proxy.unknownCheckingProxy(first as object));
    assert.notEqual(off.proxy.unknownCheckingProxy(first as object), off.proxy.unknownCheckingProxy(first as object));
    // Secrets-proxying (remediation) results are never shared.
    assert.notEqual(on.deserialize.deserializeProperties(struct, true), on.deserialize.deserializeProperties(struct, true));
  });

  it("gives the same verdicts with the memo on and off, for every fixture", async () => {
    const fixtures = corpus();
    assert.ok(fixtures.length > 80, `only ${fixtures.length} fixtures`);
    let violations = 0;
    for (const { label, fixture } of fixtures) {
      const withMemo = await evaluatePolicies(fixture.resources, { packDir: on.pack.dir });
      const without = await evaluatePolicies(fixture.resources, { packDir: off.pack.dir });
      assert.deepEqual(withMemo, without, label);
      violations += withMemo.length;
    }
    // The corpus is not a set of silent stacks: the comparison covers real verdicts.
    assert.ok(violations > 50, `only ${violations} violations over the corpus`);
  });

  it("builds the stack model once per request with the memo on and off (off: keyed on the URNs)", async () => {
    for (const loaded of [on, off]) {
      const before = stackModelBuilds();
      await evaluatePolicies(compliantStack("v7").resources, { packDir: loaded.pack.dir });
      assert.equal(stackModelBuilds() - before, 1, loaded.status.active ? "memo on" : "memo off");
    }
  });

  it("leaves an SDK of another version, or of another shape, untouched", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sdk-shape-"));
    try {
      const fake = path.join(tmp, "node_modules", "@pulumi", "policy");
      fs.mkdirSync(fake, { recursive: true });
      for (const f of ["server.js", "deserialize.js"]) fs.writeFileSync(path.join(fake, f), fs.readFileSync(path.join(SDK_DIR, f), "utf8"));
      fs.writeFileSync(path.join(fake, "package.json"), JSON.stringify({ name: "@pulumi/policy", version: "v1.22.0" }));
      assert.deepEqual(installDeserializeMemo(tmp), { active: false, reason: `@pulumi/policy 1.22.0 is not ${PINNED_POLICY_SDK}`, sdkDir: fake });
      fs.writeFileSync(path.join(fake, "package.json"), JSON.stringify({ name: "@pulumi/policy", version: `v${PINNED_POLICY_SDK}` }));
      fs.writeFileSync(path.join(fake, "server.js"), "const { deserializeProperties } = require('./deserialize');\n");
      assert.deepEqual(installDeserializeMemo(tmp), {
        active: false,
        reason: "server.js does not call deserializeProperties through the module's exports",
        sdkDir: fake,
      });
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("copies the SDK's proxied props with unknowns as UNKNOWN, as reading through the proxy does", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK's internal proxy
    const proxy = require(path.join(SDK_DIR, "proxy.js"));
    const target = { a: proxy.unknownStringValue, b: [1, proxy.unknownObjectValue, { c: proxy.unknownBooleanValue, d: "x" }], e: null };
    assert.deepEqual(plain(proxy.unknownCheckingProxy(target)), { a: UNKNOWN, b: [1, UNKNOWN, { c: UNKNOWN, d: "x" }], e: null });
  });
});
