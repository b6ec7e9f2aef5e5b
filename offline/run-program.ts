// Runs a Pulumi TypeScript program under Pulumi's own mocked runtime and records every resource
// registration as the engine receives it: type, name, URN, parent, resource options, the inputs
// with unknown values intact, dependencies and property dependencies. Shared by the unit tests
// and the offline policy check (`npm run check`, README "Set-up").
import * as path from "path";
import * as util from "util";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as settings from "@pulumi/pulumi/runtime/settings";
import type { RegisterResourceRequest, RegisterResourceResponse } from "@pulumi/pulumi/proto/resource_pb";
// Internal to the SDK (not in its typings): the runtime store and the RPC queue drain.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an SDK-internal module without typings
const { getStore } = require("@pulumi/pulumi/runtime/state") as { getStore(): Record<string, unknown> };
const waitForRPCs: () => Promise<void> = (settings as unknown as { waitForRPCs: () => Promise<void> }).waitForRPCs;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- generated protobuf code without typings
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain JavaScript (also preloaded with node -r)
const transpileHook: { install(root: string): void } = require("./transpile-hook.js");
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain JavaScript (it wraps Module._load)
const buildCache: { serveCachedEsbuild(): () => void } = require("./build-cache.js");
const structFromJs = (o: Record<string, unknown>) => Struct.fromJavaScript(o);

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
/** The value of every secret wrapper ({sig, value}); rawInputs keep the wrappers. */
function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v && typeof v === "object") {
    if ((v as Record<string, unknown>)[SECRET_SIG] !== undefined && "value" in v) return unwrapSecrets(v.value);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

/** How the engine marks a value not known until the update (pulumi/sdk rpc `unknownValue`). */
export const UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
import { EstateMocks, PROVIDER_COMPUTED_MIRRORS } from "./mocks";
import { loadStackConfig, StackConfig } from "./stack-config";

export interface RegisteredResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent?: string;
  provider?: string;
  protect: boolean;
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  ignoreChanges: string[];
  aliases: string[];
  additionalSecretOutputs: string[];
  customTimeouts?: { create?: string; update?: string; delete?: string };
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  /** Inputs as the engine receives them (protobuf Struct as JS), unknown sentinels included. */
  rawInputs: Record<string, unknown>;
  /** Inputs deserialised with secrets unwrapped (unknowns dropped), for the tests' assertions. */
  inputs: pulumi.runtime.MockResourceArgs["inputs"];
  /** Outputs as the engine would hold them after the step, in the same raw form. */
  rawOutputs: Record<string, unknown>;
  id?: string;
}

/** Records the full RegisterResourceRequest, then lets Pulumi's MockMonitor do the rest. */
class RecordingMonitor extends MockMonitor {
  readonly registrations: RegisteredResource[] = [];

  constructor(private readonly estateMocks: EstateMocks) {
    super(estateMocks);
  }

