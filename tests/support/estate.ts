// Test support: runs this project's program for a stack under the shared mocks (offline/), with
// the stack's real Pulumi.<stack>.yaml, and finds resources in what was registered.
import * as path from "path";
import { ProgramRun, RegisteredResource, runProgram } from "../../offline/run-program";

export const PROJECT_DIR = path.resolve(__dirname, "../..");
export const STACKS = ["dev", "dev2", "prd"] as const;
export type StackName = (typeof STACKS)[number];

const cache = new Map<string, Promise<ProgramRun>>();

/** Known outputs (as after `pulumi up`), memoised per stack: the program is deterministic. */
export function estate(stack: string, configOverrides?: Record<string, string | undefined>): Promise<ProgramRun> {
  const key = `${stack}:${JSON.stringify(configOverrides ?? {})}`;
  if (!cache.has(key)) cache.set(key, runProgram({ programDir: PROJECT_DIR, stack, knownOutputs: true, configOverrides }));
  return cache.get(key)!;
}

export class Resources {
  constructor(readonly run: ProgramRun) {}

  ofType(type: string): RegisteredResource[] {
    return this.run.resources.filter((r) => r.type === type);
  }

  /** The one resource of this type and logical name; fails loudly when absent or ambiguous. */
  one(type: string, name: string): RegisteredResource {
    const found = this.run.resources.filter((r) => r.type === type && r.name === name);
    if (found.length !== 1) {
      const names = this.ofType(type).map((r) => r.name);
      throw new Error(`expected one ${type} named "${name}", found ${found.length} (names of that type: ${names.join(", ") || "none"})`);
    }
    return found[0];
  }

  /** The configuration resource of `type` whose `bucket` input is this bucket's name. */
  forBucket(type: string, bucketName: string): RegisteredResource {
    const found = this.ofType(type).filter((r) => r.inputs.bucket === bucketName);
    if (found.length !== 1) throw new Error(`expected one ${type} for bucket ${bucketName}, found ${found.length}`);
    return found[0];
  }

  output(name: string): any {
    return this.run.outputs[name];
  }
}

export async function resourcesOf(stack: string, configOverrides?: Record<string, string | undefined>): Promise<Resources> {
  return new Resources(await estate(stack, configOverrides));
}

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | Record<string, string | string[]>;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export function statements(policyJson: string): PolicyStatement[] {
  return JSON.parse(policyJson).Statement;
}

export function statement(policyJson: string, sid: string): PolicyStatement {
  const s = statements(policyJson).find((x) => x.Sid === sid);
  if (!s) throw new Error(`no statement with Sid "${sid}" in ${policyJson}`);
  return s;
}

export const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
