// Issue 11: `verify --state-machine <arn> --wait` starts the deployed state machine and waits for
// its result (StartExecution / DescribeExecution through a port; the SDK adapter is one call each).
import { strict as assert } from "node:assert";
import { runStateMachineAndWait, RemoteRunError, type ExecutionPort } from "../../cloudtrail/org/remote";

const ARN = "arn:aws:states:eu-west-1:111111111111:stateMachine:audit-prd-org-verification";

function port(statuses: Array<{ status: string; output?: string; error?: string; cause?: string }>) {
  const started: Array<{ arn: string; name: string; input: string }> = [];
  let i = 0;
  const p: ExecutionPort = {
    async start(arn, name, input) {
      started.push({ arn, name, input });
      return `arn:aws:states:eu-west-1:111111111111:execution:audit-prd-org-verification:${name}`;
    },
    async describe() {
      return statuses[Math.min(i++, statuses.length - 1)];
    },
  };
  return { p, started };
}

describe("starting the deployed organisation verification and waiting (issue 11)", () => {
  it("starts it for the period, polls until SUCCEEDED and returns the reducer's summary", async () => {
    const summary = {
      recordKey: "review/2026/03/01/organization-review-x.json",
      outcome: "attention",
      shards: { planned: 120, invalid: 2 },
      findings: 2,
      notified: true,
    };
    const { p, started } = port([{ status: "RUNNING" }, { status: "RUNNING" }, { status: "SUCCEEDED", output: JSON.stringify(summary) }]);
    const polls: string[] = [];
    const sleeps: number[] = [];
    const r = await runStateMachineAndWait(p, {
      stateMachineArn: ARN,
      first: "2026-03-01",
      last: "2026-03-02",
      pollIntervalMs: 10,
      sleep: async (ms) => void sleeps.push(ms),
      now: () => new Date("2026-03-03T08:00:00Z"),
      onPoll: (s) => polls.push(s),
    });
    assert.deepEqual(started, [{ arn: ARN, name: "cli-2026-03-01-2026-03-02-2026-03-03T08-00-00-000Z", input: '{"first":"2026-03-01","last":"2026-03-02"}' }]);
    assert.deepEqual(polls, ["RUNNING", "RUNNING", "SUCCEEDED"]);
    assert.deepEqual(sleeps, [10, 10]);
    assert.deepEqual(r.summary, summary);
  });

  it("a failed execution is an error naming its status, error and cause", async () => {
    const { p } = port([{ status: "FAILED", error: "OrgVerify.ReviewNotRecorded", cause: "The reducer failed after its retries" }]);
    await assert.rejects(runStateMachineAndWait(p, { stateMachineArn: ARN, first: "2026-03-01", sleep: async () => undefined }), (err: unknown) => {
      assert.ok(err instanceof RemoteRunError);
      assert.equal(err.status, "FAILED");
      assert.match(err.message, /ended FAILED: OrgVerify\.ReviewNotRecorded \(The reducer failed after its retries\)$/);
      return true;
    });
  });

  it("bad flags are refused before anything starts", async () => {
    const { p, started } = port([{ status: "SUCCEEDED", output: "{}" }]);
    await assert.rejects(
      runStateMachineAndWait(p, { stateMachineArn: "audit-prd-org-verification", first: "2026-03-01" }),
      /--state-machine "audit-prd-org-verification" is not a state machine ARN/,
    );
    await assert.rejects(runStateMachineAndWait(p, { stateMachineArn: ARN, first: "2026-02-30" }), /--first: "2026-02-30" is not a calendar day/);
    assert.equal(started.length, 0);
  });

  it("stops waiting after maxPolls and says the execution goes on", async () => {
    const { p } = port([{ status: "RUNNING" }]);
    await assert.rejects(
      runStateMachineAndWait(p, { stateMachineArn: ARN, first: "2026-03-01", maxPolls: 3, sleep: async () => undefined }),
      /is still running after 3 polls; it goes on/,
    );
  });
});
