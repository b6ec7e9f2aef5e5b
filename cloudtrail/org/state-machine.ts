/**
 * The organisation verification as an Amazon States Language definition, built from typed code
 * (issue 11). Plan -> VerifyShards (Distributed Map, one child execution per shard) -> Reduce.
 *
 *   Plan          Lambda: lists the (account, region, day) shards, writes them as a JSON array to
 *                 the results bucket (the Map's ItemReader source) and the plan beside it.
 *   VerifyShards  Distributed Map (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html):
 *                 ItemReader reads the shard array from S3, so 17,000 shards never pass through
 *                 the 256 KiB state payload limit; each child execution runs the shard Lambda
 *                 (the project's verifier over one chain-day); ResultWriter exports every child's
 *                 output to S3; ToleratedFailurePercentage 0: a single failed child fails the Map
 *                 Run, which is then caught and reported, never ignored.
 *   Reduce        Lambda: reads the plan and the ResultWriter manifest, merges, writes one review
 *                 record under review/ in the locked bucket and notifies the alert topic.
 *
 * Every failure path ends in Reduce with the error in $.failure, so a run that fails still leaves
 * a record and an alert (Catch: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
 */

// ---- a small typed subset of ASL (JSONPath query language) -------------------------------------

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: "FULL" | "NONE";
}
export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string;
}
interface StateBase {
  Comment?: string;
  InputPath?: string;
  OutputPath?: string;
}
type Transition = { Next: string; End?: never } | { End: true; Next?: never };

export type TaskState = StateBase &
  Transition & {
    Type: "Task";
    Resource: string;
    Parameters?: Record<string, unknown>;
    ResultSelector?: Record<string, unknown>;
    ResultPath?: string | null;
    TimeoutSeconds?: number;
    Retry?: Retrier[];
    Catch?: Catcher[];
  };
export type PassState = StateBase & Transition & { Type: "Pass"; Parameters?: Record<string, unknown>; Result?: unknown; ResultPath?: string | null };
export type FailState = { Type: "Fail"; Comment?: string; Error: string; Cause?: string };
export type SucceedState = StateBase & { Type: "Succeed" };

export interface ItemReader {
  Resource: "arn:aws:states:::s3:getObject";
  ReaderConfig: { InputType: "JSON"; MaxItems?: number };
  Parameters: Record<string, unknown>;
}
export interface ResultWriter {
  Resource: "arn:aws:states:::s3:putObject";
  Parameters: Record<string, unknown>;
}
export interface StateMachineDefinition {
  Comment?: string;
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, State>;
}
export type MapState = StateBase &
  Transition & {
    Type: "Map";
    ItemReader?: ItemReader;
    ItemsPath?: string;
    ItemSelector?: Record<string, unknown>;
    ItemProcessor: StateMachineDefinition & { ProcessorConfig: { Mode: "DISTRIBUTED"; ExecutionType: "STANDARD" | "EXPRESS" } | { Mode: "INLINE" } };
    MaxConcurrency?: number;
    ToleratedFailurePercentage?: number;
    ResultWriter?: ResultWriter;
    ResultPath?: string | null;
    Label?: string;
    Retry?: Retrier[];
    Catch?: Catcher[];
  };
export type State = TaskState | PassState | MapState | FailState | SucceedState;

// ---- the organisation verification ---------------------------------------------------------------

export const STATE_NAMES = {
  plan: "Plan",
  map: "VerifyShards",
  shard: "VerifyShard",
  shardFailed: "ReportShardNotVerified",
  reduce: "Reduce",
  reviewFailed: "ReviewNotRecorded",
} as const;

/** Errors the handlers throw for throttling or transient faults of S3, KMS or CloudTrail (handlers/org-verification). */
export const THROTTLED_ERROR = "OrgVerify.Throttled";
export const TRANSIENT_ERROR = "OrgVerify.Transient";
/** Errors the handlers throw for bad input: retrying cannot help. */
export const INPUT_ERROR = "OrgVerify.InputError";

