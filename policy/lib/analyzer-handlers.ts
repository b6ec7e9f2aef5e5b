// The pack's Analyze and AnalyzeStack handlers: the policy SDK's own (1.21.0, server.js
// makeAnalyzeRpcFun, makeAnalyzeStackRpcFun) with one change, what the SDK builds for each policy
// is built once per request and handed to each policy in turn. The SDK rebuilds every resource
// object (options, provider, parent, dependency links) of an AnalyzeStack request for each of the
// pack's 13 stack policies: 65,000 objects on a 5,000-resource stack, which alone made the pack cost
// 2.2x an empty pack (issue 14: at most 1.5x); and an Analyze request's arguments (options,
// provider, props) for each of its 9 resource policies. Everything else is the SDK's rule, restated
// line for line: the level (the pack config's, the policy's, the pack's), `disabled` skipped,
// `remediate` read as mandatory, the type fast path and its not-applicable entries,
// reportViolation's two forms, an unknown value turned into an advisory "can't run ... during
// preview", notApplicable, any other error failing the request with the SDK's message, and the
// response built by the SDK's own protoutil.
//
// The restatement is exact only for the server.js it was written against, so it serves only when
// that file's SHA-256 is the pinned one (and AUDIT_TRAIL_MUST_SDK_MEMO is not "off"); any other SDK
// keeps its own handlers and the pack is merely slower. Configure and ConfigureStack still reach
// the SDK (its Remediate reads the same config); these handlers read the same requests.
// tests/policy/analyzer-handlers.test.ts runs the SDK's handlers and these on the same requests
// and compares the responses field by field.
//
// What Analyze decides per policy before a validation runs (skipped, not applicable, the level) is
// a function of the resource type and the pack config, so it is decided once per type (analyzePlan).
//
// Two deviations. On input the engine does not send: a resource whose properties cannot be
// deserialised (an asset or archive without its fields) fails the request when a policy first
// reads them, where the SDK fails it before the first policy runs. And `props` of the args and
// resources is an accessor on their prototype (ResourceArgs, StackResource), not an own property:
// a policy that enumerated or spread them would miss it; none of this pack's does.
//
// The shared objects are frozen: a policy that wrote to one would otherwise change what the next
// policy sees (the SDK gave each its own copy). None of this pack's policies writes; one that did
// would fail the request loudly, not change a verdict.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { PolicyPackArgs } from "@pulumi/policy";
import { PINNED_POLICY_SDK } from "./sdk-memo";

/** SHA-256 of @pulumi/policy 1.21.0's server.js, whose handlers these restate. */
export const PINNED_SERVER_SHA256 = "0aa32052092307cc6ed5ba39971f393e21876d91f7b24fca2aee90dc3dabd3a1";

/* eslint-disable @typescript-eslint/no-explicit-any -- protobuf messages and SDK internals are untyped here */
type Callback = (err: unknown, resp?: unknown) => void;
type Handler = (call: { request: any }, callback: Callback) => void;

export interface AnalyzerHandlersStatus {
  /** Whether Analyze and AnalyzeStack are served by these handlers. */
  active: boolean;
  /** Why not, when not active. */
  reason?: string;
  /** The SDK's own handlers, kept for the differential test. */
  sdk?: { analyze: Handler; analyzeStack: Handler };
}

export interface ServeOptions {
  /** Where the SDK is resolved from (the pack's folder; a benchmark's copy). */
  fromDir?: string;
}

/** Why these handlers cannot serve with the SDK in `sdkDir`, or undefined when it can. */
export function analyzerHandlersRefusal(sdkDir: string): string | undefined {
  if (process.env.AUDIT_TRAIL_MUST_SDK_MEMO === "off") return "AUDIT_TRAIL_MUST_SDK_MEMO=off";
  const version = String(JSON.parse(fs.readFileSync(path.join(sdkDir, "package.json"), "utf8")).version).replace(/^v/, "");
  if (version !== PINNED_POLICY_SDK) return `@pulumi/policy ${version} is not ${PINNED_POLICY_SDK}`;
  const sha = crypto
    .createHash("sha256")
    .update(fs.readFileSync(path.join(sdkDir, "server.js")))
    .digest("hex");
  if (sha !== PINNED_SERVER_SHA256) return `server.js has SHA-256 ${sha}, not the ${PINNED_SERVER_SHA256} these handlers restate`;
  return undefined;
}

