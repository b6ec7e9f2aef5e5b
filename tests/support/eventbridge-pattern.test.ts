// The EventBridge matcher (tests/support/eventbridge-pattern.ts) on the examples of AWS's
// EventBridge user guide: "Creating event patterns" (eb-event-patterns.html), "Content filtering"
// (eb-event-patterns-content-based-filtering.html), the comparison-operator table
// (eb-create-pattern-operators.html) and "Arrays in event patterns" (eb-event-patterns-arrays.html),
// all under https://docs.aws.amazon.com/eventbridge/latest/userguide/, and the array-consistency
// example of aws/event-ruler's README (the engine EventBridge runs on).
import { strict as assert } from "assert";
import { InvalidPatternError, matchesPattern as m } from "./eventbridge-pattern";

// The guide's sample event (eb-event-patterns.html, "Example event").
const EC2_EVENT = {
  version: "0",
  id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2",
  account: "111122223333",
  time: "2017-12-22T18:43:48Z",
  region: "us-west-1",
  resources: ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  detail: { "instance-id": "i-1234567890abcdef0", state: "terminated" },
};

describe("EventBridge pattern matcher on the user guide's examples", () => {
  it("exact values: every field must match, listed values are alternatives", () => {
    assert.equal(m({ source: ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"] }, EC2_EVENT), true);
    assert.equal(m({ source: ["aws.ec2"], detail: { state: ["running", "terminated"] } }, EC2_EVENT), true);
    assert.equal(m({ source: ["aws.ec2"], detail: { state: ["running"] } }, EC2_EVENT), false);
    assert.equal(m({ source: ["aws.s3"], detail: { state: ["terminated"] } }, EC2_EVENT), false);
    // Matching is case-sensitive and exact.
    assert.equal(m({ source: ["AWS.EC2"] }, EC2_EVENT), false);
  });

  it("arrays: an array field matches when the pattern and the event share a value", () => {
    const event = {
      resources: [
        "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
      ],
    };
    assert.equal(
      m({ resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f", "arn:aws:ec2:us-east-1:555555555555:instance/i-b188560f"] }, event),
      true,
    );
    assert.equal(m({ resources: ["arn:aws:ec2:us-east-1:555555555555:instance/i-b188560f"] }, event), false);
  });

  it("arrays of objects: one element must satisfy the sub-pattern (array consistency)", () => {
    const event = {
      employees: [
        [
          { firstName: "John", lastName: "Doe" },
          { firstName: "Anna", lastName: "Smith" },
        ],
        [{ firstName: "Peter", lastName: "Jones" }],
      ],
    };
    assert.equal(m({ employees: { firstName: ["Anna"], lastName: ["Smith"] } }, event), true);
    // Anna and Jones are in different elements: no match (event-ruler README, "Array consistency").
    assert.equal(m({ employees: { firstName: ["Anna"], lastName: ["Jones"] } }, event), false);
    // KMS records: resources is an array of objects; ARN and type must come from one element.
    const kms = {
      detail: {
        resources: [
          { ARN: "arn:aws:kms:us-east-1:111122223333:key/a", type: "AWS::KMS::Key" },
          { ARN: "arn:aws:kms:us-east-1:111122223333:alias/x", type: "AWS::KMS::Alias" },
        ],
      },
    };
    assert.equal(m({ detail: { resources: { ARN: ["arn:aws:kms:us-east-1:111122223333:key/a"], type: ["AWS::KMS::Key"] } } }, kms), true);
    assert.equal(m({ detail: { resources: { ARN: ["arn:aws:kms:us-east-1:111122223333:alias/x"], type: ["AWS::KMS::Key"] } } }, kms), false);
  });

  it("prefix, and prefix with equals-ignore-case", () => {
    assert.equal(m({ time: [{ prefix: "2017-10-02" }] }, { time: "2017-10-02T18:43:48Z" }), true);
    assert.equal(m({ time: [{ prefix: "2017-10-02" }] }, { time: "2017-10-03T18:43:48Z" }), false);
    const p = { detail: { service: [{ prefix: { "equals-ignore-case": "EventB" } }] } };
    for (const service of ["EventBridge", "EVENTBRIDGE", "eventbridge"]) assert.equal(m(p, { detail: { service } }), true, service);
    assert.equal(m(p, { detail: { service: "Lambda" } }), false);
  });

  it("suffix, and suffix with equals-ignore-case", () => {
    assert.equal(m({ FileName: [{ suffix: ".png" }] }, { FileName: "photo.png" }), true);
    assert.equal(m({ FileName: [{ suffix: ".png" }] }, { FileName: "photo.PNG" }), false);
    assert.equal(m({ detail: { FileName: [{ suffix: { "equals-ignore-case": ".png" } }] } }, { detail: { FileName: "photo.PNG" } }), true);
  });

  it("anything-but: a string, a number, lists of either, prefix, suffix, equals-ignore-case, wildcard", () => {
    assert.equal(m({ detail: { state: [{ "anything-but": "initializing" }] } }, { detail: { state: "running" } }), true);
    assert.equal(m({ detail: { state: [{ "anything-but": "initializing" }] } }, { detail: { state: "initializing" } }), false);
    assert.equal(m({ detail: { "x-limit": [{ "anything-but": 123 }] } }, { detail: { "x-limit": 124 } }), true);
    assert.equal(m({ detail: { "x-limit": [{ "anything-but": 123 }] } }, { detail: { "x-limit": 123 } }), false);
    const list = { detail: { state: [{ "anything-but": ["stopped", "overloaded"] }] } };
    assert.equal(m(list, { detail: { state: "running" } }), true);
    assert.equal(m(list, { detail: { state: "overloaded" } }), false);
    const numbers = { detail: { "x-limit": [{ "anything-but": [100, 200, 300] }] } };
    assert.equal(m(numbers, { detail: { "x-limit": 250 } }), true);
    assert.equal(m(numbers, { detail: { "x-limit": 200 } }), false);
    const prefix = { detail: { state: [{ "anything-but": { prefix: "init" } }] } };
    assert.equal(m(prefix, { detail: { state: "running" } }), true);
    assert.equal(m(prefix, { detail: { state: "initializing" } }), false);
    const suffix = { detail: { FileName: [{ "anything-but": { suffix: ".txt" } }] } };
    assert.equal(m(suffix, { detail: { FileName: "a.png" } }), true);
    assert.equal(m(suffix, { detail: { FileName: "a.txt" } }), false);
    const ignoreCase = { detail: { state: [{ "anything-but": { "equals-ignore-case": ["initializing", "stopped"] } }] } };
    assert.equal(m(ignoreCase, { detail: { state: "STOPPED" } }), false);
    assert.equal(m(ignoreCase, { detail: { state: "running" } }), true);
    const wildcard = { detail: { FilePath: [{ "anything-but": { wildcard: "*/lib/*" } }] } };
    assert.equal(m(wildcard, { detail: { FilePath: "/usr/lib/x.so" } }), false);
    assert.equal(m(wildcard, { detail: { FilePath: "/usr/bin/x" } }), true);
    // anything-but needs the field: an absent field matches nothing.
    assert.equal(m({ detail: { state: [{ "anything-but": "initializing" }] } }, { detail: {} }), false);
  });

  it("wildcard: * spans any characters, including /", () => {
    const p = { EventBusArn: [{ wildcard: "arn:aws:events:us-east-1:*:event-bus/*" }] };
    assert.equal(m(p, { EventBusArn: "arn:aws:events:us-east-1:123456789012:event-bus/default" }), true);
    assert.equal(m(p, { EventBusArn: "arn:aws:events:us-west-2:123456789012:event-bus/default" }), false);
    assert.equal(m({ Key: [{ wildcard: "dir/*.png" }] }, { Key: "dir/dir/dir/dir/dir/doc.png" }), true);
    assert.equal(m({ Key: [{ wildcard: "dir/*.png" }] }, { Key: "dir/doc.jpg" }), false);
  });

  it("numeric: ranges and equality", () => {
    const p = { detail: { "c-count": [{ numeric: [">", 0, "<=", 5] }], "d-count": [{ numeric: ["<", 10] }], "x-limit": [{ numeric: ["=", 3.018e2] }] } };
    assert.equal(m(p, { detail: { "c-count": 5, "d-count": 9, "x-limit": 301.8 } }), true);
    assert.equal(m(p, { detail: { "c-count": 0, "d-count": 9, "x-limit": 301.8 } }), false);
    assert.equal(m(p, { detail: { "c-count": 5, "d-count": 10, "x-limit": 301.8 } }), false);
    // A string is not a number.
    assert.equal(m({ detail: { n: [{ numeric: [">", 0] }] } }, { detail: { n: "5" } }), false);
  });

  it("cidr: IPv4 address ranges", () => {
    const p = { detail: { sourceIPAddress: [{ cidr: "10.0.0.0/24" }] } };
    assert.equal(m(p, { detail: { sourceIPAddress: "10.0.0.24" } }), true);
    assert.equal(m(p, { detail: { sourceIPAddress: "10.0.1.1" } }), false);
  });

  it("exists: leaf nodes only; an object is not a leaf", () => {
    const absent = { detail: { "c-count": [{ exists: false }] } };
    assert.equal(m(absent, { "detail-type": "EC2 Instance State-change Notification", detail: { state: ["initializing", "running"] } }), true);
    // The guide: the same pattern also matches when c-count is an object, because c-count is not a leaf.
    assert.equal(m(absent, { detail: { state: ["initializing", "running"], "c-count": { c1: 100 } } }), true);
    assert.equal(m(absent, { detail: { "c-count": 3 } }), false);
    assert.equal(m({ detail: { state: [{ exists: true }] } }, { detail: { state: "running" } }), true);
    assert.equal(m({ detail: { state: [{ exists: true }] } }, { detail: {} }), false);
  });

  it("equals-ignore-case", () => {
    const p = { "detail-type": [{ "equals-ignore-case": "ec2 instance state-change notification" }] };
    assert.equal(m(p, EC2_EVENT), true);
    assert.equal(m(p, { "detail-type": "EC2 Instance Launch Successful" }), false);
  });

  it("$or: any alternative, combined with the other fields", () => {
    const p = {
      detail: { $or: [{ "c-count": [{ numeric: [">", 0, "<=", 5] }] }, { "d-count": [{ numeric: ["<", 10] }] }, { "x-limit": [{ numeric: ["=", 3.018e2] }] }] },
    };
    assert.equal(m(p, { detail: { "c-count": 3 } }), true);
    assert.equal(m(p, { detail: { "x-limit": 301.8 } }), true);
    assert.equal(m(p, { detail: { "c-count": 30, "d-count": 30 } }), false);
    const top = { source: ["aws.cloudwatch"], $or: [{ metricType: ["MetricType"] }, { namespace: ["AWS/EC2", "AWS/ECS"] }] };
    assert.equal(m(top, { source: "aws.cloudwatch", namespace: "AWS/ECS" }), true);
    assert.equal(m(top, { source: "aws.ec2", namespace: "AWS/ECS" }), false);
    assert.equal(m(top, { source: "aws.cloudwatch", namespace: "AWS/S3" }), false);
  });

  it("the guide's complex example: anything-but and numeric together", () => {
    const p = {
      time: [{ prefix: "2017-10-02" }],
      detail: {
        state: [{ "anything-but": "initializing" }],
        "c-count": [{ numeric: [">", 0, "<=", 5] }],
        "d-count": [{ numeric: ["<", 10] }],
        "x-limit": [{ "anything-but": [100, 200, 300] }],
      },
    };
    assert.equal(m(p, { time: "2017-10-02T18:43:48Z", detail: { state: "running", "c-count": 1, "d-count": 2, "x-limit": 150 } }), true);
    assert.equal(m(p, { time: "2017-10-02T18:43:48Z", detail: { state: "running", "c-count": 1, "d-count": 2, "x-limit": 300 } }), false);
  });

  it("refuses what EventBridge refuses: a bare leaf value, an unknown operator, an empty list", () => {
    assert.throws(() => m({ source: "aws.ec2" }, EC2_EVENT), InvalidPatternError);
    assert.throws(() => m({ source: [{ contains: "ec2" }] }, EC2_EVENT), /unknown operator "contains"/);
    assert.throws(() => m({ source: [] }, EC2_EVENT), InvalidPatternError);
    assert.throws(() => m({ $or: [{ source: ["aws.ec2"] }] }, EC2_EVENT), /\$or/);
  });
});
