// The pack's deserialisation memo on the policy SDK (policy/lib/sdk-memo.ts): active under the
// pinned SDK version, inert on any other shape. That the verdicts are the same with the pack's SDK
// shortcuts on and off (AUDIT_TRAIL_MUST_SDK_MEMO switches the memo and the pack's handlers
// together) is proved response by response in analyzer-handlers.test.ts.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { evaluatePolicies } from "../../offline/analyze";
import { compliantStack } from "../../offline/fixtures/policy-stacks";
import { installDeserializeMemo, PINNED_POLICY_SDK } from "../../policy/lib/sdk-memo";
import { stackModelBuilds } from "../../policy/lib/stack-model";
import { plain, UNKNOWN } from "../../policy/lib/values";
import policyPackageJson from "../../policy/package.json";
import { packInstance, PackInstance, SDK_DIR } from "../support/pack-instances";

describe("policy SDK deserialisation memo (policy/lib/sdk-memo.ts)", () => {
  let on: PackInstance;
  let off: PackInstance;
  before(async () => {
    on = await packInstance(true);
    off = await packInstance(false);
  });

  it("is written against the SDK version the pack pins", () => {
    assert.equal(policyPackageJson.dependencies["@pulumi/policy"], PINNED_POLICY_SDK);
    const installed = JSON.parse(fs.readFileSync(path.join(SDK_DIR, "package.json"), "utf8")).version.replace(/^v/, "");
    assert.equal(installed, PINNED_POLICY_SDK);
  });

  it("is active in the pack under the pinned SDK, and off with AUDIT_TRAIL_MUST_SDK_MEMO=off", () => {
    assert.deepEqual(on.exports.sdkMemo, { active: true, sdkDir: SDK_DIR });
    assert.deepEqual(off.exports.sdkMemo, { active: false, reason: "AUDIT_TRAIL_MUST_SDK_MEMO=off", sdkDir: SDK_DIR });
  });

  it("hands the same object for the same Struct, and deserialises as the SDK does", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the protobuf module the SDK uses
    const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [SDK_DIR] }));
    const struct = Struct.fromJavaScript({ bucket: "b", rule: { defaultRetention: { mode: "COMPLIANCE", days: 365 } }, tags: ["x"] });
    const first = on.deserialize.deserializeProperties(struct, false);
    assert.equal(on.deserialize.deserializeProperties(struct, false), first);
    assert.deepEqual(first, off.deserialize.deserializeProperties(struct, false));
    assert.notEqual(off.deserialize.deserializeProperties(struct, false), off.deserialize.deserializeProperties(struct, false));
    // The proxy over a memoised object is one per object too (one proxy per resource, not per policy).
    assert.equal(on.proxy.unknownCheckingProxy(first as object), on.proxy.unknownCheckingProxy(first as object));
    assert.notEqual(off.proxy.unknownCheckingProxy(first as object), off.proxy.unknownCheckingProxy(first as object));
    // Secrets-proxying (remediation) results are never shared.
    assert.notEqual(on.deserialize.deserializeProperties(struct, true), on.deserialize.deserializeProperties(struct, true));
  });

  it("builds the stack model once per request with the memo on and off (off: keyed on the URNs)", async () => {
    for (const loaded of [on, off]) {
      const before = stackModelBuilds();
      await evaluatePolicies(compliantStack("v7").resources, { packDir: loaded.pack.dir });
      assert.equal(stackModelBuilds() - before, 1, loaded.exports.sdkMemo.active ? "memo on" : "memo off");
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
