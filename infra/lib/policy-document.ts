// IAM / resource policy documents built with the provider's own `getPolicyDocument`, so that
// the JSON is canonical and the statements stay typed here.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export type Statement = aws.types.input.iam.GetPolicyDocumentStatementArgs;

export function policyJson(statements: pulumi.Input<pulumi.Input<Statement>[]>, opts: pulumi.InvokeOutputOptions): pulumi.Output<string> {
  return aws.iam.getPolicyDocumentOutput({ statements }, opts).json;
}

/** A resource policy statement refusing these actions on these resources without TLS. */
export function denyWithoutTls(actions: string[], resources: pulumi.Input<string>[]): Statement {
  return {
    sid: "DenyInsecureTransport",
    effect: "Deny",
    principals: [{ type: "*", identifiers: ["*"] }],
    actions,
    resources,
    conditions: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
  };
}

/** E5/E11: every bucket refuses requests that do not use TLS (aws:SecureTransport). */
export function denyInsecureTransport(bucketArn: pulumi.Input<string>): Statement {
  return denyWithoutTls(["s3:*"], [bucketArn, pulumi.interpolate`${bucketArn}/*`]);
}
