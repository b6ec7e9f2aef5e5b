// A Lambda function of the estate with what each one needs, written once: its handler bundled by
// esbuild from handlers/ (no closure serialisation), an execution role assumable only by Lambda
// in this account, the permissions the caller names and nothing else, and its own KMS-encrypted
// log group with JSON logs (Powertools) kept as long as the environment requires.
import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { bundleHandler } from "../../handlers/bundle";
import { policyJson, Statement } from "../lib/policy-document";

export interface HandlerFunctionArgs {
  /** Path of the handler module under handlers/, e.g. "notifier/index.ts". */
  entry: string;
  functionName: string;
  description: string;
  environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** The function's permissions beyond writing its own logs. */
  statements: pulumi.Input<Statement>[];
  accountId: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
  logRetentionDays: number;
  timeoutSeconds: number;
  memoryMb?: number;
}

const HANDLERS_DIR = path.resolve(__dirname, "../../handlers");
// On globalThis: the offline runner reloads the program's modules for every stack it runs.
const BUNDLES = Symbol.for("audit-trail-estate.handler-bundles");
const bundles: Map<string, pulumi.asset.AssetArchive> = ((globalThis as { [BUNDLES]?: Map<string, pulumi.asset.AssetArchive> })[BUNDLES] ??= new Map());

/** One bundle per handler source per process: several stacks in one test run share it. */
export function handlerArchive(entry: string): pulumi.asset.AssetArchive {
  const source = fs.realpathSync(path.join(HANDLERS_DIR, entry));
  let archive = bundles.get(source);
  if (!archive) {
    const { code } = bundleHandler(source);
    archive = new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(code) });
    bundles.set(source, archive);
  }
  return archive;
}

export class HandlerFunction extends pulumi.ComponentResource {
  readonly functionArn: pulumi.Output<string>;
  readonly functionName: pulumi.Output<string>;
  readonly roleArn: pulumi.Output<string>;
  readonly logGroupName: pulumi.Output<string>;

  constructor(name: string, args: HandlerFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("auditTrail:compute:HandlerFunction", name, {}, opts);
    const logGroupName = `/aws/lambda/${args.functionName}`;
    // Known before the function exists: the KMS encryption context names it (below).
    const region = aws.getRegionOutput({}, { parent: this }).region;
    const partition = aws.getPartitionOutput({}, { parent: this }).partition;
    const plannedFunctionArn = pulumi.interpolate`arn:${partition}:lambda:${region}:${args.accountId}:function:${args.functionName}`;
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: logGroupName, retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn },
      { parent: this },
    );
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        // Named like the function, so policies can name the role before it exists (E14 review/).
        name: args.functionName,
        description: `Execution role of ${args.functionName}`,
        assumeRolePolicy: policyJson(
          [
            {
              effect: "Allow",
              // No aws:SourceAccount condition: Lambda's execution-role trust is documented without
              // one, and a condition the service does not send would stop the function.
              principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }],
              actions: ["sts:AssumeRole"],
            },
          ],
          { parent: this },
        ),
      },
      { parent: this },
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: role.id,
        policy: policyJson(
          [
            {
              // Its environment is encrypted with the estate's key; Lambda decrypts it at start-up
              // with the execution role, through Lambda, under the encryption context
              // aws:lambda:FunctionArn = the function's ARN ("Securing Lambda environment
              // variables", https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html).
              sid: "DecryptOwnEnvironment",
              effect: "Allow",
              actions: ["kms:Decrypt"],
              resources: [args.kmsKeyArn],
              conditions: [
                { test: "StringEquals", variable: "kms:EncryptionContext:aws:lambda:FunctionArn", values: [plannedFunctionArn] },
                { test: "StringEquals", variable: "kms:ViaService", values: [pulumi.interpolate`lambda.${region}.amazonaws.com`] },
              ],
            },
            {
              sid: "WriteOwnLogs",
              effect: "Allow",
              actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
              resources: [pulumi.interpolate`${logGroup.arn}:log-stream:*`],
            },
            ...args.statements,
          ],
          { parent: this },
        ),
      },
      { parent: this },
    );
    const fn = new aws.lambda.Function(
      name,
      {
        name: args.functionName,
        description: args.description,
        runtime: "nodejs22.x",
        architectures: ["arm64"],
        handler: "index.handler",
        code: handlerArchive(args.entry),
        role: role.arn,
        timeout: args.timeoutSeconds,
        memorySize: args.memoryMb ?? 256,
        environment: { variables: args.environment },
        // Environment variables at rest with the estate key, not the AWS managed one.
        kmsKeyArn: args.kmsKeyArn,
        // INFO keeps the audit and notification records (a higher level would drop them).
        loggingConfig: { logFormat: "JSON", logGroup: logGroup.name, applicationLogLevel: "INFO", systemLogLevel: "WARN" },
      },
      { parent: this, dependsOn: [rolePolicy] },
    );
    this.functionArn = fn.arn;
    this.functionName = fn.name;
    this.roleArn = role.arn;
    this.logGroupName = logGroup.name;
    this.registerOutputs({ functionArn: this.functionArn, roleArn: this.roleArn });
  }
}