  /**
   * What the engine holds as a resource's outputs. On a first preview: the inputs, plus every
   * output the provider computes (ids, ARNs) as unknown.
   */
  private outputsOf(type: string, name: string, custom: boolean, rawInputs: Record<string, unknown>, resp: RegisterResourceResponse): Record<string, unknown> {
    if (this.estateMocks.options.knownOutputs || !custom) return (resp.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
    const computed = this.estateMocks.computed(type, name, pulumi.runtime.deserializeProperties(structFromJs(rawInputs))).state;
    const computedKeys = ["id", ...Object.keys(computed), ...(PROVIDER_COMPUTED_MIRRORS[type] ?? [])];
    const unknowns = Object.fromEntries(computedKeys.filter((k) => !(k in rawInputs)).map((k) => [k, UNKNOWN_SENTINEL]));
    return { ...rawInputs, ...unknowns };
  }

  async registerResource(req: RegisterResourceRequest, callback: (err: unknown, resp: RegisterResourceResponse | undefined) => void): Promise<void> {
    const rawInputs = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps, key) => {
      propertyDependencies[key] = deps.getUrnsList();
    });
    const timeouts = req.getCustomtimeouts();
    const record: Omit<RegisteredResource, "urn" | "rawOutputs" | "id"> = {
      type: req.getType(),
      name: req.getName(),
      custom: req.getCustom(),
      parent: req.getParent() || undefined,
      provider: req.getProvider() || undefined,
      protect: !!req.getProtect(),
      retainOnDelete: !!req.getRetainondelete(),
      deleteBeforeReplace: !!req.getDeletebeforereplace(),
      ignoreChanges: req.getIgnorechangesList(),
      aliases: req.getAliasurnsList(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      customTimeouts: timeouts ? { create: timeouts.getCreate(), update: timeouts.getUpdate(), delete: timeouts.getDelete() } : undefined,
      dependencies: req.getDependenciesList(),
      propertyDependencies,
      rawInputs,
      inputs: unwrapSecrets(pulumi.runtime.deserializeProperties(req.getObject()!)),
    };
    return super.registerResource(req, (err: unknown, resp: RegisterResourceResponse | undefined) => {
      if (!err && resp) {
        this.registrations.push({
          ...record,
          urn: resp.getUrn(),
          id: resp.getId() || undefined,
          rawOutputs: this.outputsOf(record.type, record.name, record.custom, rawInputs, resp),
        });
      }
      callback(err, resp);
    });
  }
}

export interface RunOptions {
  /** Directory holding Pulumi.yaml, Pulumi.<stack>.yaml and the program (package.json "main"). */
  programDir: string;
  stack: string;
  /**
   * false (default): first preview of a new stack (dry run), computed outputs unknown. true: the
   * program runs as in `pulumi up` (not a dry run: `pulumi.runtime.isDryRun()` is false), outputs
   * known.
   */
  knownOutputs?: boolean;
  /** Where the program's console.log/info/debug go (default: stdout, as under the CLI). */
  programOutput?: (line: string) => void;
  /** Replace or add config values (`namespace:key` -> string) after the stack file is read. */
  configOverrides?: Record<string, string | undefined>;
}

export interface ProgramRun {
  stackConfig: StackConfig;
  resources: RegisteredResource[];
  /** Stack outputs (the program's exports), resolved. */
  outputs: Record<string, unknown>;
}

/** Thrown when the program itself fails (bad config, an exception): its message is the cause. */
export class ProgramError extends Error {
  constructor(
    message: string,
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = "ProgramError";
  }
}

/**
 * Removes from require.cache what a run loaded under the program's folder, so the next run
 * executes the program's modules afresh (no state shared between runs). Modules the caller had
 * loaded before the run (this project's tests import cli/, evidence/, cloudtrail/ ... which are
 * under the same folder) are the caller's and stay: evicting them made a lazily required module
 * load a second copy beside the caller's, whose classes then failed `instanceof` (a UsageError
 * reported as "could not complete" once a program had run before the CLI tests).
 */
function forgetModulesLoadedSince(before: ReadonlySet<string>, programDir: string): void {
  const root = path.resolve(programDir) + path.sep;
  for (const id of Object.keys(require.cache)) {
    if (!before.has(id) && id.startsWith(root) && !id.includes(`${path.sep}node_modules${path.sep}`)) delete require.cache[id];
  }
}

// One program at a time: the runtime's state is global to the process.
let running: Promise<unknown> = Promise.resolve();

export function runProgram(options: RunOptions): Promise<ProgramRun> {
  const next = running.then(() => runProgramNow(options));
  running = next.catch(() => undefined);
  return next;
}

