// A customer managed KMS key (M4): rotation on, a policy written by the caller, an alias, and in
// dev2/prd protected from deletion (a deleted key makes every log it encrypted unreadable).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { evidenceOptions } from "../lib/bucket-baseline";
import { policyJson, Statement } from "../lib/policy-document";

export interface CustomerManagedKeyArgs {
  description: string;
  /** `alias/<aliasName>` */
  aliasName: string;
  accountId: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  /** Statements beyond account administration: the services and roles that use the key. */
  statements: pulumi.Input<Statement>[];
  protect: boolean;
}

export class CustomerManagedKey extends pulumi.ComponentResource {
  readonly keyArn: pulumi.Output<string>;
  readonly keyId: pulumi.Output<string>;
  readonly aliasName: pulumi.Output<string>;

  constructor(name: string, args: CustomerManagedKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("auditTrail:security:CustomerManagedKey", name, {}, opts);
    const policy = policyJson(
      [
        {
          // Without it nobody can administer the key; IAM policies then grant the rest
          // (KMS docs: "Default key policy", allows access to the AWS account).
          sid: "EnableAccountAdministration",
          effect: "Allow",
          principals: [{ type: "AWS", identifiers: [pulumi.interpolate`arn:${args.partition}:iam::${args.accountId}:root`] }],
          actions: ["kms:*"],
          resources: ["*"],
        },
        ...args.statements,
      ],
      { parent: this },
    );
    const key = new aws.kms.Key(
      name,
      {
        description: args.description,
        enableKeyRotation: true,
        // The longest window: a scheduled deletion is alerted (E8) and can still be cancelled.
        deletionWindowInDays: 30,
        policy,
      },
      evidenceOptions(this, args.protect),
    );
    const alias = new aws.kms.Alias(`${name}-alias`, { name: `alias/${args.aliasName}`, targetKeyId: key.keyId }, { parent: this });
    this.keyArn = key.arn;
    this.keyId = key.keyId;
    this.aliasName = alias.name;
    this.registerOutputs({ keyArn: this.keyArn, keyId: this.keyId, aliasName: this.aliasName });
  }
}