/**
 * `new PolicyPack(name, args)`, with the pack's Analyze and AnalyzeStack handlers in place of the
 * SDK's when the SDK is the pinned one. The gRPC server's addService is wrapped only while the SDK
 * registers its service, and whatever addService is in place (the real one, or `npm run check`'s
 * capture) gets the handlers.
 */
export function servePolicyPack(name: string, args: PolicyPackArgs, options: ServeOptions = {}): AnalyzerHandlersStatus {
  const fromDir = options.fromDir ?? __dirname;
  const status: AnalyzerHandlersStatus = { active: false };
  let sdkDir: string;
  let grpc: { Server: { prototype: { addService: (service: unknown, impl: Record<string, Handler>) => void } } };
  try {
    sdkDir = path.dirname(require.resolve("@pulumi/policy/package.json", { paths: [fromDir] }));
    status.reason = analyzerHandlersRefusal(sdkDir);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the gRPC instance the SDK's server uses
    grpc = require(require.resolve("@grpc/grpc-js", { paths: [sdkDir] }));
  } catch (e) {
    status.reason = `not installed: ${(e as Error).message}`;
  }
  // The SDK instance resolved now, not at import: a test or benchmark that reloads the SDK gets the
  // PolicyPack of the instance it loaded (one pack per SDK module instance).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
  const { PolicyPack } = require(require.resolve("@pulumi/policy", { paths: [fromDir] })) as typeof import("@pulumi/policy");
  if (status.reason !== undefined) {
    new PolicyPack(name, args);
    return status;
  }
  const proto = grpc!.Server.prototype;
  const outer = proto.addService;
  proto.addService = function (this: unknown, service: unknown, impl: Record<string, Handler>) {
    if (impl && ["analyze", "analyzeStack", "configure", "configureStack"].every((k) => typeof impl[k] === "function")) {
      try {
        const version = String(JSON.parse(fs.readFileSync(path.join(process.cwd(), "package.json"), "utf8")).version);
        status.sdk = { analyze: impl.analyze, analyzeStack: impl.analyzeStack };
        impl = withSharedHandlers(impl, sdkDir, name, version, args.enforcementLevel || "advisory", args.policies ?? []);
        status.active = true;
      } catch (e) {
        status.reason = `not installed: ${(e as Error).message}`;
      }
    }
    return outer.call(this, service, impl);
  };
  try {
    new PolicyPack(name, args);
  } finally {
    proto.addService = outer;
  }
  if (!status.active && status.reason === undefined) status.reason = "the SDK registered no analyzer service";
  return status;
}

