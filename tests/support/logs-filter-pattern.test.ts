// The filter-pattern evaluator (tests/support/logs-filter-pattern.ts) on the examples of AWS's
// "Filter pattern syntax for metric filters", JSON sections: "Matching terms in JSON log events" and
// "Using compound expressions to match terms in JSON objects"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntaxForMetricFilters.html;
// source awsdocs/amazon-cloudwatch-logs-user-guide doc_source/FilterAndPatternSyntax.md at
// 26c12c3d66ecf7465037ca77e8a0ef963b069d1e). Each expectation is the page's own.
import { strict as assert } from "assert";
import { FilterPatternError, matchesFilterPattern as m } from "./logs-filter-pattern";

// The page's "Example: JSON log event".
const LOG_EVENT = {
  eventType: "UpdateTrail",
  sourceIPAddress: "111.111.111.111",
  arrayKey: ["value", "another value"],
  objectList: [
    { name: "a", id: 1 },
    { name: "b", id: 2 },
  ],
  SomeObject: null,
};

// The page's "Example: JSON object" for compound expressions.
const COMPOUND = {
  user: { id: 1, email: "John.Stiles@example.com" },
  users: [
    { id: 2, email: "John.Doe@example.com" },
    { id: 3, email: "Jane.Doe@example.com" },
  ],
  actions: ["GET", "PUT", "DELETE"],
  coordinates: [
    [0, 1, 2],
    [4, 5, 6],
    [7, 8, 9],
  ],
};

describe("CloudWatch Logs filter patterns on the syntax page's examples", () => {
  it("matches terms in a JSON log event", () => {
    assert.equal(m('{ $.eventType = "UpdateTrail" }', LOG_EVENT), true);
    // "matches ... because it doesn't contain a number with the prefix 123.123"
    assert.equal(m("{ $.sourceIPAddress != 123.123.* }", LOG_EVENT), true);
    assert.equal(m('{ $.arrayKey[0] = "value" }', LOG_EVENT), true);
    assert.equal(m("{ $.objectList[1].id = 2 }", LOG_EVENT), true);
    assert.equal(m("{ $.SomeObject IS NULL }", LOG_EVENT), true);
    assert.equal(m("{ $.SomeOtherObject NOT EXISTS }", LOG_EVENT), true);
  });

  it("and the same selectors fail where the page says they should not match", () => {
    assert.equal(m('{ $.eventType = "DeleteTrail" }', LOG_EVENT), false);
    assert.equal(m("{ $.sourceIPAddress != 111.111.* }", LOG_EVENT), false);
    assert.equal(m("{ $.objectList[1].id = 1 }", LOG_EVENT), false);
    assert.equal(m("{ $.eventType NOT EXISTS }", LOG_EVENT), false);
    assert.equal(m("{ $.eventType IS NULL }", LOG_EVENT), false);
    // "If a property selector points to an array or object, the metric filter won't match."
    assert.equal(m('{ $.arrayKey = "value" }', LOG_EVENT), false);
    assert.equal(m('{ $.objectList != "x" }', LOG_EVENT), false);
  });

  it("compound expressions: the two that match", () => {
    assert.equal(m('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', COMPOUND), true);
    // && binds tighter than ||: the first term alone makes it match.
    assert.equal(m('{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" }', COMPOUND), true);
  });

  it("compound expressions: the two that do not", () => {
    assert.equal(m('{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nonmatch" }', COMPOUND), false);
    assert.equal(m('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', COMPOUND), false);
  });

  it("numeric operators of the page's metric-filter examples", () => {
    assert.equal(m("{ $.bandwidth > 75 }", { bandwidth: 76 }), true);
    assert.equal(m("{ $.bandwidth > 75 }", { bandwidth: 75 }), false);
    assert.equal(m("{ $.latency < 50 }", { latency: 49 }), true);
    assert.equal(m("{ $.refreshRate >= 60 }", { refreshRate: 60 }), true);
    assert.equal(m("{ $.responseTime <= 5 }", { responseTime: 6 }), false);
    assert.equal(m("{ $.errorCode = 400}", { errorCode: 400 }), true);
    assert.equal(m("{ $.errorCode != 500 }", { errorCode: 400 }), true);
    assert.equal(m("{ $.number[0] = 1e-3 }", { number: [0.001] }), true);
    assert.equal(m("{ $.number[0] != 1e+3 }", { number: [1000] }), false);
  });

  it("string wildcards as the CIS patterns use them", () => {
    assert.equal(m('{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }', { errorCode: "Client.UnauthorizedOperation" }), true);
    assert.equal(m('{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }', { errorCode: "AccessDeniedException" }), true);
    assert.equal(m('{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }', { errorCode: "ThrottlingException" }), false);
    assert.equal(m('{ $.errorCode = "*" }', { errorCode: "Anything" }), true);
    assert.equal(m('{ $.errorCode = "*" }', {}), false);
    assert.equal(m("{ ($.eventName=DeleteGroupPolicy) || ($.eventName=PutRolePolicy) }", { eventName: "PutRolePolicy" }), true);
  });

  it("refuses malformed patterns, naming the position", () => {
    assert.throws(() => m("$.a = 1", {}), FilterPatternError);
    assert.throws(() => m("{ $.a = }", {}), /expected a value/);
    assert.throws(() => m("{ $.a IS NOT NULL }", {}), /operator/);
    assert.throws(() => m("{ ($.a = 1 }", {}), /expected "\)"/);
  });
});
