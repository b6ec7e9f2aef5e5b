// The bridge between a recorded program run and policy packs, through the policy SDK's own
// analyzer code: each pack is loaded as the engine loads it (its `new PolicyPack(...)` calls the
// SDK's `serve`), but the gRPC server is captured instead of bound, and its handlers receive the
// same protobuf requests the engine sends (GetAnalyzerInfo, Configure with the reconciled config,
// ConfigureStack, Analyze per resource with inputs, AnalyzeStack with outputs, dependencies and
// property dependencies). Enforcement levels, the unknown-value rule and the proxies are therefore
// the SDK's, not re-implemented here. The engine runs each pack in a process of its own; here each
// pack gets its own instance of the policy SDK module (the SDK serves one pack per module
// instance), and packs are evaluated one after the other.
import * as path from "path";
import { RegisteredResource, UNKNOWN_SENTINEL } from "./run-program";

import type * as AnalyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import type * as StructPb from "google-protobuf/google/protobuf/struct_pb";

// The generated protobuf modules are required, not imported, as the SDK requires them (one
// module instance, so instanceof checks in the SDK's server accept these messages).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
const analyzerProto = require("@pulumi/pulumi/proto/analyzer_pb") as typeof AnalyzerPb;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
const structProto = require("google-protobuf/google/protobuf/struct_pb") as typeof StructPb;

