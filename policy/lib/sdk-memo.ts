// The policy SDK (1.21.0, server.js) deserialises every resource's protobuf Struct once per policy:
// in AnalyzeStack once per stack policy (13 here), in Analyze once per resource policy without a
// type filter. Deserialising is a pure function of the Struct, and the request's `getProperties()`
// hands every policy the same Struct wrapper (jspb caches message fields), so the pack memoises it
// per Struct: the same request's resources are deserialised once. Each policy still gets its own
// unknown-checking proxy over the result. The pack's policies never write to `props` (they read
// plain copies, values.ts `plain`), so sharing the object changes no verdict; the tests prove
// verdicts are identical with the memo on and off.
//
// Guarded: only on the pinned SDK version, and only when `deserialize.js` still exports a writable
// `deserializeProperties(struct, proxySecrets)` that server.js calls through the module's exports
// (`deserialize_1.deserializeProperties(...)`, read at call time). Anything else leaves the SDK
// untouched and the pack merely slower. AUDIT_TRAIL_MUST_SDK_MEMO=off turns it off (a kill switch
// for an operator who suspects it; the engine passes its environment to the pack process).
import * as fs from "fs";
import * as path from "path";

/** The @pulumi/policy version whose internals this was written against (policy/package.json pins it). */
export const PINNED_POLICY_SDK = "1.21.0";
const MARK = Symbol.for("audit-trail-must.deserializeMemo");

type Deserialize = ((struct: object, proxySecrets?: boolean) => unknown) & { [MARK]?: true };

export interface MemoStatus {
  active: boolean;
  /** Why not, when not active. */
  reason?: string;
  sdkDir: string;
}

/** Whether the deserialize module of the SDK resolved from `fromDir` carries the memo. */
export function memoActive(fromDir = __dirname): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK instance the pack resolves
    const mod = require(require.resolve("@pulumi/policy/deserialize", { paths: [fromDir] })) as { deserializeProperties?: Deserialize };
    return mod.deserializeProperties?.[MARK] === true;
  } catch {
    return false;
  }
}

/** Installs the memo on the SDK instance the pack resolves (once; idempotent). */
export function installDeserializeMemo(fromDir = __dirname): MemoStatus {
  let sdkDir = "";
  try {
    sdkDir = path.dirname(require.resolve("@pulumi/policy/package.json", { paths: [fromDir] }));
    if (process.env.AUDIT_TRAIL_MUST_SDK_MEMO === "off") return { active: false, reason: "AUDIT_TRAIL_MUST_SDK_MEMO=off", sdkDir };
    const version = String(JSON.parse(fs.readFileSync(path.join(sdkDir, "package.json"), "utf8")).version).replace(/^v/, "");
    if (version !== PINNED_POLICY_SDK) return { active: false, reason: `@pulumi/policy ${version} is not ${PINNED_POLICY_SDK}`, sdkDir };
    const server = fs.readFileSync(path.join(sdkDir, "server.js"), "utf8");
    if (!server.includes("deserialize_1.deserializeProperties(r.getProperties(), false)")) {
      return { active: false, reason: "server.js does not call deserializeProperties through the module's exports", sdkDir };
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module instance server.js required
    const mod = require(path.join(sdkDir, "deserialize.js")) as { deserializeProperties?: Deserialize };
    const original = mod.deserializeProperties;
    const desc = Object.getOwnPropertyDescriptor(mod, "deserializeProperties");
    if (typeof original !== "function" || original.length !== 2 || !desc || !("value" in desc) || !desc.writable) {
      return { active: false, reason: "deserialize.js has no writable deserializeProperties(struct, proxySecrets)", sdkDir };
    }
    if (original[MARK]) return { active: true, sdkDir };
    const cache = new WeakMap<object, unknown>();
    const memoised: Deserialize = function deserializeProperties(struct: object, proxySecrets?: boolean) {
      // Secrets-proxying results (remediation) wrap values; only the plain form is shared.
      if (proxySecrets || struct === null || typeof struct !== "object") return original(struct, proxySecrets);
      let props = cache.get(struct);
      if (props === undefined) {
        props = original(struct, false);
        cache.set(struct, props);
      }
      return props;
    };
    memoised[MARK] = true;
    mod.deserializeProperties = memoised;
    // The proxy over a memoised object is memoised too: the SDK's proxy is stateless (its get trap
    // makes a new child proxy per read), so one per object is the same as one per policy.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module instance server.js required
    const proxyMod = require(path.join(sdkDir, "proxy.js")) as { unknownCheckingProxy?: Deserialize };
    const proxyDesc = Object.getOwnPropertyDescriptor(proxyMod, "unknownCheckingProxy");
    const originalProxy = proxyMod.unknownCheckingProxy;
    if (typeof originalProxy === "function" && proxyDesc && "value" in proxyDesc && proxyDesc.writable && !originalProxy[MARK]) {
      const proxies = new WeakMap<object, unknown>();
      const memoProxy: Deserialize = function unknownCheckingProxy(target: object) {
        if (target === null || typeof target !== "object") return originalProxy(target);
        let p = proxies.get(target);
        if (p === undefined) {
          p = originalProxy(target);
          proxies.set(target, p);
        }
        return p;
      };
      memoProxy[MARK] = true;
      proxyMod.unknownCheckingProxy = memoProxy;
    }
    return { active: true, sdkDir };
  } catch (e) {
    return { active: false, reason: `not installed: ${(e as Error).message}`, sdkDir };
  }
}
