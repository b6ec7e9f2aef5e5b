/**
 * Command-line parsing shared by every command of the project (`check`, `evidence *`): every bad
 * input gets a message naming the argument and what is allowed. Exit codes: ./exit-codes.ts.
 */

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** `strings`: a repeatable option (`--policy-pack a --policy-pack b`), collected in order. */
export type FlagType = "string" | "boolean" | "strings";

export interface FlagSpec {
  type: FlagType;
  /** What the value is, for messages (e.g. "ISO 8601 time"). */
  describe: string;
}

export type ParsedFlags = Record<string, string | boolean | string[] | undefined>;

/**
 * Parses `--name value`, `--name=value` and boolean `--name`. Unknown flags, missing values and
 * stray positional arguments are usage errors that list what is allowed.
 */
export function parseFlags(command: string, argv: string[], spec: Record<string, FlagSpec>): ParsedFlags {
  const values: ParsedFlags = {};
  const allowed = Object.keys(spec)
    .map((name) => `--${name}`)
    .join(", ");
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--") || arg === "--") {
      throw new UsageError(`${command}: unexpected argument "${arg}"; allowed options: ${allowed}`);
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq >= 0 ? eq : undefined);
    const flag = spec[name];
    if (!flag) throw new UsageError(`${command}: unknown option --${name}; allowed options: ${allowed}`);
    if (values[name] !== undefined && flag.type !== "strings") throw new UsageError(`${command}: --${name} was given more than once`);
    if (flag.type === "boolean") {
      if (eq >= 0) {
        const text = arg.slice(eq + 1);
        if (text !== "true" && text !== "false") throw new UsageError(`${command}: --${name} takes no value (or =true/=false), got "${text}"`);
        values[name] = text === "true";
      } else {
        values[name] = true;
      }
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith("--")) {
        throw new UsageError(`${command}: --${name} needs a value (${flag.describe})`);
      }
      i++;
    }
    if (value === "") throw new UsageError(`${command}: --${name} needs a non-empty value (${flag.describe})`);
    if (flag.type === "strings") {
      const previous = values[name];
      values[name] = [...(Array.isArray(previous) ? previous : []), value];
    } else {
      values[name] = value;
    }
  }
  return values;
}

export function requireString(command: string, flags: ParsedFlags, name: string, describe: string): string {
  const value = flags[name];
  if (typeof value !== "string") throw new UsageError(`${command}: --${name} is required (${describe})`);
  return value;
}

export function optionalString(flags: ParsedFlags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === "string" ? value : undefined;
}

/** The values of a repeatable (`strings`) option, in the order given; [] when absent. */
export function stringList(flags: ParsedFlags, name: string): string[] {
  const value = flags[name];
  return Array.isArray(value) ? value : [];
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Strict ISO 8601: `YYYY-MM-DD` (UTC midnight) or a date-time with an explicit zone (`Z` or
 * `+hh:mm`). A time without a zone is refused: audit times must state their zone (A1).
 */
export function parseIsoTime(command: string, name: string, text: string): Date {
  const allowed = `allowed: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z (or an explicit +hh:mm offset)`;
  let date: Date;
  const dateOnly = ISO_DATE.exec(text);
  if (dateOnly) {
    date = new Date(`${text}T00:00:00Z`);
    if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== text) {
      throw new UsageError(`${command}: --${name} "${text}" is not a valid date; ${allowed}`);
    }
    return date;
  }
  const m = ISO_DATE_TIME.exec(text);
  if (!m) {
    const hint = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? " (a time zone is required)" : "";
    throw new UsageError(`${command}: --${name} "${text}" is not an ISO 8601 time${hint}; ${allowed}`);
  }
  date = new Date(text);
  const [, y, mo, d, h, mi, s] = m;
  const inRange = +mo >= 1 && +mo <= 12 && +d >= 1 && +d <= 31 && +h <= 23 && +mi <= 59 && (s === undefined || +s <= 59);
  if (!inRange || Number.isNaN(date.getTime()) || new Date(`${y}-${mo}-${d}T00:00:00Z`).toISOString().slice(0, 10) !== `${y}-${mo}-${d}`) {
    throw new UsageError(`${command}: --${name} "${text}" is not a valid time; ${allowed}`);
  }
  return date;
}

export function parsePeriod(command: string, flags: ParsedFlags, required: boolean): { start?: Date; end?: Date } {
  const startText = optionalString(flags, "start");
  const endText = optionalString(flags, "end");
  if (required) {
    if (startText === undefined) throw new UsageError(`${command}: --start is required (ISO 8601 time, e.g. 2024-03-01T00:00:00Z)`);
    if (endText === undefined) throw new UsageError(`${command}: --end is required (ISO 8601 time, e.g. 2024-03-02T00:00:00Z)`);
  }
  const start = startText !== undefined ? parseIsoTime(command, "start", startText) : undefined;
  const end = endText !== undefined ? parseIsoTime(command, "end", endText) : undefined;
  if (start && end && start.getTime() > end.getTime()) {
    throw new UsageError(`${command}: --start (${startText}) is after --end (${endText}); the start must not be later than the end`);
  }
  return { start, end };
}

export function parsePositiveInteger(command: string, name: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || +text < 1 || +text > max) {
    throw new UsageError(`${command}: --${name} "${text}" must be a whole number from 1 to ${max}`);
  }
  return +text;
}

export function parseRegionList(command: string, text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const regions = text.split(",").map((r) => r.trim());
  for (const region of regions) {
    if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
      throw new UsageError(`${command}: --regions "${text}": "${region}" is not an AWS region name (e.g. eu-west-1); give a comma-separated list`);
    }
  }
  return regions;
}

/** One of a closed set of words (e.g. `--format table|csv|json`); `fallback` when not given. */
export function parseChoice<T extends string>(command: string, name: string, text: string | undefined, allowed: readonly T[], fallback: T): T {
  if (text === undefined) return fallback;
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw new UsageError(`${command}: --${name} "${text}" is not one of ${allowed.join(", ")}`);
}
