// Physical names, derived from project settings, stack, account and region so that they are known
// at preview time (policies and reviewers can then read them) and unique across accounts.
import * as pulumi from "@pulumi/pulumi";
import { bucketNameProblems } from "../config/bucket-names";

export interface AccountContext {
  accountId: pulumi.Output<string>;
  partition: pulumi.Output<string>;
  region: string;
}

/** S3 bucket names are global: purpose, stack, account and region keep them unique and readable. */
export function bucketName(prefix: string, purpose: string, stack: string, ctx: AccountContext): pulumi.Output<string> {
  return ctx.accountId.apply((account) => {
    const name = `${prefix}-${purpose}-${stack}-${account}-${ctx.region}`;
    const problems = bucketNameProblems(name);
    if (problems.length > 0) {
      throw new Error(`bucket name "${name}" is not allowed by S3: ${problems.join("; ")}: change namePrefix ("${prefix}") or the stack name`);
    }
    return name;
  });
}

export function trailName(prefix: string, stack: string): string {
  return `${prefix}-trail-${stack}`;
}

/** The trail's ARN before the trail exists: the key and bucket policies must name it (E5, M4). */
export function trailArn(ctx: AccountContext, name: string): pulumi.Output<string> {
  return pulumi.interpolate`arn:${ctx.partition}:cloudtrail:${ctx.region}:${ctx.accountId}:trail/${name}`;
}

export function logGroupArn(ctx: AccountContext, name: string): pulumi.Output<string> {
  return pulumi.interpolate`arn:${ctx.partition}:logs:${ctx.region}:${ctx.accountId}:log-group:${name}`;
}

/** Every log group the estate creates is named under one of these (key policy, E7). */
export function estateLogGroupArnPatterns(ctx: AccountContext, prefix: string, stack: string, trailLogGroupName: string): pulumi.Output<string>[] {
  return [
    logGroupArn(ctx, trailLogGroupName),
    logGroupArn(ctx, `/aws/lambda/${prefix}-${stack}-*`),
    logGroupArn(ctx, `/aws/apigateway/${prefix}-${stack}-*`),
    logGroupArn(ctx, `aws-waf-logs-${prefix}-${stack}-*`),
    // Issue 11: the organisation verification state machine's log group (vended-logs prefix).
    logGroupArn(ctx, `/aws/vendedlogs/states/${prefix}-${stack}-*`),
  ];
}
