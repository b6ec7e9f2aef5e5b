// Physical names, derived from project settings, stack, account and region so that they are known
// at preview time (policies and reviewers can then read them) and unique across accounts.
import * as pulumi from "@pulumi/pulumi";
import { bucketNameProblems } from "../config/bucketNames";

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
