// Object keys are generated or validated here, never taken from the request as they are (E12).
// Pure functions: no AWS calls, no clock, no randomness (the caller passes date and id in).

/**
 * Upper bound for any key this API signs. S3 allows 1024 bytes; a generated key needs at most
 * ~335 (root 132 + account 13 + role 65 + date 11 + uuid 36 + "-" + name 128), so 512 leaves
 * room for keys written by other tools under the same prefix and still rejects absurd input
 * early. Keys are ASCII only, so characters = bytes.
 */
export const MAX_OBJECT_KEY_LENGTH = 512;
/** A client-proposed file name: one path segment of at most 128 characters. */
export const MAX_FILE_NAME_LENGTH = 128;

// ASCII allowlist. Anything else is refused rather than rewritten, so that traversal ("..", "%2e"),
// separators ("\\", "%2f"), control characters, NUL and Unicode look-alikes (U+FF0F fullwidth
// solidus, U+2024 one dot leader, ...) never reach S3, and the audit record tells the truth about
// what was asked for.
const KEY_CHARACTERS = /^[A-Za-z0-9._/-]+$/;
const NAME_CHARACTERS = /^[A-Za-z0-9._-]+$/;

export type KeyCheck = { ok: true } | { ok: false; reason: string };

/** Checks a complete object key supplied by a client (download) against the allowlist. */
export function checkObjectKey(key: string): KeyCheck {
  if (key.length === 0) return { ok: false, reason: "key is empty" };
  if (key.length > MAX_OBJECT_KEY_LENGTH) return { ok: false, reason: `key is longer than ${MAX_OBJECT_KEY_LENGTH} characters` };
  if (!KEY_CHARACTERS.test(key)) return { ok: false, reason: "key contains a character outside [A-Za-z0-9._-/]" };
  if (key.startsWith("/")) return { ok: false, reason: "key starts with /" };
  if (key.endsWith("/")) return { ok: false, reason: "key ends with / (not an object)" };
  if (key.includes("//")) return { ok: false, reason: "key contains an empty path segment" };
  if (key.includes("..")) return { ok: false, reason: "key contains .." };
  if (key.split("/").some((segment) => segment === ".")) return { ok: false, reason: "key contains a . segment" };
  return { ok: true };
}

/** Checks a client-proposed file name: a single segment, no leading dot, allowlisted characters. */
export function checkFileName(name: string): KeyCheck {
  if (name.length === 0) return { ok: false, reason: "fileName is empty" };
  if (name.length > MAX_FILE_NAME_LENGTH) return { ok: false, reason: `fileName is longer than ${MAX_FILE_NAME_LENGTH} characters` };
  if (!NAME_CHARACTERS.test(name)) return { ok: false, reason: "fileName contains a character outside [A-Za-z0-9._-]" };
  if (name.startsWith(".")) return { ok: false, reason: "fileName starts with ." };
  if (name.includes("..")) return { ok: false, reason: "fileName contains .." };
  return { ok: true };
}

/** True when the key lies under the prefix. Both are allowlisted, so a plain prefix test is exact. */
export function isUnderPrefix(key: string, prefix: string): boolean {
  return prefix.endsWith("/") && key.length > prefix.length && key.startsWith(prefix);
}

function twoDigits(value: number): string {
  return String(value).padStart(2, "0");
}

/** "yyyy/mm/dd/" of the UTC date: keys sort by upload day, and no local time zone leaks in (A1). */
export function utcDatePath(date: Date): string {
  return `${date.getUTCFullYear()}/${twoDigits(date.getUTCMonth() + 1)}/${twoDigits(date.getUTCDate())}/`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * `<prefix><yyyy>/<mm>/<dd>/<uuid>` plus `-<fileName>` when configured. The uuid makes keys
 * unguessable and collision-free, so an upload never overwrites another object.
 */
export function generateUploadKey(args: { prefix: string; date: Date; objectId: string; fileName: string | null; includeFileName: boolean }): string {
  if (!UUID.test(args.objectId)) throw new Error("object id is not a lower-case uuid");
  const base = `${args.prefix}${utcDatePath(args.date)}${args.objectId}`;
  const key = args.includeFileName && args.fileName !== null ? `${base}-${args.fileName}` : base;
  // Belt and braces: a generated key must pass the same check a client key would.
  const check = checkObjectKey(key);
  if (!check.ok) throw new Error(`generated key failed validation: ${check.reason}`);
  return key;
}

/**
 * Splits a key under `prefix` into the part the server generated (prefix, date path, uuid: no
 * personal data by construction, safe to log as is) and the remainder (client-chosen text that
 * may carry personal data and must be hashed in logs, No.50).
 */
export function splitServerGeneratedPart(key: string, prefix: string): { serverPart: string; clientPart: string } {
  if (!key.startsWith(prefix)) return { serverPart: "", clientPart: key };
  const rest = key.slice(prefix.length);
  const generated = /^\d{4}\/\d{2}\/\d{2}\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(rest);
  if (generated === null) return { serverPart: prefix, clientPart: rest };
  return { serverPart: prefix + generated[0], clientPart: rest.slice(generated[0].length) };
}