async function runProgramNow(options: RunOptions): Promise<ProgramRun> {
  const stackConfig = loadStackConfig(options.programDir, options.stack);
  const config = { ...stackConfig.config };
  for (const [k, v] of Object.entries(options.configOverrides ?? {})) {
    if (v === undefined) delete config[k];
    else config[k] = v;
  }
  const region = config["aws:region"] ?? "us-east-1";
  const mocks = new EstateMocks({ region, knownOutputs: !!options.knownOutputs });
  const monitor = new RecordingMonitor(mocks);

  // What `setMocks` does, with our monitor: a dry run as `pulumi preview` runs the program, or not
  // (known outputs) as `pulumi up` does.
  const dryRun = !options.knownOutputs;
  await pulumi.runtime.setMocks(mocks, stackConfig.project, stackConfig.stack, dryRun);
  settings.setMockOptions(monitor, stackConfig.project, stackConfig.stack, dryRun);
  const store = getStore();
  Object.assign(store, {
    supportsSecrets: true,
    supportsResourceReferences: true,
    supportsOutputValues: false,
    supportsDeletedWith: true,
    supportsReplaceWith: true,
    supportsAliasSpecs: true,
    supportsTransforms: true,
    supportsInvokeTransforms: true,
    supportsParameterization: true,
    supportsResourceHooks: true,
    supportsErrorHooks: true,
    supportsInvokeDependsOn: false,
  });
  pulumi.runtime.setAllConfig(
    config,
    stackConfig.secretKeys.filter((k) => k in config),
  );

  const entry = path.resolve(options.programDir);
  // Fresh modules every run (no state shared between runs), transpiled once per source text.
  transpileHook.install(entry);
  const loadedBefore = new Set(Object.keys(require.cache));
  // What the language host treats as a failed run (@pulumi/pulumi cmd/run/run.js): an uncaught
  // exception or unhandled rejection (an apply that throws, a registration the monitor refused, a
  // closure that cannot be serialised), or any error logged through pulumi.log.
  const failures: unknown[] = [];
  const onRejection = (reason: unknown) => failures.push(reason);
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onRejection);
  (store as { logErrorCount?: number }).logErrorCount = 0;
  // The CLI runs the program in its project folder (programs read files such as ./www relative to it).
  const cwd = process.cwd();
  process.chdir(entry);
  const consoleOut = { log: console.log, info: console.info, debug: console.debug };
  const stopServingBuildCache = buildCache.serveCachedEsbuild();
  if (options.programOutput) {
    const to = options.programOutput;
    console.log = console.info = console.debug = (...args: unknown[]) => to(args.map((a) => (typeof a === "string" ? a : util.inspect(a))).join(" "));
  }
  // The runtime reads `new Error().stack` for every promise and registration; with ts-node's
  // source-map support each read maps every frame, which was a third of a run's time. V8's own
  // formatting during the run; messages are unchanged.
  const sourceMappedTraces = Error.prepareStackTrace;
  (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
  // The runtime also stamps a stack on every promise it makes (debuggable.js, for its leak report);
  // none is read here, and the check reports a failing program by its message. Resource source
  // positions still get their full stack (Resource.callsites raises the limit itself).
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let outputs: Record<string, unknown>;
  try {
    outputs = (await pulumi.runtime.runInPulumiStack(async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program's entry is known only at run time
      const mod = require(entry);
      // A program may export a function (`export = async () => ...`) as the CLI allows.
      const exported = typeof mod === "function" ? await mod() : typeof mod?.default === "function" ? await mod.default() : mod;
      return exported;
    })) as Record<string, unknown>;
    await waitForRPCs();
    // A rejection is reported after the microtask queue drains: one macrotask more.
    await new Promise((resolve) => setImmediate(resolve));
  } catch (e) {
    throw new ProgramError(programMessage(e), e);
  } finally {
    Error.prepareStackTrace = sourceMappedTraces;
    Error.stackTraceLimit = stackTraceLimit;
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onRejection);
    process.chdir(cwd);
    Object.assign(console, consoleOut);
    stopServingBuildCache();
    forgetModulesLoadedSince(loadedBefore, entry);
  }
  if (failures.length > 0) throw new ProgramError(programMessage(failures[0]), failures[0]);
  const logged = (store as { logErrorCount?: number }).logErrorCount ?? 0;
  if (logged > 0) throw new ProgramError(`the program logged ${logged} error(s) through pulumi.log (printed above); a real preview fails the same way`);
  return { stackConfig, resources: monitor.registrations, outputs: outputs ?? {} };
}

function programMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