/**
 * The Lambda service errors AWS recommends retrying for the lambda:invoke integration
 * (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
 */
export const LAMBDA_SERVICE_ERRORS = ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"];

export interface OrgVerificationMachineOptions {
  plannerFunctionArn: string;
  shardFunctionArn: string;
  reducerFunctionArn: string;
  /** Shards verified at once (child executions in flight). */
  maxConcurrency: number;
  /** Seconds one shard's Task may run (the shard Lambda's own timeout is a little shorter). */
  shardTimeoutSeconds: number;
  /**
   * STANDARD children may run up to a year and are exactly-once; EXPRESS children are cheaper but
   * end at 5 minutes (https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html),
   * so EXPRESS needs shardTimeoutSeconds below 300.
   */
  childExecutionType: "STANDARD" | "EXPRESS";
  /** Whole execution (all shards of the period plus reduce). */
  executionTimeoutSeconds: number;
  partition?: string;
}

/** lambda:invoke (https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html); the handler's return value is $.Payload. */
function invoke(functionArn: string, payload: Record<string, unknown>): Pick<TaskState, "Resource" | "Parameters" | "ResultSelector"> {
  return {
    Resource: "arn:aws:states:::lambda:invoke",
    Parameters: { FunctionName: functionArn, Payload: payload },
    ResultSelector: { "value.$": "$.Payload" },
  };
}

/**
 * Retries (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#error-handling-retrying-after-an-error):
 * Lambda's own throttling and service faults, then S3/KMS/CloudTrail throttling reported by the
 * handler, with exponential backoff, a delay cap and full jitter so thousands of shards that hit
 * a throttle together do not retry together. Input errors are never retried.
 */
function retriers(): Retrier[] {
  return [
    { ErrorEquals: LAMBDA_SERVICE_ERRORS, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: "FULL" },
    { ErrorEquals: [THROTTLED_ERROR], IntervalSeconds: 5, MaxAttempts: 6, BackoffRate: 2, MaxDelaySeconds: 120, JitterStrategy: "FULL" },
    { ErrorEquals: [TRANSIENT_ERROR, "States.Timeout"], IntervalSeconds: 5, MaxAttempts: 2, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: "FULL" },
  ];
}

/** Anything else the shard throws (a bug, a corrupt object the SDK cannot parse) is retried twice, then reported. */
function shardRetriers(): Retrier[] {
  return [...retriers(), { ErrorEquals: ["States.TaskFailed"], IntervalSeconds: 2, MaxAttempts: 2, BackoffRate: 2, JitterStrategy: "FULL" }];
}

