/**
 * `evidence verify --state-machine <arn> --wait`: starts the deployed organisation verification
 * (Step Functions StartExecution) for a period and polls DescribeExecution until it ends, calling
 * back on every poll. The reducer's summary (record key, outcome, shard counts) is the
 * execution's output; a FAILED / TIMED_OUT / ABORTED execution is an error naming its status and
 * cause (its record, when the reducer wrote one, names the failure too).
 */
import { DescribeExecutionCommand, StartExecutionCommand, type SFNClient } from "@aws-sdk/client-sfn";
import { OrgVerificationInputError, parseDay } from "./shards";

export interface ExecutionPort {
  start(stateMachineArn: string, name: string, input: string): Promise<string>;
  describe(executionArn: string): Promise<{ status: string; output?: string; error?: string; cause?: string }>;
}

export function sfnExecutionPort(sfn: SFNClient): ExecutionPort {
  return {
    async start(stateMachineArn, name, input) {
      const response = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input }));
      if (!response.executionArn) throw new Error("StartExecution returned no executionArn");
      return response.executionArn;
    },
    async describe(executionArn) {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return { status: d.status ?? "UNKNOWN", output: d.output, error: d.error, cause: d.cause };
    },
  };
}

export interface RemoteRunOptions {
  stateMachineArn: string;
  first: string;
  last?: string;
  /** Execution name (unique per state machine for 90 days); default cli-<first>-<last>-<time>. */
  name?: string;
  pollIntervalMs?: number;
  /** Give up waiting (the execution goes on) after this many polls. */
  maxPolls?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  onPoll?: (status: string, poll: number, executionArn: string) => void;
}

export interface RemoteRunResult {
  executionArn: string;
  status: "SUCCEEDED";
  summary: { recordKey: string; outcome: "clean" | "attention"; shards: Record<string, number>; findings: number; notified: boolean };
}

export class RemoteRunError extends Error {
  constructor(
    message: string,
    readonly executionArn: string,
    readonly status: string,
  ) {
    super(message);
    this.name = "RemoteRunError";
  }
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

export async function runStateMachineAndWait(port: ExecutionPort, o: RemoteRunOptions): Promise<RemoteRunResult> {
  if (!STATE_MACHINE_ARN.test(o.stateMachineArn)) {
    throw new OrgVerificationInputError(
      `--state-machine "${o.stateMachineArn}" is not a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>)`,
    );
  }
  parseDay(o.first, "--first");
  if (o.last !== undefined) parseDay(o.last, "--last");
  const stamp = (o.now?.() ?? new Date()).toISOString().replace(/[:.]/g, "-");
  const name = (o.name ?? `cli-${o.first}-${o.last ?? o.first}-${stamp}`).slice(0, 80);
  const executionArn = await port.start(o.stateMachineArn, name, JSON.stringify({ first: o.first, last: o.last ?? o.first }));
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const maxPolls = o.maxPolls ?? 720;
  for (let poll = 1; poll <= maxPolls; poll++) {
    const d = await port.describe(executionArn);
    o.onPoll?.(d.status, poll, executionArn);
    if (d.status === "SUCCEEDED") {
      let summary: RemoteRunResult["summary"];
      try {
        summary = JSON.parse(d.output ?? "");
      } catch {
        throw new RemoteRunError(`${executionArn} succeeded but its output is not the reducer's summary`, executionArn, d.status);
      }
      return { executionArn, status: "SUCCEEDED", summary };
    }
    if (d.status !== "RUNNING" && d.status !== "PENDING_REDRIVE") {
      throw new RemoteRunError(
        `${executionArn} ended ${d.status}${d.error ? `: ${d.error}` : ""}${d.cause ? ` (${d.cause.slice(0, 300)})` : ""}`,
        executionArn,
        d.status,
      );
    }
    await sleep(o.pollIntervalMs ?? 5000);
  }
  throw new RemoteRunError(
    `${executionArn} is still running after ${maxPolls} polls; it goes on, and its record will appear under review/`,
    executionArn,
    "RUNNING",
  );
}
