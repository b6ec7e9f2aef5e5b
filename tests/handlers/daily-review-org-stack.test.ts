// Issue 11: on an organization trail the organization id reaches every consumer the stack
// configures: the daily review (env ORGANIZATION_ID), the stack outputs (organizationId, read by
// `evidence package` and `who --stack`), and the Athena table's location (AWSLogs/<o-id>/).
import * as assert from "node:assert/strict";
import { resourcesOf } from "../support/estate";
import { ORGANIZATION_ID, SHARED_OPTIONS } from "../infra/shared-options";

describe("organization trail, end to end through the stack (issue 11)", function () {
  const ORG = ORGANIZATION_ID;

  it("passes the organization id to the daily review, the outputs and the Athena table", async function () {
    // The suite's one run with every compatible option, an organisation trail among them.
    const r = await resourcesOf("prd", SHARED_OPTIONS);
    const review = r
      .ofType("aws:lambda/function:Function")
      .find((f) => f.inputs.environment?.variables?.TRAIL_ARN !== undefined && f.inputs.environment.variables.DEPLOYER_ROLE_ARNS !== undefined);
    assert.ok(review, "the daily review function");
    assert.equal(review.inputs.environment.variables.ORGANIZATION_ID, ORG);
    assert.equal(r.output("organizationId"), ORG);
    const table = r.one("aws:glue/catalogTable:CatalogTable", "audit-queries-cloudtrail-table").inputs;
    assert.match(
      table.parameters["storage.location.template"],
      new RegExp(`^s3://[^/]+/AWSLogs/${ORG}/\\$\\{account\\}/CloudTrail/\\$\\{region\\}/\\$\\{timestamp\\}$`),
    );
  });

  it("sets no ORGANIZATION_ID and a null organizationId output for a single-account trail", async function () {
    const r = await resourcesOf("prd");
    const review = r.ofType("aws:lambda/function:Function").find((f) => f.inputs.environment?.variables?.DEPLOYER_ROLE_ARNS !== undefined);
    assert.ok(review);
    assert.equal("ORGANIZATION_ID" in review.inputs.environment.variables, false);
    assert.equal(r.output("organizationId") ?? null, null);
  });
});
