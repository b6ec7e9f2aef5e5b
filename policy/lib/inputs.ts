// What the program set, as the engine showed it to `Analyze`. The engine calls `Analyze` with each
// resource's inputs before its step and `AnalyzeStack` with the outputs after the last one, in the
// same pack process (one process per preview or update). On a create, a v7 bucket's optional-computed
// arguments (`objectLockEnabled`) and provider-computed mirrors (`objectLockConfiguration`,
// `serverSideEncryptionConfiguration`, `lifecycleRules`, `logging`, ...) are unknown in the outputs
// whether or not the program set them; the inputs say which. Without a recorded `Analyze` (a caller
// that sends `AnalyzeStack` only), nothing is recorded and the stack policies keep treating those
// values as undetermined: never a pass.
import { ResourceValidationArgs } from "@pulumi/policy";
import * as T from "./types";
import { plain, Props } from "./values";

export interface SeenInputs {
  type: string;
  name: string;
  /** Plain copy, unknowns as UNKNOWN. */
  props: Props;
}

/** The types whose inputs some policy reads (buckets, their configuration, trails). */
export const RECORDED_TYPES: ReadonlySet<string> = new Set<string>([
  ...T.BUCKET_TYPES,
  ...T.OBJECT_LOCK,
  ...T.ENCRYPTION,
  ...T.VERSIONING,
  ...T.LIFECYCLE,
  ...T.LOGGING,
  T.PUBLIC_ACCESS_BLOCK,
  T.ACCOUNT_PUBLIC_ACCESS_BLOCK,
  T.LOG_GROUP,
  T.TRAIL,
]);

const seen = new Map<string, SeenInputs>();
/** The seen inputs by their `bucket` input (a bucket's name, a configuration's bucket), in order seen. */
const byBucketName = new Map<string, SeenInputs[]>();
/** Log groups by their `name` input; account-level public access blocks, in order seen. */
const logGroupsByName = new Map<string, SeenInputs>();
const accountBlocks: SeenInputs[] = [];
let generation = 0;
let run: unknown;

/**
 * One run (preview or update) per ConfigureStack: the SDK replaces its stack tags object on each
 * ConfigureStack call, which the engine sends once when it starts the pack for a run, and hands
 * that object to every validation. A new object starts a new record, so a process that analyses
 * several runs (a test harness) never mixes them. An engine that sends no ConfigureStack keeps
 * the SDK's initial object: one process, one run.
 */
export function enterRun(stackTags: unknown): void {
  if (stackTags === run) return;
  run = stackTags;
  seen.clear();
  byBucketName.clear();
  logGroupsByName.clear();
  accountBlocks.length = 0;
  generation++;
}

/** Called by the pack's resource policies for every resource `Analyze` shows them. */
export function recordInputs(args: ResourceValidationArgs): SeenInputs | undefined {
  enterRun(args.stackTags);
  if (!RECORDED_TYPES.has(args.type)) return undefined;
  // The engine sends one Analyze per resource per run; the pack's other policies saw it already.
  const known = seen.get(args.urn);
  if (known) return known;
  const entry = { type: args.type, name: args.name, props: plain(args.props) };
  seen.set(args.urn, entry);
  const bucket = entry.props.bucket;
  if (typeof bucket === "string") {
    const list = byBucketName.get(bucket);
    if (list) list.push(entry);
    else byBucketName.set(bucket, [entry]);
  }
  if (entry.type === T.LOG_GROUP && typeof entry.props.name === "string") logGroupsByName.set(entry.props.name, entry);
  if (entry.type === T.ACCOUNT_PUBLIC_ACCESS_BLOCK) accountBlocks.push(entry);
  generation++;
  return entry;
}

/**
 * The inputs `Analyze` saw for this URN in this run, when they can belong to these outputs: every
 * input key is present in the outputs (the engine's outputs of a step always carry its inputs).
 */
export function inputsOf(urn: string, outputs: Record<string, unknown>): SeenInputs | undefined {
  const entry = seen.get(urn);
  if (!entry) return undefined;
  for (const k of Object.keys(entry.props)) if (!(k in outputs)) return undefined;
  return entry;
}

/** The log group whose `name` input is this name, when Analyze showed it. */
export function seenLogGroup(name: string): SeenInputs | undefined {
  return logGroupsByName.get(name);
}

/** The account-level public access blocks Analyze showed so far. */
export function seenAccountPublicAccessBlocks(): readonly SeenInputs[] {
  return accountBlocks;
}

/** The seen inputs whose `bucket` input is this name, in the order Analyze showed them. */
export function seenInputsNamingBucket(name: string): readonly SeenInputs[] {
  return byBucketName.get(name) ?? [];
}

/** Changes whenever `Analyze` records something: part of the stack model's cache key. */
export function inputsGeneration(): number {
  return generation;
}
