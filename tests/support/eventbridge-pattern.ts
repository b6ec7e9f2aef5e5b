// Test helper: EventBridge event-pattern matching, written from AWS's user guide, because no kept npm
// library implements it faithfully (arrays of objects, anything-but forms). Its own tests
// (tests/support/eventbridge-pattern.test.ts) are the guide's examples.
//
// Semantics (Amazon EventBridge User Guide):
// - "Creating event patterns" https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html:
//   every field of the pattern must match (AND); the values listed for a field are alternatives
//   (OR); an event field that is an array matches when any of its values matches.
// - "Content filtering" https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
//   and the operator table https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html:
//   prefix, suffix, equals-ignore-case (also inside prefix/suffix), wildcard, anything-but (a value,
//   a list, or prefix / suffix / equals-ignore-case / wildcard), numeric, cidr, exists, $or.
// - Arrays of objects: EventBridge runs on aws/event-ruler, which matches "array-consistently": fields
//   matched from different elements of the same array do not make a match
//   (https://github.com/aws/event-ruler, README "Array Consistency"). Here: a sub-pattern under an
//   array of objects must be satisfied by one element.
// Anything the guide does not allow (a leaf that is not an array, an unknown operator) throws, so a
// malformed pattern in the program fails its test instead of matching nothing.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Pattern = { [key: string]: unknown };

export class InvalidPatternError extends Error {}

/** True when EventBridge would deliver `event` to a rule with `pattern`. */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (!isPlainObject(pattern)) throw new InvalidPatternError(`an event pattern is a JSON object (got ${JSON.stringify(pattern)})`);
  return matchObject(pattern, event as Json, "");
}

function matchObject(pattern: Pattern, value: Json | undefined, at: string): boolean {
  // Under an array of objects, one element must satisfy the whole sub-pattern (array consistency).
  if (Array.isArray(value)) {
    const elements = flatten(value);
    if (elements.some((e) => isPlainObject(e) && matchObject(pattern, e, at))) return true;
    // No element object: evaluate as absent (only exists:false-style patterns can still match).
    return elements.every((e) => !isPlainObject(e)) && matchObject(pattern, undefined, at);
  }
  const obj = isPlainObject(value) ? (value as { [k: string]: Json }) : undefined;
  for (const [key, sub] of Object.entries(pattern)) {
    const path = at === "" ? key : `${at}.${key}`;
    if (key === "$or") {
      if (!Array.isArray(sub) || sub.length < 2) throw new InvalidPatternError(`${path}: $or takes an array of at least two patterns`);
      if (!sub.some((alt) => (isPlainObject(alt) ? matchObject(alt, value, at) : invalid(path, "each $or alternative is an object")))) return false;
      continue;
    }
    const field = obj?.[key];
    if (Array.isArray(sub)) {
      if (!matchLeaf(sub, field, path)) return false;
    } else if (isPlainObject(sub)) {
      if (!matchObject(sub, field, path)) return false;
    } else {
      throw new InvalidPatternError(`${path}: a pattern value is an array of matchers or a nested object (got ${JSON.stringify(sub)})`);
    }
  }
  return true;
}

function invalid(path: string, what: string): never {
  throw new InvalidPatternError(`${path}: ${what}`);
}

/** The leaf values an event field contributes: scalars, with arrays flattened; objects are not leaves. */
function leafValues(field: Json | undefined): Array<string | number | boolean | null> {
  if (field === undefined) return [];
  if (Array.isArray(field)) return flatten(field).filter((v) => !isPlainObject(v)) as Array<string | number | boolean | null>;
  if (isPlainObject(field)) return [];
  return [field as string | number | boolean | null];
}

function flatten(values: Json[]): Json[] {
  return values.flatMap((v) => (Array.isArray(v) ? flatten(v) : [v]));
}

function matchLeaf(matchers: unknown[], field: Json | undefined, path: string): boolean {
  if (matchers.length === 0) throw new InvalidPatternError(`${path}: an empty list matches nothing and EventBridge rejects it`);
  const values = leafValues(field);
  return matchers.some((m) => {
    if (isPlainObject(m)) {
      const keys = Object.keys(m);
      if (keys.length !== 1) throw new InvalidPatternError(`${path}: one operator per matcher (got ${keys.join(", ")})`);
      const [op] = keys;
      const arg = (m as Pattern)[op];
      if (op === "exists") {
        if (typeof arg !== "boolean") invalid(path, "exists takes true or false");
        return arg ? values.length > 0 : values.length === 0;
      }
      return values.some((v) => matchOperator(op, arg, v, path));
    }
    if (m !== null && typeof m !== "string" && typeof m !== "number" && typeof m !== "boolean") {
      throw new InvalidPatternError(`${path}: ${JSON.stringify(m)} is not a value or an operator`);
    }
    return values.some((v) => v === m);
  });
}

function matchOperator(op: string, arg: unknown, v: string | number | boolean | null, path: string): boolean {
  switch (op) {
    case "prefix":
      return typeof v === "string" && affix(arg, path, (s, ci) => (ci ? v.toLowerCase().startsWith(s.toLowerCase()) : v.startsWith(s)));
    case "suffix":
      return typeof v === "string" && affix(arg, path, (s, ci) => (ci ? v.toLowerCase().endsWith(s.toLowerCase()) : v.endsWith(s)));
    case "equals-ignore-case":
      if (typeof arg !== "string") invalid(path, "equals-ignore-case takes a string");
      return typeof v === "string" && v.toLowerCase() === (arg as string).toLowerCase();
    case "wildcard":
      if (typeof arg !== "string") invalid(path, "wildcard takes a string");
      return typeof v === "string" && wildcardRegex(arg as string).test(v);
    case "numeric":
      return typeof v === "number" && numeric(arg, v, path);
    case "cidr":
      if (typeof arg !== "string") invalid(path, "cidr takes a string");
      return typeof v === "string" && inCidr(v, arg as string, path);
    case "anything-but":
      return anythingBut(arg, v, path);
    default:
      throw new InvalidPatternError(`${path}: unknown operator "${op}"`);
  }
}