function withSharedHandlers(
  impl: Record<string, Handler>,
  sdkDir: string,
  packName: string,
  packVersion: string,
  packLevel: string,
  policies: any[],
): Record<string, Handler> {
  // The module instances server.js itself required (the engine's instanceof checks depend on it).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- modules of the SDK instance in use
  const sdk = (f: string) => require(path.join(sdkDir, f));
  const deserialize = sdk("deserialize.js");
  const proxy = sdk("proxy.js");
  const protoutil = sdk("protoutil.js");
  const policyMod = sdk("policy.js");
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the same proto instance as server.js
  const analyzerproto = require(require.resolve("@pulumi/pulumi/proto/analyzer_pb", { paths: [sdkDir] }));

  // server.js's module state, read from the same requests (configure, configureStack).
  let policyPackConfig: Record<string, Record<string, unknown>> = {};
  let stackTags = freezeMap(new Map());

  const configure: Handler = (call, callback) => {
    try {
      const config: Record<string, Record<string, unknown>> = {};
      for (const [k, v] of call.request.getPolicyconfigMap().entries()) {
        const props = v.getProperties().toJavaScript();
        props.enforcementLevel = protoutil.convertEnforcementLevel(v.getEnforcementlevel());
        config[k] = props;
      }
      policyPackConfig = config;
      analyzePlans.clear();
    } catch {
      // The SDK fails the same request with its own error and keeps the previous config; so does this.
    }
    impl.configure(call, callback);
  };

  const configureStack: Handler = (call, callback) => {
    try {
      const map = new Map();
      call.request.getTagsMap().forEach((v: unknown, k: unknown) => map.set(k, v));
      stackTags = freezeMap(map);
    } catch {
      // As above.
    }
    impl.configureStack(call, callback);
  };

  const makeGetConfig = (policyName: string) => () => {
    const c = policyPackConfig[policyName];
    if (!c) return {};
    const { enforcementLevel: _level, ...properties } = c;
    return properties;
  };

  const isTypeOf = (type: string, resourceClass: any): boolean => {
    const pulumiType = policyMod.getPulumiType(resourceClass);
    if (pulumiType) return type === pulumiType;
    const isInstance = resourceClass.isInstance;
    return isInstance && typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
  };

  const resourceOptions = (r: any) => {
    const opts = r.getOptions();
    if (!opts) {
      throw new Error("A more recent version of the Pulumi CLI is required. " + "To upgrade, see https://www.pulumi.com/docs/get-started/install/");
    }
    const timeouts = opts.getCustomtimeouts();
    const result: Record<string, unknown> = {
      protect: opts.getProtect(),
      ignoreChanges: opts.getIgnorechangesList(),
      aliases: opts.getAliasesList(),
      customTimeouts: {
        createSeconds: timeouts?.getCreate() ?? 0.0,
        updateSeconds: timeouts?.getUpdate() ?? 0.0,
        deleteSeconds: timeouts?.getDelete() ?? 0.0,
      },
      additionalSecretOutputs: opts.getAdditionalsecretoutputsList(),
    };
    if (opts.getDeletebeforereplacedefined()) result.deleteBeforeReplace = opts.getDeletebeforereplace();
    if (opts.getParent()) result.parent = opts.getParent();
    return result;
  };

  const providerResource = (r: any) => {
    const prov = r.getProvider();
    if (!prov) return undefined;
    const props = proxy.unknownCheckingProxy(deserialize.deserializeProperties(prov.getProperties(), false));
    return Object.freeze({ type: prov.getType(), props, urn: prov.getUrn(), name: prov.getName() });
  };

  /**
   * A resource's props as the SDK hands them (its proxy over its deserialisation), made when a
   * policy first reads them: the pack reads the properties of the types it judges only, so on a
   * stack of mostly other resources most are never deserialised (the SDK deserialises each for
   * every policy that runs on it).
   */
  const lazyProps = (struct: any) => {
    let props: any;
    let made = false;
    return () => {
      if (!made) {
        props = proxy.unknownCheckingProxy(deserialize.deserializeProperties(struct, false));
        made = true;
      }
      return props;
    };
  };

  /** What the SDK's Analyze builds for each validation, once per request; frozen (see above). */
  const analyzeParts = (req: any, type: string) => {
    const props = lazyProps(req.getProperties());
    return {
      props,
      urn: req.getUrn(),
      name: req.getName(),
      opts: Object.freeze(resourceOptions(req)),
      isType: (resourceClass: any) => isTypeOf(type, resourceClass),
      asType: (resourceClass: any) => (isTypeOf(type, resourceClass) ? props() : undefined),
      provider: providerResource(req),
    };
  };

  /** The SDK's per-policy list, once: same fields, same order, the same links; its resources frozen (see above). */
  const buildResources = (resources: any[]): readonly any[] => {
    const intermediates: { resource: any; parent: string; dependencies: string[]; propertyDependencies: Record<string, string[]> }[] = [];
    for (const r of resources) {
      const type = r.getType();
      const props = lazyProps(r.getProperties());
      const resource: any = new StackResource(
        type,
        props,
        r.getUrn(),
        r.getName(),
        resourceOptions(r),
        (resourceClass: any) => isTypeOf(type, resourceClass),
        (resourceClass: any) => (isTypeOf(type, resourceClass) ? props() : undefined),
      );
      const provider = providerResource(r);
      if (provider) resource.provider = provider;
      const propertyDependencies: Record<string, string[]> = {};
      const map = r.getPropertydependenciesMap();
      if (map) for (const [k, v] of map.entries()) propertyDependencies[k] = v.getUrnsList();
      intermediates.push({ resource, parent: r.getParent(), dependencies: r.getDependenciesList(), propertyDependencies });
    }
    const byUrn = new Map<string, any>();
    for (const i of intermediates) byUrn.set(i.resource.urn, i.resource);
    for (const i of intermediates) {
      if (i.parent) {
        const parent = byUrn.get(i.parent);
        if (parent) i.resource.parent = parent;
      }
      i.resource.dependencies = Object.freeze(i.dependencies.map((d) => byUrn.get(d)).filter((d) => d));
      for (const k of Object.keys(i.propertyDependencies)) {
        i.resource.propertyDependencies[k] = Object.freeze(i.propertyDependencies[k].map((d) => byUrn.get(d)).filter((d) => d));
      }
      Object.freeze(i.resource.propertyDependencies);
      Object.freeze(i.resource.opts);
    }
    // The list itself is not frozen: each policy gets its own copy (as from the SDK), and a
    // frozen array's slice takes V8's element-by-element path (13 policies x 5,000 resources).
    return intermediates.map((i) => Object.freeze(i.resource));
  };

  // One message per policy and reason, shared by the responses: a response is only serialised, and
  // the type fast path adds an entry per policy to every Analyze response of another type.
  const notApplicableMessages = new Map<string, any>();
  const pushNotApplicable = (list: any[] | undefined, policyName: string, reason?: string) => {
    const out = list ?? [];
    const key = `${policyName}\n${reason ?? ""}`;
    let na = notApplicableMessages.get(key);
    if (!na) {
      na = new analyzerproto.PolicyNotApplicable();
      na.setPolicyName(policyName);
      if (reason) na.setReason(reason);
      if (notApplicableMessages.size < 10_000) notApplicableMessages.set(key, na);
    }
    out.push(na);
    return out;
  };

  const makeReportViolation =
    (policyName: string, description: string, enforcementLevel: string, ds: any[], severity: unknown) => (message: any, urn?: string) => {
      if (typeof message === "object") {
        const info = message;
        ds.push({
          policyName: info.name || policyName,
          policyPackName: packName,
          policyPackVersion: packVersion,
          message: info.message || info.description || description,
          urn: info.urn,
          description: info.description || description,
          enforcementLevel: info.enforcementLevel || enforcementLevel,
          severity: info.severity || severity,
        });
      } else {
        let violationMessage = description;
        if (message) violationMessage += `\n${message}`;
        ds.push({
          policyName,
          policyPackName: packName,
          policyPackVersion: packVersion,
          message: violationMessage,
          urn,
          description,
          enforcementLevel,
          severity,
        });
      }
    };

  /** A policy's level: the pack config's, else the policy's, else the pack's. */
  const levelOf = (p: any): string => (policyPackConfig[p.name]?.enforcementLevel as string) || p.enforcementLevel || packLevel;

  /**
   * The SDK's handling of what a validation threw: an unknown value becomes an advisory "can't run
   * ... during preview" diagnostic carrying the policy's other fields, notApplicable an entry;
   * anything else fails the request. Returns the not-applicable list.
   */
  const caught = (e: unknown, p: any, validation: "validateResource" | "validateStack", ds: any[], notApplicable: any[] | undefined) => {
    const policyFrom = `policy '${p.name}' from policy pack '${packName}@v${packVersion}'`;
    if (e instanceof proxy.UnknownValueError) {
      const { [validation]: _v, name, ...diag } = p;
      ds.push({
        policyName: name,
        policyPackName: packName,
        policyPackVersion: packVersion,
        message: `can't run ${policyFrom} during preview: ${(e as Error).message}`,
        ...diag,
        enforcementLevel: "advisory",
      });
      return notApplicable;
    }
    if (e instanceof NotApplicableError) return pushNotApplicable(notApplicable, p.name, e.reason);
    throw protoutil.asGrpcError(e, `Error validating resource with ${policyFrom}`);
  };

  /**
   * Runs one request's policies and answers as the SDK does: the response built from the
   * diagnostics and not-applicable entries `run` collected, or the error that failed the request.
   */
  const answer = (callback: Callback, run: (ds: any[]) => Promise<any[] | undefined>) => {
    const ds: any[] = [];
    run(ds).then(
      (notApplicable) => callback(undefined, protoutil.makeAnalyzeResponse(ds, notApplicable)),
      (err) => callback(err, undefined),
    );
  };

  /**
   * What the SDK's Analyze loop decides for a resource type before any validation runs, in policy
   * order: the policies it skips (disabled, stack policies), the not-applicable entries it adds
   * (no validateResource, the type fast path), and the policies it runs with their level. A function
   * of the type and the pack config alone, so it is made once per type and dropped on Configure:
   * on a 5,000-resource stack the SDK's loop made 110,000 such decisions (and their messages) per
   * preview.
   */
  type AnalyzeStep = { na: any } | { policy: any; level: string; validations: any[]; getConfig: () => Record<string, unknown> };
  const analyzePlans = new Map<string, readonly AnalyzeStep[]>();
  const analyzePlan = (type: string): readonly AnalyzeStep[] => {
    let plan = analyzePlans.get(type);
    if (plan) return plan;
    const steps: AnalyzeStep[] = [];
    const na = (policyName: string, reason: string) => steps.push({ na: pushNotApplicable(undefined, policyName, reason)[0] });
    for (const p of policies) {
      let enforcementLevel = levelOf(p);
      if (enforcementLevel === "disabled" || !policyMod.isResourcePolicy(p)) continue;
      if (!p.validateResource) {
        na(p.name, "Policy does not implement validateResource");
        continue;
      }
      // A violation after a remediation ran is reported as mandatory, as the SDK does.
      if (enforcementLevel === "remediate") enforcementLevel = "mandatory";
      if (!Array.isArray(p.validateResource)) {
        const pulumiType = policyMod.getPulumiType(p.validateResource);
        if (pulumiType && type !== pulumiType) {
          na(p.name, `Policy only applies to resources of type '${pulumiType}'`);
          continue;
        }
      }
      const validations = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
      steps.push({ policy: p, level: enforcementLevel, validations, getConfig: makeGetConfig(p.name) });
    }
    plan = Object.freeze(steps);
    if (analyzePlans.size < 10_000) analyzePlans.set(type, plan);
    return plan;
  };

  const analyze: Handler = (call, callback) =>
    answer(callback, async (ds) => {
      const req = call.request;
      const type = req.getType();
      let notApplicable: any[] | undefined;
      let parts: ReturnType<typeof analyzeParts> | undefined;
      for (const step of analyzePlan(type)) {
        if ("na" in step) {
          (notApplicable ??= []).push(step.na);
          continue;
        }
        const p = step.policy;
        const reportViolation = makeReportViolation(p.name, p.description, step.level, ds, p.severity);
        for (const validation of step.validations) {
          try {
            parts ??= analyzeParts(req, type);
            const args = new ResourceArgs(type, parts, stackTags, step.getConfig);
            // Awaited only when it is a promise: the SDK's await of a plain result changes nothing
            // but the scheduling, and cost a microtask per policy and resource.
            const result = validation(args, reportViolation);
            if (result && typeof result.then === "function") await result;
          } catch (e) {
            notApplicable = caught(e, p, "validateResource", ds, notApplicable);
          }
        }
      }
      return notApplicable;
    });

  const analyzeStack: Handler = (call, callback) =>
    answer(callback, async (ds) => {
      const req = call.request;
      const resources = req.getResourcesList();
      let notApplicable: any[] | undefined;
      let shared: readonly any[] | undefined;
      let types: Set<string> | undefined;
      for (const p of policies) {
        let enforcementLevel = levelOf(p);
        if (enforcementLevel === "disabled" || !policyMod.isStackPolicy(p)) continue;
        // Stack policies cannot be remediated: the SDK treats the level as mandatory.
        if (enforcementLevel === "remediate") enforcementLevel = "mandatory";
        const pulumiType = policyMod.getPulumiType(p.validateStack);
        if (pulumiType && !(types ??= new Set(resources.map((r: any) => r.getType()))).has(pulumiType)) {
          notApplicable = pushNotApplicable(notApplicable, p.name, `Policy only applies to resources of type '${pulumiType}'`);
          continue;
        }
        const reportViolation = makeReportViolation(p.name, p.description, enforcementLevel as string, ds, p.severity);
        try {
          shared ??= buildResources(resources);
          const args = { resources: shared.slice(), getConfig: makeGetConfig(p.name), stackTags, notApplicable: throwNotApplicable };
          await Promise.resolve(p.validateStack(args, reportViolation));
        } catch (e) {
          notApplicable = caught(e, p, "validateStack", ds, notApplicable);
        }
      }
      return notApplicable;
    });

  return { ...impl, analyze, analyzeStack, configure, configureStack };
}

