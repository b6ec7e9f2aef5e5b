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

/**
 * The last few results by argument identity. The SDK asks for the same Struct again within one
 * request (Analyze: once per resource policy; the pack's own handlers, analyzer-handlers.ts, ask
 * once per resource), never across requests, so a handful of entries is a full hit rate even when
 * the engine interleaves a few Analyze calls. A WeakMap per Struct cost more than it saved: its
 * ephemeron entries made the garbage collector the pack's largest cost on a 5,000-resource stack.
 */
const RECENT = 8;
class RecentByIdentity {
  private readonly keys: (object | undefined)[] = new Array(RECENT);
  private readonly values: unknown[] = new Array(RECENT);
  private next = 0;
  get(key: object): unknown {
    for (let i = 0; i < RECENT; i++) if (this.keys[i] === key) return this.values[i];
    return undefined;
  }
  set(key: object, value: unknown): void {
    this.keys[this.next] = key;
    this.values[this.next] = value;
    this.next = (this.next + 1) % RECENT;
  }
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
    const cache = new RecentByIdentity();
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
      const proxies = new RecentByIdentity();
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
