// Issue 11: the state machine definition, generated from typed code, is valid ASL (asl-validator)
// and says what the design says: Distributed Map over an S3 ItemReader, results to S3, no failure
// tolerated, per-shard timeout, backoff on throttling, and a Catch on every path that reports.
import { strict as assert } from "node:assert";
import {
  buildOrgVerificationDefinition,
  INPUT_ERROR,
  LAMBDA_SERVICE_ERRORS,
  STATE_NAMES,
  THROTTLED_ERROR,
  TRANSIENT_ERROR,
  type MapState,
  type PassState,
  type StateMachineDefinition,
  type TaskState,
} from "../../cloudtrail/org/state-machine";

type AslValidator = (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errors: Array<{ message?: string; Message?: string }> };
// eslint-disable-next-line @typescript-eslint/no-require-imports -- asl-validator is CommonJS without types
const aslValidator: AslValidator = require("asl-validator");

const ARNS = {
  plannerFunctionArn: "arn:aws:lambda:eu-west-1:111111111111:function:audit-prd-org-verify-planner",
  shardFunctionArn: "arn:aws:lambda:eu-west-1:111111111111:function:audit-prd-org-verify-shard",
  reducerFunctionArn: "arn:aws:lambda:eu-west-1:111111111111:function:audit-prd-org-verify-reducer",
};

function build(overrides: Partial<Parameters<typeof buildOrgVerificationDefinition>[0]> = {}): StateMachineDefinition {
  return buildOrgVerificationDefinition({
    ...ARNS,
    maxConcurrency: 200,
    shardTimeoutSeconds: 840,
    childExecutionType: "STANDARD",
    executionTimeoutSeconds: 6 * 3600,
    ...overrides,
  });
}

function validate(definition: StateMachineDefinition) {
  // asl-validator annotates its input (QueryLanguage): give it a copy.
  return aslValidator(JSON.parse(JSON.stringify(definition)), { checkPaths: true, checkArn: true });
}

describe("organisation verification state machine definition (issue 11)", () => {
  const def = build();
  const map = def.States[STATE_NAMES.map] as MapState;
  const shard = map.ItemProcessor.States[STATE_NAMES.shard] as TaskState;

  it("is valid Amazon States Language (asl-validator, paths and ARNs checked)", () => {
    const result = validate(def);
    assert.deepEqual(result.errors, []);
    assert.equal(result.isValid, true);
    const express = validate(build({ childExecutionType: "EXPRESS", shardTimeoutSeconds: 280 }));
    assert.equal(express.isValid, true, JSON.stringify(express.errors));
  });

  it("the validator does reject a broken definition (the check above can fail)", () => {
    const broken = JSON.parse(JSON.stringify(def)) as StateMachineDefinition;
    (broken.States[STATE_NAMES.plan] as { Next: string }).Next = "NoSuchState";
    assert.equal(validate(broken).isValid, false);
    const badMap = JSON.parse(JSON.stringify(def));
    badMap.States[STATE_NAMES.map].ToleratedFailurePercentage = 150;
    assert.equal(validate(badMap).isValid, false);
  });

  it("fans out as a Distributed Map reading the planner's S3 array and writing results to S3", () => {
    assert.deepEqual(map.ItemProcessor.ProcessorConfig, { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" });
    assert.deepEqual(map.ItemReader, {
      Resource: "arn:aws:states:::s3:getObject",
      ReaderConfig: { InputType: "JSON" },
      Parameters: { "Bucket.$": "$.items.bucket", "Key.$": "$.items.key" },
    });
    assert.deepEqual(map.ResultWriter, {
      Resource: "arn:aws:states:::s3:putObject",
      Parameters: { "Bucket.$": "$.results.bucket", "Prefix.$": "$.results.prefix" },
    });
    assert.equal(map.MaxConcurrency, 200);
    assert.equal(map.ToleratedFailurePercentage, 0);
    assert.deepEqual(map.ItemSelector, { "shard.$": "$$.Map.Item.Value", "run.$": "$.run" });
    assert.equal(map.ItemsPath, undefined, "items come from S3, not the 256 KiB state payload");
  });

  it("times out and retries each shard with capped, jittered exponential backoff on Lambda, S3 and KMS throttling", () => {
    assert.equal(shard.TimeoutSeconds, 840);
    assert.equal(shard.Resource, "arn:aws:states:::lambda:invoke");
    assert.equal((shard.Parameters as { FunctionName: string }).FunctionName, ARNS.shardFunctionArn);
    const retry = shard.Retry!;
    const lambda = retry.find((r) => r.ErrorEquals.includes("Lambda.TooManyRequestsException"))!;
    assert.deepEqual(lambda.ErrorEquals, LAMBDA_SERVICE_ERRORS);
    const throttled = retry.find((r) => r.ErrorEquals.includes(THROTTLED_ERROR))!;
    assert.deepEqual(
      [throttled.IntervalSeconds, throttled.BackoffRate, throttled.MaxAttempts, throttled.MaxDelaySeconds, throttled.JitterStrategy],
      [5, 2, 6, 120, "FULL"],
    );
    const transient = retry.find((r) => r.ErrorEquals.includes(TRANSIENT_ERROR))!;
    assert.ok(transient.ErrorEquals.includes("States.Timeout"), "a shard that timed out is tried again");
    // Anything else is retried twice; bad input is never matched by name.
    assert.deepEqual(retry[retry.length - 1].ErrorEquals, ["States.TaskFailed"]);
    assert.equal(retry[retry.length - 1].MaxAttempts, 2);
    assert.ok(!retry.some((r) => r.ErrorEquals.includes(INPUT_ERROR) || r.ErrorEquals.includes("States.ALL")));
  });

  it("reports a shard that failed after its retries instead of dropping it", () => {
    assert.deepEqual(shard.Catch, [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: STATE_NAMES.shardFailed }]);
    const report = map.ItemProcessor.States[STATE_NAMES.shardFailed] as PassState;
    assert.equal(report.Type, "Pass");
    assert.equal((report.Parameters as { status: string }).status, "error");
    assert.deepEqual((report.Parameters as { error: unknown }).error, { "error.$": "$.failure.Error", "cause.$": "$.failure.Cause" });
  });

  it("sends every failure path to the reducer, and fails the execution only when no record could be written", () => {
    const plan = def.States[STATE_NAMES.plan] as TaskState;
    assert.deepEqual(plan.Catch, [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: STATE_NAMES.reduce }]);
    assert.deepEqual(map.Catch, [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: STATE_NAMES.reduce }]);
    assert.equal(map.Next, STATE_NAMES.reduce);
    const reduce = def.States[STATE_NAMES.reduce] as TaskState;
    assert.equal(reduce.Catch?.[0].Next, STATE_NAMES.reviewFailed);
    assert.equal(def.States[STATE_NAMES.reviewFailed].Type, "Fail");
    assert.equal(def.TimeoutSeconds, 6 * 3600);
  });

  it("refuses options the service would reject, naming the option and what is allowed", () => {
    assert.throws(
      () => build({ childExecutionType: "EXPRESS", shardTimeoutSeconds: 840 }),
      /shardTimeoutSeconds: 840 with EXPRESS children; an Express execution ends at 5 minutes/,
    );
    assert.throws(() => build({ maxConcurrency: 0 }), /maxConcurrency: 0 is not allowed \(a whole number from 1 to 10000/);
    assert.throws(() => build({ shardTimeoutSeconds: 901 }), /shardTimeoutSeconds: 901 is not allowed \(30 to 900 seconds/);
  });
});
