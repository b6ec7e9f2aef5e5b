/**
 * Reads the stack outputs the package needs (trailArn, logBucketName, homeRegion, kmsKeyArn)
 * from `pulumi stack output --json`. Injected into the package command so tests need no CLI.
 */
import { execFile } from "node:child_process";

export interface StackOutputs {
  trailArn?: string;
  logBucketName?: string;
  homeRegion?: string;
  kmsKeyArn?: string;
  [name: string]: unknown;
}

export type StackOutputReader = (stack: string) => Promise<StackOutputs>;

export class StackOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackOutputError";
  }
}

/** `npx pulumi stack output --json --show-secrets=false -s <stack>`; secrets stay "[secret]". */
export const readPulumiStackOutputs: StackOutputReader = (stack) =>
  new Promise((resolve, reject) => {
    execFile(
      "npx",
      ["pulumi", "stack", "output", "--json", "--show-secrets=false", "-s", stack],
      { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new StackOutputError(`pulumi stack output -s ${stack} failed: ${String(stderr || err.message).trim()}`));
          return;
        }
        try {
          const parsed: unknown = JSON.parse(stdout);
          if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not a JSON object");
          resolve(parsed as StackOutputs);
        } catch (parseErr) {
          reject(new StackOutputError(`pulumi stack output -s ${stack} did not print a JSON object: ${(parseErr as Error).message}`));
        }
      },
    );
  });