export function buildOrgVerificationDefinition(o: OrgVerificationMachineOptions): StateMachineDefinition {
  if (!Number.isInteger(o.maxConcurrency) || o.maxConcurrency < 1 || o.maxConcurrency > 10_000) {
    throw new RangeError(`maxConcurrency: ${o.maxConcurrency} is not allowed (a whole number from 1 to 10000, the Distributed Map limit)`);
  }
  if (!Number.isInteger(o.shardTimeoutSeconds) || o.shardTimeoutSeconds < 30 || o.shardTimeoutSeconds > 900) {
    throw new RangeError(`shardTimeoutSeconds: ${o.shardTimeoutSeconds} is not allowed (30 to 900 seconds: a shard runs in one Lambda invocation)`);
  }
  if (o.childExecutionType === "EXPRESS" && o.shardTimeoutSeconds >= 300) {
    throw new RangeError(
      `shardTimeoutSeconds: ${o.shardTimeoutSeconds} with EXPRESS children; an Express execution ends at 5 minutes, so use at most 299 or STANDARD`,
    );
  }
  const S = STATE_NAMES;
  const catchAll = (next: string): Catcher[] => [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: next }];
  return {
    Comment: "Organisation trail verification: one child execution per (account, region, day) shard (issue 11, E13/E14/E15)",
    StartAt: S.plan,
    TimeoutSeconds: o.executionTimeoutSeconds,
    States: {
      [S.plan]: {
        Type: "Task",
        Comment: "List the shards under AWSLogs/<o-id>/ (and the expected accounts x regions); write the ItemReader array and the plan to S3",
        ...invoke(o.plannerFunctionArn, { "executionName.$": "$$.Execution.Name", "input.$": "$" }),
        OutputPath: "$.value",
        TimeoutSeconds: 900,
        Retry: retriers(),
        Catch: catchAll(S.reduce),
        Next: S.map,
      },
      [S.map]: {
        Type: "Map",
        Comment: "One child execution per shard; results exported to S3 so the output never hits the payload limit",
        Label: "OrgShards",
        ItemReader: {
          // JSON array in S3 (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html).
          Resource: "arn:aws:states:::s3:getObject",
          ReaderConfig: { InputType: "JSON" },
          Parameters: { "Bucket.$": "$.items.bucket", "Key.$": "$.items.key" },
        },
        // Each child gets its shard and the run context (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemselector.html).
        ItemSelector: { "shard.$": "$$.Map.Item.Value", "run.$": "$.run" },
        ItemProcessor: {
          ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: o.childExecutionType },
          StartAt: S.shard,
          States: {
            [S.shard]: {
              Type: "Task",
              Comment: "verifyTrailLogs over one account's chain in one region for one UTC day",
              ...invoke(o.shardFunctionArn, { "shard.$": "$.shard", "run.$": "$.run" }),
              OutputPath: "$.value",
              // Per shard: a stuck request cannot hold a child for the whole execution.
              TimeoutSeconds: o.shardTimeoutSeconds,
              Retry: shardRetriers(),
              // After the retries the shard is reported as not verified (its result says why), not dropped.
              Catch: catchAll(S.shardFailed),
              End: true,
            },
            [S.shardFailed]: {
              Type: "Pass",
              Comment: "The shard's result when its Lambda failed after every retry: status error, with the error and cause",
              Parameters: {
                "shard.$": "$.shard",
                status: "error",
                valid: false,
                findingsTotal: 0,
                findingCounts: {},
                findings: [],
                digestsChecked: 0,
                logFilesChecked: 0,
                uncompressedLogBytes: 0,
                durationMs: 0,
                error: { "error.$": "$.failure.Error", "cause.$": "$.failure.Cause" },
              },
              End: true,
            },
          },
        },
        // Shards in flight; each shard also hashes a few log files at once inside its Lambda.
        MaxConcurrency: o.maxConcurrency,
        // None tolerated: a child that fails outside its Catch (e.g. its own execution limit) fails
        // the Map Run, and the Catch below turns that into a reported failure.
        ToleratedFailurePercentage: 0,
        ResultWriter: {
          // https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
          Resource: "arn:aws:states:::s3:putObject",
          Parameters: { "Bucket.$": "$.results.bucket", "Prefix.$": "$.results.prefix" },
        },
        ResultPath: "$.map",
        Catch: catchAll(S.reduce),
        Next: S.reduce,
      },
      [S.reduce]: {
        Type: "Task",
        Comment: "Merge shard results against the plan; write the review record under review/; notify",
        ...invoke(o.reducerFunctionArn, { "executionName.$": "$$.Execution.Name", "state.$": "$" }),
        OutputPath: "$.value",
        TimeoutSeconds: 900,
        Retry: retriers(),
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: S.reviewFailed }],
        End: true,
      },
      [S.reviewFailed]: {
        Type: "Fail",
        Comment: "The review record could not be written: the execution fails, and its FAILED status event reaches the alert path",
        Error: "OrgVerify.ReviewNotRecorded",
        Cause: "The reducer failed after its retries; see the execution history",
      },
    },
  };
}