export type Level = "advisory" | "mandatory" | "remediate" | "disabled";
export const LEVELS: readonly Level[] = ["advisory", "mandatory", "remediate", "disabled"];
const LEVEL_NAMES: Record<number, Level> = { 0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate" };
const LEVEL_VALUES: Record<Level, number> = { advisory: 0, mandatory: 1, disabled: 2, remediate: 3 };

/** Which request produced a diagnostic: Analyze (before the step) or AnalyzeStack (after all). */
export type Phase = "resource" | "stack";

export interface Violation {
  policy: string;
  /** The policy pack's name. */
  pack: string;
  level: Level;
  /** `type::name` of the resource, or the stack when the policy named none. */
  resource: string;
  urn?: string;
  message: string;
  phase: Phase;
}

/** `--policy-pack-config` contents: policy name -> level, or { enforcementLevel, ...properties }. */
export type PolicyPackConfig = Record<string, Level | ({ enforcementLevel?: Level } & Record<string, unknown>)>;

/** A gRPC unary handler of the SDK's analyzer server; requests and responses are protobuf messages. */
type Handler = (call: { request: unknown }, callback: (err: unknown, resp?: unknown) => void) => void;

/** The JSON Schema keywords validateAgainstSchema reads from a policy's configSchema property. */
export interface ConfigSchemaProperty {
  type?: string | string[];
  enum?: unknown[];
  items?: { type?: string };
}

export interface PolicyInfo {
  name: string;
  description: string;
  enforcementLevel: Level;
  severity: string;
  remediationSteps: string;
  tags: string[];
  configSchema?: { properties: Record<string, ConfigSchemaProperty>; required: string[] };
}

export interface LoadedPack {
  dir: string;
  name: string;
  version: string;
  policies: PolicyInfo[];
  policyNames: string[];
  /** The pack's programmatic `initialConfig` (third argument of `new PolicyPack`). */
  initialConfig: Record<string, { enforcementLevel?: Level; properties: Record<string, unknown> }>;
  handlers: Record<string, Handler>;
}

const loaded = new Map<string, Promise<LoadedPack>>();

/** The policy SDK's files (its own module instance per pack) and the pack's own sources. */
function forgetModules(packDir: string, policySdkDir: string): void {
  const own = packDir + path.sep;
  const sdk = policySdkDir + path.sep;
  for (const id of Object.keys(require.cache)) {
    if (id.startsWith(sdk) || (id.startsWith(own) && !id.slice(own.length).split(path.sep).includes("node_modules"))) delete require.cache[id];
  }
}

/** Loads a pack once per process and returns its analyzer handlers and what GetAnalyzerInfo says. */
export function loadPolicyPack(packDir: string): Promise<LoadedPack> {
  const dir = path.resolve(packDir);
  let p = loaded.get(dir);
  if (!p) {
    p = capturePack(dir, () => {
      // The pack's package.json is read from the working directory, as the CLI runs it (PolicyPack).
      const cwd = process.cwd();
      try {
        process.chdir(dir);
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- a pack folder named at run time
        require(dir);
      } finally {
        process.chdir(cwd);
      }
    });
    loaded.set(dir, p);
    p.catch(() => loaded.delete(dir));
  }
  return p;
}

/**
 * Runs `construct` (which must call `new PolicyPack`) with the policy SDK resolved from `dir`,
 * capturing the analyzer service instead of binding a port. Exported for the benchmark's baselines.
 */
export async function capturePack(dir: string, construct: () => void): Promise<LoadedPack> {
  let policySdkDir: string;
  try {
    policySdkDir = path.dirname(require.resolve("@pulumi/policy/package.json", { paths: [dir] }));
  } catch {
    throw new Error(`${dir}: no @pulumi/policy resolvable from the pack (run npm install in the pack's folder)`);
  }
  forgetModules(dir, policySdkDir);
  // The gRPC module the policy SDK itself uses, so the patch applies to its server.
  const grpcPath = require.resolve("@grpc/grpc-js", { paths: [policySdkDir] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path resolved at run time
  const grpc = require(grpcPath);
  const proto = grpc.Server.prototype;
  const original = { addService: proto.addService, bindAsync: proto.bindAsync };
  let handlers: Record<string, Handler> | undefined;
  proto.addService = function (_service: unknown, impl: Record<string, Handler>) {
    handlers = impl;
  };
  proto.bindAsync = function () {
    /* not bound: the handlers are called in-process */
  };
  try {
    construct();
  } finally {
    proto.addService = original.addService;
    proto.bindAsync = original.bindAsync;
  }
  if (!handlers) throw new Error(`${dir} did not construct a PolicyPack`);
  const info = await call<AnalyzerPb.AnalyzerInfo>(handlers.getAnalyzerInfo, {});
  const policies: PolicyInfo[] = info.getPoliciesList().map((p) => {
    const schema = p.getConfigschema();
    return {
      name: p.getName(),
      description: p.getDescription(),
      enforcementLevel: LEVEL_NAMES[p.getEnforcementlevel()] ?? "advisory",
      severity: ["", "low", "medium", "high", "critical"][p.getSeverity?.() ?? 0] ?? "",
      remediationSteps: p.getRemediationSteps?.() ?? "",
      tags: p.getTagsList?.() ?? [],
      configSchema: schema
        ? { properties: (schema.getProperties()?.toJavaScript() ?? {}) as Record<string, ConfigSchemaProperty>, required: schema.getRequiredList() }
        : undefined,
    };
  });
  const initialConfig: LoadedPack["initialConfig"] = {};
  info.getInitialconfigMap().forEach((c, k) => {
    // The protobuf enum has no "unset": an entry with properties only arrives as advisory (0) and is
    // read as such here (the engine's own conversion of this field was not verified).
    initialConfig[k] = { enforcementLevel: LEVEL_NAMES[c.getEnforcementlevel()], properties: c.getProperties()?.toJavaScript() ?? {} };
  });
  const pack = { dir, name: info.getName(), version: info.getVersion(), policies, policyNames: policies.map((p) => p.name), initialConfig, handlers };
  // Later evaluations naming this folder use this pack (a pack built in-process has no folder).
  if (!loaded.has(dir)) loaded.set(dir, Promise.resolve(pack));
  return pack;
}

function call<Resp = unknown>(handler: Handler, request: unknown): Promise<Resp> {
  return new Promise((resolve, reject) => handler({ request }, (err, resp) => (err ? reject(err) : resolve(resp as Resp))));
}

export class PolicyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyConfigError";
  }
}

interface Reconciled {
  enforcementLevel: Level;
  properties: Record<string, unknown>;
}

function split(policy: string, value: PolicyPackConfig[string]): { enforcementLevel?: Level; properties: Record<string, unknown> } {
  if (typeof value === "string") {
    if (!LEVELS.includes(value))
      throw new PolicyConfigError(`policy config for "${policy}": "${value}" is not an enforcement level (allowed: ${LEVELS.join(", ")})`);
    return { enforcementLevel: value, properties: {} };
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new PolicyConfigError(`policy config for "${policy}": must be an enforcement level or an object such as {"enforcementLevel": "advisory"}`);
  }
  const { enforcementLevel, ...properties } = value;
  if (enforcementLevel !== undefined && !LEVELS.includes(enforcementLevel)) {
    throw new PolicyConfigError(`policy config for "${policy}": enforcementLevel "${enforcementLevel}" is not one of ${LEVELS.join(", ")}`);
  }
  return { enforcementLevel, properties };
}

/**
 * The config the CLI hands a pack (pulumi/pulumi pkg/resource/analyzer/config.go,
 * ReconcilePolicyPackConfig): every policy with its default level and its config schema's
 * defaults, then the pack's initialConfig, then the given config ("all" first, then per policy),
 * validated against each policy's schema. A name that is not a policy of the pack is refused.
 */
export function reconcilePolicyConfig(pack: Pick<LoadedPack, "name" | "policies" | "initialConfig">, given: PolicyPackConfig = {}): Record<string, Reconciled> {
  const names = pack.policies.map((p) => p.name);
  for (const k of Object.keys(given)) {
    if (k !== "all" && !names.includes(k))
      throw new PolicyConfigError(`policy config names "${k}", which is not a policy of pack ${pack.name} (policies: ${names.join(", ")})`);
  }
  const result: Record<string, Reconciled> = {};
  for (const p of pack.policies) {
    const defaults: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(p.configSchema?.properties ?? {})) if (s && typeof s === "object" && "default" in s) defaults[k] = s.default;
    result[p.name] = { enforcementLevel: p.enforcementLevel, properties: defaults };
  }
  const apply = (cfg: Record<string, { enforcementLevel?: Level; properties: Record<string, unknown> }>) => {
    const all = cfg.all;
    if (all?.enforcementLevel) for (const k of Object.keys(result)) result[k] = { ...result[k], enforcementLevel: all.enforcementLevel };
    for (const [k, c] of Object.entries(cfg)) {
      if (k === "all" || !result[k]) continue;
      result[k] = { enforcementLevel: c.enforcementLevel ?? result[k].enforcementLevel, properties: { ...result[k].properties, ...c.properties } };
    }
  };
  apply(pack.initialConfig);
  apply(Object.fromEntries(Object.entries(given).map(([k, v]) => [k, split(k, v)])));
  const errors: string[] = [];
  for (const p of pack.policies) if (p.configSchema) errors.push(...validateAgainstSchema(p.name, p.configSchema, result[p.name].properties));
  if (errors.length > 0) throw new PolicyConfigError(`policy config of pack ${pack.name} is invalid: ${errors.join("; ")}`);
  return result;
}