// The args and resources handed to policies: the SDK's fields, with `props` an accessor on the
// prototype that deserialises on first read (lazyProps). An object literal with a getter takes
// V8's slow path (an accessor defined at run time per object): 28 ms per preview of a
// 5,000-resource stack. Seen by a policy exactly as the SDK's, except that `props` is not an own
// key (Object.keys and spreading leave it out); no policy of this pack enumerates them.
class ResourceArgs {
  readonly #props: () => any;
  readonly type: string;
  readonly urn: string;
  readonly name: string;
  readonly opts: unknown;
  readonly stackTags: unknown;
  readonly isType: (resourceClass: any) => boolean;
  readonly asType: (resourceClass: any) => unknown;
  readonly getConfig: () => Record<string, unknown>;
  readonly notApplicable = throwNotApplicable;
  declare readonly provider?: unknown;
  constructor(
    type: string,
    parts: { props: () => any; urn: string; name: string; opts: unknown; isType: any; asType: any; provider?: unknown },
    stackTags: unknown,
    getConfig: () => Record<string, unknown>,
  ) {
    this.#props = parts.props;
    this.type = type;
    this.urn = parts.urn;
    this.name = parts.name;
    this.opts = parts.opts;
    this.stackTags = stackTags;
    this.isType = parts.isType;
    this.asType = parts.asType;
    this.getConfig = getConfig;
    if (parts.provider) this.provider = parts.provider;
  }
  get props() {
    return this.#props();
  }
}

class StackResource {
  readonly #props: () => any;
  dependencies: readonly unknown[] = [];
  propertyDependencies: Record<string, readonly unknown[]> = {};
  declare provider?: unknown;
  declare parent?: unknown;
  constructor(
    readonly type: string,
    props: () => any,
    readonly urn: string,
    readonly name: string,
    readonly opts: unknown,
    readonly isType: (resourceClass: any) => boolean,
    readonly asType: (resourceClass: any) => unknown,
  ) {
    this.#props = props;
  }
  get props() {
    return this.#props();
  }
}

class NotApplicableError extends Error {
  constructor(readonly reason?: string) {
    super(reason ?? "Policy does not apply");
  }
}

function throwNotApplicable(reason?: string): never {
  throw new NotApplicableError(reason);
}

/** server.js's read-only view of the stack tags. */
function freezeMap<K, V>(map: Map<K, V>) {
  return Object.freeze({
    entries: map.entries.bind(map),
    forEach: map.forEach.bind(map),
    get: map.get.bind(map),
    has: map.has.bind(map),
    keys: map.keys.bind(map),
    size: map.size,
    values: map.values.bind(map),
    [Symbol.iterator]: map[Symbol.iterator].bind(map),
  });
}
