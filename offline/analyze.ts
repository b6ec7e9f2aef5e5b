// The bridge between a recorded program run and a policy pack, through the policy SDK's own
// analyzer code: the pack is loaded as the engine loads it (its `new PolicyPack(...)` calls the
// SDK's `serve`), but the gRPC server is captured instead of bound, and its handlers receive the
// same protobuf requests the engine sends (Configure, Analyze per resource with inputs, AnalyzeStack
// with outputs, dependencies and property dependencies). Enforcement levels, pack config, the
// unknown-value rule and the proxies are therefore the SDK's, not re-implemented here.
import * as path from "path";
import { RegisteredResource } from "./runProgram";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const analyzerProto = require("@pulumi/pulumi/proto/analyzer_pb");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const structProto = require("google-protobuf/google/protobuf/struct_pb");

export type Level = "advisory" | "mandatory" | "remediate" | "disabled";
const LEVEL_NAMES: Record<number, Level> = { 0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate" };
const LEVEL_VALUES: Record<Level, number> = { advisory: 0, mandatory: 1, disabled: 2, remediate: 3 };

export interface Violation {
  policy: string;
  level: Level;
  /** `type::name` of the resource, or the stack when the policy named none. */
  resource: string;
  urn?: string;
  message: string;
}

/** `--policy-pack-config` contents: policy name -> level, or { enforcementLevel, ...properties }. */
export type PolicyPackConfig = Record<string, Level | ({ enforcementLevel?: Level } & Record<string, unknown>)>;

type Handler = (call: { request: any }, callback: (err: any, resp?: any) => void) => void;
interface PackHandlers {
  analyze: Handler;
  analyzeStack: Handler;
  configure: Handler;
  configureStack: Handler;
  name: string;
  policyNames: string[];
}

const loaded = new Map<string, PackHandlers>();

/**
 * Loads the pack once per process (the SDK allows one pack per process) and returns its analyzer
 * handlers. The pack's own `package.json` version is read from its directory, as the CLI runs it.
 */
export async function loadPolicyPack(packDir: string): Promise<PackHandlers> {
  const dir = path.resolve(packDir);
  const cached = loaded.get(dir);
  if (cached) return cached;
  if (loaded.size > 0) throw new Error(`a policy pack is already loaded in this process (${[...loaded.keys()][0]}); the SDK serves one per process`);
  // The gRPC module the policy SDK itself uses, so the patch applies to its server.
  const grpcPath = require.resolve("@grpc/grpc-js", { paths: [path.dirname(require.resolve("@pulumi/policy/package.json", { paths: [dir] }))] });
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const grpc = require(grpcPath);
  const proto = grpc.Server.prototype;
  const original = { addService: proto.addService, bindAsync: proto.bindAsync };
  let handlers: Record<string, Handler> | undefined;
  let packName = "";
  proto.addService = function (_service: unknown, impl: Record<string, Handler>) {
    handlers = impl;
  };
  proto.bindAsync = function () {
    /* not bound: the handlers are called in-process */
  };
  const cwd = process.cwd();
  try {
    process.chdir(dir);
    require(dir);
  } finally {
    process.chdir(cwd);
    proto.addService = original.addService;
    proto.bindAsync = original.bindAsync;
  }
  if (!handlers) throw new Error(`${dir} did not construct a PolicyPack`);
  // The pack's name and policies, as the engine learns them (GetAnalyzerInfo).
  const info = await call(handlers.getAnalyzerInfo, {});
  packName = info.getName();
  const policyNames: string[] = info.getPoliciesList().map((p: any) => p.getName());
  const result = { ...(handlers as any), name: packName, policyNames } as PackHandlers;
  loaded.set(dir, result);
  return result;
}

function call(handler: Handler, request: any): Promise<any> {
  return new Promise((resolve, reject) => handler({ request }, (err, resp) => (err ? reject(err) : resolve(resp))));
}

function options(r: RegisteredResource): any {
  const o = new analyzerProto.AnalyzerResourceOptions();
  o.setProtect(r.protect);
  o.setIgnorechangesList(r.ignoreChanges);
  o.setDeletebeforereplace(r.deleteBeforeReplace);
  o.setDeletebeforereplacedefined(r.deleteBeforeReplace);
  o.setAdditionalsecretoutputsList(r.additionalSecretOutputs);
  o.setAliasesList(r.aliases);
  if (r.parent) o.setParent(r.parent);
  if (r.customTimeouts) {
    const t = new analyzerProto.AnalyzerResourceOptions.CustomTimeouts();
    const seconds = (d?: string) => (d ? parseDuration(d) : 0);
    t.setCreate(seconds(r.customTimeouts.create));
    t.setUpdate(seconds(r.customTimeouts.update));
    t.setDelete(seconds(r.customTimeouts.delete));
    o.setCustomtimeouts(t);
  }
  return o;
}

function parseDuration(d: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(d);
  if (!m) return 0;
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as "ms" | "s" | "m" | "h"];
}