/** prefix / suffix take a string, or { "equals-ignore-case": string }. */
function affix(arg: unknown, path: string, test: (s: string, caseInsensitive: boolean) => boolean): boolean {
  if (typeof arg === "string") return test(arg, false);
  if (isPlainObject(arg) && typeof (arg as Pattern)["equals-ignore-case"] === "string" && Object.keys(arg).length === 1) {
    return test((arg as Pattern)["equals-ignore-case"] as string, true);
  }
  return invalid(path, `prefix/suffix take a string or {"equals-ignore-case": string} (got ${JSON.stringify(arg)})`);
}

function anythingBut(arg: unknown, v: string | number | boolean | null, path: string): boolean {
  if (typeof arg === "string" || typeof arg === "number") return v !== arg;
  if (Array.isArray(arg)) {
    if (!arg.every((a) => typeof a === "string") && !arg.every((a) => typeof a === "number")) {
      invalid(path, "anything-but lists hold only strings or only numbers");
    }
    return !arg.includes(v as never);
  }
  if (isPlainObject(arg)) {
    const [op, ...rest] = Object.keys(arg);
    if (rest.length > 0) invalid(path, "anything-but takes one operator");
    const inner = (arg as Pattern)[op];
    const list = Array.isArray(inner) ? inner : [inner];
    if (!list.every((s) => typeof s === "string")) invalid(path, `anything-but ${op} takes a string or a list of strings`);
    if (typeof v !== "string") return false;
    switch (op) {
      case "prefix":
        return list.every((s) => !v.startsWith(s as string));
      case "suffix":
        return list.every((s) => !v.endsWith(s as string));
      case "equals-ignore-case":
        return list.every((s) => v.toLowerCase() !== (s as string).toLowerCase());
      case "wildcard":
        return list.every((s) => !wildcardRegex(s as string).test(v));
      default:
        return invalid(path, `anything-but does not take "${op}"`);
    }
  }
  return invalid(path, `anything-but takes a value, a list or an operator (got ${JSON.stringify(arg)})`);
}

/** "*" is any run of characters; "\*" a literal star, "\\" a literal backslash (operator table). */
function wildcardRegex(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\" && (pattern[i + 1] === "*" || pattern[i + 1] === "\\")) {
      re += `\\${pattern[++i]}`;
    } else if (c === "*") {
      re += ".*";
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    }
  }
  return new RegExp(`^${re}$`, "s");
}

function numeric(arg: unknown, v: number, path: string): boolean {
  if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0 || arg.length > 4) {
    invalid(path, "numeric takes [op, number] or [op, number, op, number]");
  }
  const pairs = arg as unknown[];
  for (let i = 0; i < pairs.length; i += 2) {
    const [op, n] = [pairs[i], pairs[i + 1]];
    if (typeof n !== "number") invalid(path, `numeric operand ${JSON.stringify(n)} is not a number`);
    const ok =
      op === "="
        ? v === n
        : op === "<"
          ? v < (n as number)
          : op === "<="
            ? v <= (n as number)
            : op === ">"
              ? v > (n as number)
              : op === ">="
                ? v >= (n as number)
                : invalid(path, `numeric operator ${JSON.stringify(op)}`);
    if (!ok) return false;
  }
  return true;
}

/** IPv4 CIDR only (the estate's patterns use none; IPv6 is refused rather than guessed). */
function inCidr(ip: string, cidr: string, path: string): boolean {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr);
  if (m === null) return invalid(path, `cidr ${JSON.stringify(cidr)}: only IPv4 CIDR blocks are implemented`);
  const toInt = (s: string) => s.split(".").reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return false;
  const bits = Number(m[2]);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (toInt(ip) & mask) === (toInt(m[1]) & mask);
}

function isPlainObject(v: unknown): v is Pattern {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * A CloudTrail record as EventBridge delivers it: the "AWS API Call via CloudTrail" envelope
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html), with
 * `source` taken from the record's eventSource (monitoring.amazonaws.com -> aws.monitoring, see
 * policy/lib/tamper-events.ts EVENTBRIDGE_SOURCES). Sign-in events arrive as "AWS Console Sign In
 * via CloudTrail" with source aws.signin.
 */
export function cloudTrailEnvelope(record: Record<string, unknown>, overrides: { account?: string } = {}): Record<string, unknown> {
  const eventSource = String(record.eventSource);
  const signIn = eventSource === "signin.amazonaws.com";
  return {
    version: "0",
    id: "6f87d04b-9f74-4f04-a780-7acf4b0a9b38",
    "detail-type": signIn ? "AWS Console Sign In via CloudTrail" : "AWS API Call via CloudTrail",
    source: `aws.${eventSource.split(".")[0]}`,
    account: overrides.account ?? record.recipientAccountId ?? (record.userIdentity as { accountId?: string } | undefined)?.accountId,
    time: record.eventTime,
    region: record.awsRegion,
    resources: [],
    detail: record,
  };
}
