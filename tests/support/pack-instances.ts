// Fresh instances of the real pack, each served by its own instance of the policy SDK, with the
// pack's SDK shortcuts (policy/lib/sdk-memo.ts, policy/lib/analyzer-handlers.ts) on or off
// (AUDIT_TRAIL_MUST_SDK_MEMO=off while the pack loads); and the fixture corpus the shortcut tests
// compare verdicts on.
import * as path from "path";
import { capturePack, LoadedPack } from "../../offline/analyze";
import { compliantStack, StackFixture, Style } from "../../offline/fixtures/policy-stacks";

export const PACK_DIR = path.resolve(__dirname, "../../policy");
export const SDK_DIR = path.dirname(require.resolve("@pulumi/policy/package.json", { paths: [PACK_DIR] }));

export interface PackInstance {
  pack: LoadedPack;
  /** What the pack's index module exported: the memo's and the handlers' status. */
  exports: {
    sdkMemo: { active: boolean; reason?: string; sdkDir: string };
    analyzerHandlers: import("../../policy/lib/analyzer-handlers").AnalyzerHandlersStatus;
  };
  /** The deserialize module of the SDK instance this pack was served by. */
  deserialize: { deserializeProperties: (s: unknown, proxySecrets: boolean) => unknown };
  /** Its proxy module. */
  proxy: { unknownCheckingProxy: (target: object) => object };
  /** The policies this instance serves (policy/policies of this load). */
  policies: { name: string; validateStack?: (args: { resources: unknown[] }, report: unknown) => unknown }[];
}

const shared = new Map<boolean, Promise<PackInstance>>();

/**
 * One instance per switch per process, shared by the test files a worker runs: a test that
 * changes an instance (wraps a handler, a policy, the SDK's deserialiser) restores it.
 */
export function packInstance(shortcuts: boolean): Promise<PackInstance> {
  let p = shared.get(shortcuts);
  if (!p) {
    p = loadPackInstance(shortcuts ? "shared-on" : "shared-off", shortcuts);
    shared.set(shortcuts, p);
  }
  return p;
}

/** A fresh load of the real pack (its own SDK instance and pack modules), shortcuts as given. */
async function loadPackInstance(key: string, shortcuts: boolean): Promise<PackInstance> {
  let out: Omit<PackInstance, "pack"> | undefined;
  const pack = await capturePack(path.join(PACK_DIR, `.instance-${key}`), () => {
    // The pack's own modules too (capturePack forgets the SDK's), so they bind to this SDK instance.
    for (const id of Object.keys(require.cache))
      if (id.startsWith(PACK_DIR + path.sep) && !id.includes(`${path.sep}node_modules${path.sep}`)) delete require.cache[id];
    const before = process.env.AUDIT_TRAIL_MUST_SDK_MEMO;
    const cwd = process.cwd();
    if (shortcuts) delete process.env.AUDIT_TRAIL_MUST_SDK_MEMO;
    else process.env.AUDIT_TRAIL_MUST_SDK_MEMO = "off";
    try {
      process.chdir(PACK_DIR);
      out = {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the pack as the engine loads it
        exports: require(PACK_DIR),
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the instance just loaded
        deserialize: require(path.join(SDK_DIR, "deserialize.js")),
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the instance just loaded
        proxy: require(path.join(SDK_DIR, "proxy.js")),
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the instance just loaded
        policies: require(path.join(PACK_DIR, "policies")).ALL_POLICIES,
      };
    } finally {
      process.chdir(cwd);
      if (before === undefined) delete process.env.AUDIT_TRAIL_MUST_SDK_MEMO;
      else process.env.AUDIT_TRAIL_MUST_SDK_MEMO = before;
    }
  });
  return { pack, ...out! };
}

/** Every fixture: each style and view, compliant and with each resource removed in turn. */
export function shortcutCorpus(): { label: string; fixture: StackFixture }[] {
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