function configureRequest(config: PolicyPackConfig): any {
  const req = new analyzerProto.ConfigureAnalyzerRequest();
  const map = req.getPolicyconfigMap();
  for (const [policy, value] of Object.entries(config)) {
    const { enforcementLevel, ...props } = typeof value === "string" ? { enforcementLevel: value } : value;
    const pc = new analyzerProto.PolicyConfig();
    if (enforcementLevel !== undefined) {
      if (!(enforcementLevel in LEVEL_VALUES)) {
        throw new Error(`policy config for "${policy}": enforcementLevel "${enforcementLevel}" is not one of ${Object.keys(LEVEL_VALUES).join(", ")}`);
      }
      pc.setEnforcementlevel(LEVEL_VALUES[enforcementLevel]);
    }
    pc.setProperties(structProto.Struct.fromJavaScript(props));
    map.set(policy, pc);
  }
  return req;
}

/**
 * The CLI expands the reserved name "all" and checks that configured policies exist before it
 * configures the analyzer; the same here.
 */
export function expandPolicyConfig(config: PolicyPackConfig, policyNames: string[]): PolicyPackConfig {
  const out: PolicyPackConfig = {};
  if (config.all !== undefined) for (const n of policyNames) out[n] = config.all;
  for (const [k, v] of Object.entries(config)) {
    if (k === "all") continue;
    if (!policyNames.includes(k)) throw new Error(`policy config names "${k}", which is not a policy of this pack (policies: ${policyNames.join(", ")})`);
    out[k] = v;
  }
  return out;
}

const resourceLabel = (urn: string) => {
  const parts = urn.split("::");
  return `${(parts[2] ?? "").split("$").pop()}::${parts[3] ?? urn}`;
};

/** The message without the policy's description, which the SDK prepends on its own line. */
function specificMessage(d: any): string {
  const msg: string = d.getMessage();
  const desc: string = d.getDescription();
  return desc && msg.startsWith(`${desc}\n`) ? msg.slice(desc.length + 1) : msg;
}

export interface EvaluateOptions {
  packDir: string;
  config?: PolicyPackConfig;
  stackTags?: Record<string, string>;
}

export async function evaluatePolicies(resources: RegisteredResource[], opts: EvaluateOptions): Promise<Violation[]> {
  const pack = await loadPolicyPack(opts.packDir);
  await call(pack.configure, configureRequest(expandPolicyConfig(opts.config ?? {}, pack.policyNames)));
  const tagsReq = new analyzerProto.AnalyzerStackConfigureRequest();
  for (const [k, v] of Object.entries(opts.stackTags ?? {})) tagsReq.getTagsMap().set(k, v);
  await call(pack.configureStack, tagsReq);

  const violations: Violation[] = [];
  const collect = (resp: any, fallbackUrn?: string) => {
    for (const d of resp.getDiagnosticsList()) {
      const urn = d.getUrn() || fallbackUrn;
      violations.push({
        policy: d.getPolicyname(),
        level: LEVEL_NAMES[d.getEnforcementlevel()] ?? "advisory",
        resource: urn ? resourceLabel(urn) : "(stack)",
        urn,
        message: specificMessage(d),
      });
    }
  };

  // Analyze: each resource with its inputs, as the engine sends them before the step.
  for (const r of resources) {
    const req = new analyzerProto.AnalyzeRequest();
    req.setType(r.type);
    req.setName(r.name);
    req.setUrn(r.urn);
    req.setProperties(structProto.Struct.fromJavaScript(r.rawInputs));
    req.setOptions(options(r));
    collect(await call(pack.analyze, req), r.urn);
  }

  // AnalyzeStack: every resource with its outputs, parent, dependencies and property dependencies.
  const stackReq = new analyzerProto.AnalyzeStackRequest();
  stackReq.setResourcesList(
    resources.map((r) => {
      const a = new analyzerProto.AnalyzerResource();
      a.setType(r.type);
      a.setName(r.name);
      a.setUrn(r.urn);
      a.setProperties(structProto.Struct.fromJavaScript(r.rawOutputs));
      a.setOptions(options(r));
      if (r.parent) a.setParent(r.parent);
      a.setDependenciesList(r.dependencies);
      const deps = a.getPropertydependenciesMap();
      for (const [k, urns] of Object.entries(r.propertyDependencies)) {
        const pd = new analyzerProto.AnalyzerPropertyDependencies();
        pd.setUrnsList(urns);
        deps.set(k, pd);
      }
      return a;
    }),
  );
  collect(await call(pack.analyzeStack, stackReq));
  return violations;
}
