// Reads a Pulumi project's `Pulumi.yaml` and `Pulumi.<stack>.yaml` into the flat `namespace:key`
// -> string map the language host hands a program (PULUMI_CONFIG), so mocked runs and the offline
// check exercise the very files users deploy. Secure values cannot be decrypted offline: they get a
// placeholder and are marked secret.
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

export const SECRET_PLACEHOLDER = "[secret: not decryptable offline]";

export interface StackConfig {
  project: string;
  stack: string;
  programDir: string;
  /** `namespace:key` -> value as the engine passes it (objects and lists as JSON). */
  config: Record<string, string>;
  secretKeys: string[];
}

export class StackConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackConfigError";
  }
}

function readYaml(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new StackConfigError(`cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return parse(text);
  } catch (e) {
    throw new StackConfigError(`${file} is not valid YAML: ${(e as Error).message}`);
  }
}

export function loadStackConfig(programDir: string, stack: string): StackConfig {
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(stack)) {
    throw new StackConfigError(`stack name "${stack}" is not valid (letters, digits, "_", "-", "."; at most 100)`);
  }
  const projectFile = path.join(programDir, "Pulumi.yaml");
  const project = readYaml(projectFile) as { name?: unknown } | null;
  if (!project || typeof project.name !== "string") {
    throw new StackConfigError(`${projectFile} has no project "name"`);
  }
  const stackFile = path.join(programDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(stackFile)) {
    const known = fs
      .readdirSync(programDir)
      .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
      .filter((s): s is string => !!s);
    throw new StackConfigError(`no ${stackFile} (stacks of this program: ${known.join(", ") || "none"})`);
  }
  const doc = (readYaml(stackFile) ?? {}) as { config?: Record<string, unknown> };
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [rawKey, value] of Object.entries(doc.config ?? {})) {
    // A bare key belongs to the project's namespace, as the CLI reads it.
    const key = rawKey.includes(":") ? rawKey : `${project.name}:${rawKey}`;
    if (value && typeof value === "object" && !Array.isArray(value) && "secure" in (value as object)) {
      config[key] = SECRET_PLACEHOLDER;
      secretKeys.push(key);
    } else if (typeof value === "string") {
      config[key] = value;
    } else {
      config[key] = typeof value === "object" ? JSON.stringify(value) : String(value);
    }
  }
  return { project: project.name, stack, programDir, config, secretKeys };
}
