// Reading resource properties that may be unknown during a first preview, without letting one
// unknown value stop a whole check, and without ever passing a MUST check because of one.
//
// The engine hands policies props wrapped in the SDK's `unknownCheckingProxy`: reading an unknown
// throws `UnknownValueError`, which the analyzer turns into an advisory "can't run policy during
// preview" note. `plain` copies the proxied props into plain values with unknowns replaced by the
// UNKNOWN symbol, so a policy can judge every known item, report their violations, and at the end
// rethrow for the items it could not determine (`Undetermined`), which keeps the engine's note.
import { PolicyResource, UnknownValueError } from "@pulumi/policy";

export const UNKNOWN: unique symbol = Symbol("unknown during preview");
export type Unknown = typeof UNKNOWN;

export function isUnknown(v: unknown): v is Unknown {
  return v === UNKNOWN;
}

/**
 * Resource properties as the policy SDK types them (PolicyResource.props): provider-shaped JSON
 * whose shape depends on the resource type and provider version; policies check each value they
 * read (typeof, isUnknown) rather than trust a declared shape.
 */
export type Props = PolicyResource["props"];
/** One property value, as the SDK types it. */
export type PropValue = Props[string];

// The SDK's proxy (proxy.js) exposes its target under this key and treats exactly these sentinel
// strings as unknown. Copying the target and comparing sentinels gives the same copy as reading
// through the proxy, without the proxy's throw of an UnknownValueError (an Error with a stack) per
// unknown value: on a first preview of a large stack that was the pack's largest cost. Read from
// the SDK the pack resolves; absent (another SDK shape), every copy reads through the proxy.
const PROXY_TARGET = "__getSpecialProxyTarget";
const IS_PROXY = "__isSpecialProxy";
const SENTINELS: ReadonlySet<string> = (() => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK's internal module, guarded
    const p = require("@pulumi/policy/proxy") as Record<string, unknown>;
    const names = ["Boolean", "Number", "String", "Array", "Asset", "Archive", "Object"].map((t) => p[`unknown${t}Value`]);
    if (p.isSpecialProxy !== IS_PROXY || p.getSpecialProxyTarget !== PROXY_TARGET || !names.every((v) => typeof v === "string")) return new Set();
    return new Set(names as string[]);
  } catch {
    return new Set();
  }
})();

/** A deep plain copy of (possibly proxied) props; unknown values become UNKNOWN. */
export function plain(value: Props): Props;
export function plain(value: unknown): unknown;
export function plain(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (SENTINELS.size > 0 && (value as Record<string, unknown>)[IS_PROXY] === true) {
    return rawCopy((value as Record<string, unknown>)[PROXY_TARGET]);
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    // Index access, not array methods: array methods on the engine's proxy have thrown V8
    // TypeErrors in the past (the policy SDK's proxied resource inputs).
    for (let i = 0; i < value.length; i++) out.push(read(value, i));
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = read(value, key);
  return out;
}

/** The copy `plain` makes through the proxy, made from the proxy's target. */
function rawCopy(value: unknown): unknown {
  if (typeof value === "string") return SENTINELS.has(value) ? UNKNOWN : value;
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = rawCopy(value[i]);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = rawCopy((value as Record<string, unknown>)[key]);
  return out;
}

function read(obj: object, key: string | number): unknown {
  try {
    return plain((obj as Record<string | number, unknown>)[key]);
  } catch (e) {
    if (e instanceof UnknownValueError) return UNKNOWN;
    throw e;
  }
}

// The sentinel Pulumi uses for an unknown string; UnknownValueError needs one to describe itself.
const UNKNOWN_STRING_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

// The SDK's typings leave the class untyped (its declaration is internal); its constructor is
// (sentinel, property path).
const UnknownValueErrorClass = UnknownValueError as unknown as new (sentinel: string, props: string[]) => Error;

/** Raised at the end of a check for the items it could not judge: the engine reports it. */
export class UndeterminedDuringPreview extends UnknownValueErrorClass {
  constructor(readonly items: string[]) {
    super(UNKNOWN_STRING_SENTINEL, []);
    this.message = `cannot be determined during preview (values not known until the update): ${items.join("; ")}`;
  }
}

export class Undetermined {
  private readonly items: string[] = [];
  add(item: string): void {
    this.items.push(item);
  }
  get any(): boolean {
    return this.items.length > 0;
  }
  /** Call last, after every determinable violation has been reported. */
  raiseIfAny(): void {
    if (this.items.length > 0) throw new UndeterminedDuringPreview(this.items);
  }
}

/** "The value is set": an unknown value is the output of another resource, so it is set. */
export function isSet(v: unknown): boolean {
  return isUnknown(v) || (v !== undefined && v !== null && v !== "");
}

/**
 * A value for a message. Template literals throw on a symbol ("Cannot convert a Symbol value to a
 * string"), and the engine would fail the whole preview: every message renders values through this.
 */
export function show(v: unknown): string {
  if (isUnknown(v)) return "(unknown until the update)";
  if (v === undefined || v === null) return "unset";
  if (typeof v === "string") return v;
  try {
    return JSON.stringify(v, (_k, x) => (isUnknown(x) ? "(unknown)" : x));
  } catch {
    return String(v);
  }
}

/** The first of `values` that is a known string, else the fallback (a resource's logical name). */
export function labelOf(fallback: string, ...values: unknown[]): string {
  for (const v of values) if (typeof v === "string" && v !== "") return v;
  return fallback;
}

export function asArray<T = PropValue>(v: unknown): T[] {
  if (v === undefined || v === null || isUnknown(v)) return [];
  return Array.isArray(v) ? (v as T[]) : [v as T];
}