/** The JSON Schema subset policy packs use for config: required, type, enum, items' type. */
function validateAgainstSchema(policy: string, schema: NonNullable<PolicyInfo["configSchema"]>, props: Record<string, unknown>): string[] {
  const errors: string[] = [];
  for (const r of schema.required ?? []) if (!(r in props)) errors.push(`${policy}: ${r} is required`);
  const typeOk = (t: string, v: unknown) =>
    t === "array"
      ? Array.isArray(v)
      : t === "integer"
        ? Number.isInteger(v)
        : t === "object"
          ? !!v && typeof v === "object" && !Array.isArray(v)
          : t === "null"
            ? v === null
            : typeof v === t;
  for (const [k, v] of Object.entries(props)) {
    const s = schema.properties?.[k];
    if (!s) continue;
    const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
    if (types.length > 0 && !types.some((t: string) => typeOk(t, v))) errors.push(`${policy}: ${k}: ${JSON.stringify(v)} is not of type ${types.join(" or ")}`);
    if (Array.isArray(s.enum) && !s.enum.some((e: unknown) => JSON.stringify(e) === JSON.stringify(v)))
      errors.push(`${policy}: ${k}: ${JSON.stringify(v)} is not one of ${JSON.stringify(s.enum)}`);
    if (Array.isArray(v) && s.items?.type)
      for (const x of v) if (!typeOk(s.items.type, x)) errors.push(`${policy}: ${k}: item ${JSON.stringify(x)} is not of type ${s.items.type}`);
  }
  return errors;
}

/** Kept for callers of the earlier API: the reconciled config's levels only. */
export function expandPolicyConfig(config: PolicyPackConfig, policyNames: string[]): PolicyPackConfig {
  const pack = {
    name: "pack",
    initialConfig: {},
    policies: policyNames.map((name) => ({ name, description: "", enforcementLevel: "advisory" as Level, severity: "", remediationSteps: "", tags: [] })),
  };
  const r = reconcilePolicyConfig(pack, config);
  const out: PolicyPackConfig = {};
  for (const k of Object.keys(config).includes("all") ? policyNames : Object.keys(config))
    out[k] = { enforcementLevel: r[k].enforcementLevel, ...r[k].properties };
  return out;
}

function configureRequest(config: Record<string, Reconciled>): AnalyzerPb.ConfigureAnalyzerRequest {
  const req = new analyzerProto.ConfigureAnalyzerRequest();
  const map = req.getPolicyconfigMap();
  for (const [policy, { enforcementLevel, properties }] of Object.entries(config)) {
    const pc = new analyzerProto.PolicyConfig();
    pc.setEnforcementlevel(LEVEL_VALUES[enforcementLevel]);
    pc.setProperties(structProto.Struct.fromJavaScript(properties as Record<string, StructPb.JavaScriptValue>));
    map.set(policy, pc);
  }
  return req;
}

const RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

/**
 * Properties as the engine marshals them for an analyzer (KeepResources false, pulumi/pulumi
 * sdk/go/common/resource/plugin/rpc.go MarshalPropertyValue): a resource reference becomes the
 * resource's id when it has one (unknown while it is not created), else its URN.
 */
