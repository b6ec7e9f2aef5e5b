/**
 * Runs the organisation verification state machine in aws-local-stepfunctions with every Task
 * bound to the project's handler code, against a real S3 API (s3rver on 127.0.0.1).
 *
 * What the local engine (3.0.0) lacks of the Distributed Map, read from its source
 * (build/main.node.cjs, MapStateAction): it runs ItemProcessor as an inline Map whatever
 * ProcessorConfig says, and ignores ItemReader, ResultWriter and ToleratedFailurePercentage (any
 * failed child fails the Map, which is what ToleratedFailurePercentage 0 means). So the local
 * definition is the deployed one with two emulation Tasks spliced around the Map:
 *   EmulateItemReader   GetObject of the planner's JSON array (what ItemReader InputType JSON does),
 *                       fed to the Map through ItemsPath;
 *   EmulateResultWriter writes the children's results in ResultWriter's format (manifest.json +
 *                       SUCCEEDED_0.json, Transformation NONE) and returns {MapRunArn,
 *                       ResultWriterDetails}, as the Distributed Map does.
 * Everything else (Retry, Catch, TimeoutSeconds, ItemSelector with $$.Map.Item.Value, the Pass
 * that reports a failed shard, the reducer) runs as defined. lambda:invoke is emulated by the
 * binding: the handler gets $.Payload and its return value comes back as {Payload}.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import * as crypto from "node:crypto";
import { StateMachine } from "aws-local-stepfunctions";
import type { MapState, StateMachineDefinition, TaskState } from "../cloudtrail/org/state-machine";
import { STATE_NAMES } from "../cloudtrail/org/state-machine";
import { ensurePromiseWithResolvers } from "./org-fixture";

ensurePromiseWithResolvers();

export const EMULATED = { itemReader: "EmulateItemReader", resultWriter: "EmulateResultWriter" } as const;
const LOCAL_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:local-emulation";

export function localDefinition(deployed: StateMachineDefinition): StateMachineDefinition {
  const def = JSON.parse(JSON.stringify(deployed)) as StateMachineDefinition;
  const plan = def.States[STATE_NAMES.plan] as TaskState;
  const map = def.States[STATE_NAMES.map] as MapState;
  if (!map.ItemReader || !map.ResultWriter) throw new Error("the deployed definition must have ItemReader and ResultWriter");
  const after = map.Next as string;
  delete map.ItemReader;
  delete map.ResultWriter;
  map.ItemsPath = "$.localItems";
  map.ResultPath = "$.localResults";
  map.Next = EMULATED.resultWriter;
  (plan as { Next: string }).Next = EMULATED.itemReader;
  def.States[EMULATED.itemReader] = {
    Type: "Task",
    Resource: LOCAL_ARN,
    Parameters: { "bucket.$": "$.items.bucket", "key.$": "$.items.key" },
    ResultPath: "$.localItems",
    Next: STATE_NAMES.map,
  };
  def.States[EMULATED.resultWriter] = {
    Type: "Task",
    Resource: LOCAL_ARN,
    Parameters: { "results.$": "$.localResults", "items.$": "$.localItems", "run.$": "$.run", "bucket.$": "$.results.bucket", "prefix.$": "$.results.prefix" },
    ResultPath: "$.map",
    Next: after,
  };
  return def;
}

type Handler = (event: unknown) => Promise<unknown>;

/** The lambda:invoke integration: Payload in, {Payload} out; errors keep their name (the errorType). */
export function lambdaInvoke(handler: Handler): (input: unknown) => Promise<unknown> {
  return async (input) => {
    const payload = (input as { Payload?: unknown }).Payload;
    return { StatusCode: 200, ExecutedVersion: "$LATEST", Payload: await handler(payload) };
  };
}

export function itemReaderEmulation(s3: S3Client): (input: unknown) => Promise<unknown> {
  return async (input) => {
    const { bucket, key } = input as { bucket: string; key: string };
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const items = JSON.parse(await response.Body!.transformToString());
    if (!Array.isArray(items)) throw Object.assign(new Error(`s3://${bucket}/${key} is not a JSON array`), { name: "States.ItemReaderFailed" });
    return items;
  };
}

export function resultWriterEmulation(s3: S3Client): (input: unknown) => Promise<unknown> {
  return async (input) => {
    const { results, items, run, bucket, prefix } = input as { results: unknown[]; items: unknown[]; run: unknown; bucket: string; prefix: string };
    const mapRunId = crypto.randomUUID();
    const mapRunArn = `arn:aws:states:eu-west-1:123456789012:mapRun:org-verification/OrgShards:${mapRunId}`;
    const base = `${prefix}/${mapRunId}`;
    const entries = results.map((output, i) => ({
      ExecutionArn: `${mapRunArn}:${i}`,
      Name: String(i),
      Status: "SUCCEEDED",
      Input: JSON.stringify({ shard: items[i], run }),
      InputDetails: { Included: true },
      Output: JSON.stringify(output),
      OutputDetails: { Included: true },
    }));
    const resultKey = `${base}/SUCCEEDED_0.json`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: resultKey, Body: JSON.stringify(entries) }));
    const manifest = { DestinationBucket: bucket, MapRunArn: mapRunArn, ResultFiles: { FAILED: [], PENDING: [], SUCCEEDED: [{ Key: resultKey, Size: 0 }] } };
    const manifestKey = `${base}/manifest.json`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: manifestKey, Body: JSON.stringify(manifest) }));
    return { MapRunArn: mapRunArn, ResultWriterDetails: { Bucket: bucket, Key: manifestKey } };
  };
}

export interface LocalRunOptions {
  definition: StateMachineDefinition;
  s3: S3Client;
  planner: Handler;
  shard: Handler;
  reducer: Handler;
  input?: unknown;
  executionName?: string;
}

/**
 * Definitions the engine has validated in this process (by their JSON). The engine validates with
 * asl-validator, which builds and compiles its JSON schemas anew on every call (about 0.4 s): an
 * identical definition is validated once, then constructed with `noValidate` (issue 13).
 */
const validatedDefinitions = new Set<string>();

/** One execution; retry pauses overridden to 0 ms (the backoff itself is asserted on the definition). */
export async function runLocally(options: LocalRunOptions): Promise<unknown> {
  const local = localDefinition(options.definition);
  const json = JSON.stringify(local);
  const validationOptions = validatedDefinitions.has(json) ? { noValidate: true } : { checkArn: false, checkPaths: true };
  const machine = new StateMachine(local as never, { validationOptions });
  validatedDefinitions.add(json);
  const execution = machine.run((options.input ?? {}) as never, {
    overrides: {
      // The engine types handlers over its JSONValue; ours take and return plain JSON too.
      taskResourceLocalHandlers: {
        [STATE_NAMES.plan]: lambdaInvoke(options.planner),
        [STATE_NAMES.shard]: lambdaInvoke(options.shard),
        [STATE_NAMES.reduce]: lambdaInvoke(options.reducer),
        [EMULATED.itemReader]: itemReaderEmulation(options.s3),
        [EMULATED.resultWriter]: resultWriterEmulation(options.s3),
      } as unknown as Record<string, never>,
      retryIntervalOverrides: { [STATE_NAMES.shard]: 0, [STATE_NAMES.plan]: 0, [STATE_NAMES.reduce]: 0 },
    },
    context: { Execution: { Name: options.executionName ?? "local-run", Input: (options.input ?? {}) as never, StartTime: new Date().toISOString() } },
  });
  return execution.result;
}