export function engineView(v: Record<string, unknown>): Record<string, StructPb.JavaScriptValue>;
export function engineView(v: unknown): unknown;
export function engineView(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x: unknown) => engineView(x));
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o[SIG_KEY] === RESOURCE_REF_SIG) {
      if ("id" in o) return o.id === "" || o.id === undefined ? UNKNOWN_SENTINEL : o.id;
      return o.urn;
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = engineView(x);
    return out;
  }
  return v;
}

function options(r: RegisteredResource): AnalyzerPb.AnalyzerResourceOptions {
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

const resourceLabel = (urn: string) => {
  const parts = urn.split("::");
  return `${(parts[2] ?? "").split("$").pop()}::${parts[3] ?? urn}`;
};

/** The message without the policy's description, which the SDK prepends on its own line. */
function specificMessage(d: AnalyzerPb.AnalyzeDiagnostic): string {
  const msg: string = d.getMessage();
  const desc: string = d.getDescription();
  return desc && msg.startsWith(`${desc}\n`) ? msg.slice(desc.length + 1) : msg;
}

export interface PackSpec {
  dir: string;
  config?: PolicyPackConfig;
}

export interface EvaluateOptions {
  /** One pack (the earlier form); or `packs`. */
  packDir?: string;
  config?: PolicyPackConfig;
  packs?: PackSpec[];
  stackTags?: Record<string, string>;
  /**
   * false: send AnalyzeStack only, as a caller that never sends Analyze would (tests of the pack's
   * degraded mode). The engine always sends Analyze first.
   */
  analyze?: boolean;
}

// Packs share nothing with each other, but one pack's SDK module state (its config, stack tags)
// is set per evaluation: one evaluation at a time.
let queue: Promise<unknown> = Promise.resolve();

export function evaluatePolicies(resources: RegisteredResource[], opts: EvaluateOptions): Promise<Violation[]> {
  const next = queue.then(() => evaluateNow(resources, opts));
  queue = next.catch(() => undefined);
  return next;
}

/** Loads every pack and reconciles its config: all usage errors surface before any program runs. */
export async function preparePacks(specs: PackSpec[]): Promise<{ pack: LoadedPack; config: Record<string, Reconciled> }[]> {
  const out = [];
  for (const s of specs) {
    const pack = await loadPolicyPack(s.dir);
    out.push({ pack, config: reconcilePolicyConfig(pack, s.config) });
  }
  return out;
}

async function evaluateNow(resources: RegisteredResource[], opts: EvaluateOptions): Promise<Violation[]> {
  const specs = opts.packs ?? [{ dir: opts.packDir!, config: opts.config }];
  const prepared = await preparePacks(specs);
  const inputs = resources.map((r) => structProto.Struct.fromJavaScript(engineView(r.rawInputs)));
  const stackReq = new analyzerProto.AnalyzeStackRequest();
  stackReq.setResourcesList(
    resources.map((r) => {
      const a = new analyzerProto.AnalyzerResource();
      a.setType(r.type);
      a.setName(r.name);
      a.setUrn(r.urn);
      a.setProperties(structProto.Struct.fromJavaScript(engineView(r.rawOutputs)));
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

  const violations: Violation[] = [];
  for (const { pack, config } of prepared) {
    const h = pack.handlers;
    await call(h.configure, configureRequest(config));
    const tagsReq = new analyzerProto.AnalyzerStackConfigureRequest();
    for (const [k, v] of Object.entries(opts.stackTags ?? {})) tagsReq.getTagsMap().set(k, v);
    await call(h.configureStack, tagsReq);
    const collect = (resp: AnalyzerPb.AnalyzeResponse, phase: Phase, fallbackUrn?: string) => {
      for (const d of resp.getDiagnosticsList()) {
        const urn = d.getUrn() || fallbackUrn;
        violations.push({
          policy: d.getPolicyname(),
          pack: pack.name,
          level: LEVEL_NAMES[d.getEnforcementlevel()] ?? "advisory",
          resource: urn ? resourceLabel(urn) : "(stack)",
          urn,
          message: specificMessage(d),
          phase,
        });
      }
    };
    // Analyze: each resource with its inputs, as the engine sends them before the step.
    if (opts.analyze !== false) {
      for (const [i, r] of resources.entries()) {
        const req = new analyzerProto.AnalyzeRequest();
        req.setType(r.type);
        req.setName(r.name);
        req.setUrn(r.urn);
        req.setProperties(inputs[i]);
        req.setOptions(options(r));
        collect(await call(h.analyze, req), "resource", r.urn);
      }
    }
    // AnalyzeStack: every resource with its outputs, parent, dependencies and property dependencies.
    collect(await call(h.analyzeStack, stackReq), "stack");
  }
  return violations;
}
