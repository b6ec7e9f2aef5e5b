// Mocks of the AWS provider for Pulumi's mocked runtime, shared by the unit tests and the offline
// check: realistic ids and ARNs (same shapes as AWS returns), and the invokes programs use at
// preview time (`getCallerIdentity`, `getRegion`, `getPartition`, `iam.getPolicyDocument`, which
// returns real policy JSON built like the provider builds it).
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
// Types only: the provider SDK is not loaded by the mocks.
import type { GetPolicyDocumentArgs } from "@pulumi/aws/iam/getPolicyDocument";

export const MOCK_ACCOUNT_ID = "123456789012";
export const MOCK_PARTITION = "aws";
/** The regions enabled in the mocked account (the 17 enabled by default, one opt-in). */
export const MOCK_ENABLED_REGIONS = [
  "ap-east-1",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-south-1",
  "ap-southeast-1",
  "ap-southeast-2",
  "ca-central-1",
  "eu-central-1",
  "eu-north-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "sa-east-1",
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
];

export interface MockOptions {
  region: string;
  accountId?: string;
  /**
   * false: a first preview of a new stack: only the inputs are known, every computed output
   * (ids, ARNs) stays unknown. true: outputs are known, as on an update or after `pulumi up`.
   */
  knownOutputs: boolean;
}

/** A resource's state as the SDK's mocks type it. */
type State = pulumi.runtime.MockResourceResult["state"];

function shortHash(s: string, n = 7): string {
  return createHash("sha256").update(s).digest("hex").slice(0, n);
}

function uuidFrom(s: string): string {
  const h = createHash("sha256").update(s).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** `aws:s3/bucket:Bucket` -> service "s3", resource "bucket". */
function tokenParts(type: string): { pkg: string; service: string; resource: string } {
  const [pkg, mod = "", res = ""] = type.split(":");
  return { pkg, service: mod.split("/")[0], resource: res.charAt(0).toLowerCase() + res.slice(1) };
}

/**
 * Outputs the AWS provider computes for a bucket from its split configuration resources (the
 * deprecated inline arguments, mirrored into state). Unknown on a first preview, as the engine
 * hands them to a policy pack; not modelled with values in known mode (README).
 */
export const PROVIDER_COMPUTED_MIRRORS: Record<string, string[]> = {
  "aws:s3/bucket:Bucket": [
    "policy",
    "serverSideEncryptionConfiguration",
    "lifecycleRules",
    "objectLockConfiguration",
    "versioning",
    "logging",
    "grants",
    "acl",
  ],
  "aws:s3/bucketV2:BucketV2": [
    "policy",
    "serverSideEncryptionConfigurations",
    "lifecycleRules",
    "objectLockConfiguration",
    "versionings",
    "loggings",
    "grants",
    "acl",
  ],
};

export class EstateMocks implements pulumi.runtime.Mocks {
  readonly accountId: string;
  constructor(readonly options: MockOptions) {
    this.accountId = options.accountId ?? MOCK_ACCOUNT_ID;
  }

  /** The outputs AWS computes for a resource, derived deterministically from its inputs. */
  computed(type: string, name: string, inputs: State): { id: string; state: State } {
    const { region } = this.options;
    const acct = this.accountId;
    const p = MOCK_PARTITION;
    const auto = (prefix = name) => `${prefix}-${shortHash(type + name)}`;
    switch (type) {
      case "aws:s3/bucket:Bucket":
      case "aws:s3/bucketV2:BucketV2": {
        const bucket = inputs.bucket ?? (inputs.bucketPrefix ? inputs.bucketPrefix + shortHash(name, 12) : auto());
        return {
          id: bucket,
          state: {
            bucket,
            arn: `arn:${p}:s3:::${bucket}`,
            bucketDomainName: `${bucket}.s3.amazonaws.com`,
            bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com`,
            region,
            hostedZoneId: "Z2M4EHUR26P7ZW",
            forceDestroy: inputs.forceDestroy ?? false,
            objectLockEnabled: inputs.objectLockEnabled ?? false,
          },
        };
      }
      case "aws:kms/key:Key": {
        const keyId = uuidFrom(type + name);
        return { id: keyId, state: { keyId, arn: `arn:${p}:kms:${region}:${acct}:key/${keyId}` } };
      }
      case "aws:kms/alias:Alias":
        return {
          id: inputs.name,
          state: { arn: `arn:${p}:kms:${region}:${acct}:${inputs.name}`, targetKeyArn: `arn:${p}:kms:${region}:${acct}:key/${inputs.targetKeyId}` },
        };
      case "aws:cloudtrail/trail:Trail": {
        const trail = inputs.name ?? auto();
        const arn = `arn:${p}:cloudtrail:${region}:${acct}:trail/${trail}`;
        return { id: arn, state: { name: trail, arn, homeRegion: region } };
      }
      case "aws:cloudwatch/logGroup:LogGroup": {
        const group = inputs.name ?? auto();
        return { id: group, state: { name: group, arn: `arn:${p}:logs:${region}:${acct}:log-group:${group}` } };
      }
      case "aws:iam/role:Role": {
        const role = inputs.name ?? auto();
        return {
          id: role,
          state: { name: role, arn: `arn:${p}:iam::${acct}:role${inputs.path ?? "/"}${role}`, uniqueId: `AROA${shortHash(role, 17).toUpperCase()}` },
        };
      }
      case "aws:iam/policy:Policy": {
        const policy = inputs.name ?? auto();
        return { id: `arn:${p}:iam::${acct}:policy/${policy}`, state: { name: policy, arn: `arn:${p}:iam::${acct}:policy/${policy}` } };
      }
      case "aws:sns/topic:Topic": {
        const topic = inputs.name ?? auto();
        const arn = `arn:${p}:sns:${region}:${acct}:${topic}`;
        return { id: arn, state: { name: topic, arn } };
      }
      case "aws:sqs/queue:Queue": {
        const queue = inputs.name ?? auto();
        return {
          id: `https://sqs.${region}.amazonaws.com/${acct}/${queue}`,
          state: { name: queue, arn: `arn:${p}:sqs:${region}:${acct}:${queue}`, url: `https://sqs.${region}.amazonaws.com/${acct}/${queue}` },
        };
      }
      case "aws:lambda/function:Function": {
        const fn = inputs.name ?? auto();
        const arn = `arn:${p}:lambda:${region}:${acct}:function:${fn}`;
        return {
          id: fn,
          state: {
            name: fn,
            arn,
            qualifiedArn: `${arn}:$LATEST`,
            invokeArn: `arn:${p}:apigateway:${region}:lambda:path/2015-03-31/functions/${arn}/invocations`,
            version: "$LATEST",
          },
        };
      }
      case "aws:cloudwatch/eventRule:EventRule": {
        const rule = inputs.name ?? auto();
        return { id: rule, state: { name: rule, arn: `arn:${p}:events:${region}:${acct}:rule/${rule}` } };
      }
      case "aws:secretsmanager/secret:Secret": {
        const secret = inputs.name ?? auto();
        const arn = `arn:${p}:secretsmanager:${region}:${acct}:secret:${secret}-${shortHash(secret, 6)}`;
        return { id: arn, state: { name: secret, arn } };
      }
      case "random:index/randomPassword:RandomPassword":
      case "random:index/randomString:RandomString": {
        const result = createHash("sha512")
          .update(type + name)
          .digest("hex")
          .repeat(4)
          .slice(0, inputs.length ?? 16);
        return { id: "none", state: { result } };
      }
      case "aws:apigateway/restApi:RestApi": {
        const id = shortHash(type + name, 10);
        return {
          id,
          state: {
            rootResourceId: shortHash(name, 10),
            arn: `arn:${p}:apigateway:${region}::/restapis/${id}`,
            executionArn: `arn:${p}:execute-api:${region}:${acct}:${id}`,
          },
        };
      }
      case "aws:apigateway/stage:Stage":
        return {
          id: `ags-${inputs.restApi}-${inputs.stageName}`,
          state: {
            arn: `arn:${p}:apigateway:${region}::/restapis/${inputs.restApi}/stages/${inputs.stageName}`,
            invokeUrl: `https://${inputs.restApi}.execute-api.${region}.amazonaws.com/${inputs.stageName}`,
          },
        };
      case "aws:wafv2/webAcl:WebAcl": {
        const id = uuidFrom(type + name);
        return { id, state: { arn: `arn:${p}:wafv2:${region}:${acct}:regional/webacl/${inputs.name}/${id}` } };
      }
      case "aws:s3/bucketObjectv2:BucketObjectv2":
        return { id: inputs.key, state: { versionId: shortHash(type + name + String(inputs.content ?? ""), 32) } };
      case "aws:acmpca/certificateAuthority:CertificateAuthority":
        return {
          id: `arn:${p}:acm-pca:${region}:${acct}:certificate-authority/${uuidFrom(name)}`,
          state: {
            arn: `arn:${p}:acm-pca:${region}:${acct}:certificate-authority/${uuidFrom(name)}`,
            certificateSigningRequest: "-----BEGIN CERTIFICATE REQUEST-----\nMOCK\n-----END CERTIFICATE REQUEST-----",
          },
        };
      case "aws:acmpca/certificate:Certificate":
        return {
          id: `${inputs.certificateAuthorityArn}/certificate/${shortHash(name, 32)}`,
          state: { certificate: "-----BEGIN CERTIFICATE-----\nMOCKROOT\n-----END CERTIFICATE-----", certificateChain: "" },
        };
      default: {
        const { pkg, service, resource } = tokenParts(type);
        const id = inputs.name ?? auto();
        if (pkg !== "aws") return { id, state: {} };
        return { id, state: { arn: `arn:${p}:${service}:${region}:${acct}:${resource}/${id}` } };
      }
    }
  }

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: State } {
    if (!this.options.knownOutputs) {
      // First preview: the engine knows nothing but the inputs of a resource to be created.
      return { id: undefined, state: { ...args.inputs } };
    }
    const { id, state } = this.computed(args.type, args.name, args.inputs);
    return { id, state: { ...args.inputs, ...state } };
  }

  call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    const { region } = this.options;
    switch (args.token) {
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return {
          id: this.accountId,
          accountId: this.accountId,
          arn: `arn:${MOCK_PARTITION}:iam::${this.accountId}:user/offline-check`,
          userId: "AIDAOFFLINECHECK0001",
        };
      case "aws:index/getPartition:getPartition":
        return { id: MOCK_PARTITION, partition: MOCK_PARTITION, dnsSuffix: "amazonaws.com", reverseDnsSuffix: "com.amazonaws" };
      case "aws:index/getRegion:getRegion":
        return { id: region, name: region, region, endpoint: `ec2.${region}.amazonaws.com`, description: region };
      case "aws:index/getRegions:getRegions":
        return { id: MOCK_PARTITION, names: [...MOCK_ENABLED_REGIONS] };
      case "aws:iam/getPolicyDocument:getPolicyDocument": {
        const json = policyDocumentJson(args.inputs);
        return { id: shortHash(json, 10), json, minifiedJson: JSON.stringify(JSON.parse(json)) };
      }
      default:
        return {};
    }
  }
}

// The provider renders one-element lists as a scalar and sorts nothing; the same here, so the
// JSON the tests read is the JSON the provider would produce.
const one = (xs: string[]) => (xs.length === 1 ? xs[0] : xs);

export function policyDocumentJson(inputs: GetPolicyDocumentArgs): string {
  const statements = (inputs.statements ?? []).map((s) => {
    const out: Record<string, unknown> = {};
    if (s.sid) out.Sid = s.sid;
    out.Effect = s.effect ?? "Allow";
    for (const [field, key] of [
      ["actions", "Action"],
      ["notActions", "NotAction"],
      ["resources", "Resource"],
      ["notResources", "NotResource"],
    ] as const) {
      if (s[field]?.length) out[key] = one(s[field]);
    }
    for (const [field, key] of [
      ["principals", "Principal"],
      ["notPrincipals", "NotPrincipal"],
    ] as const) {
      if (!s[field]?.length) continue;
      if (s[field].length === 1 && s[field][0].type === "*") out[key] = "*";
      else out[key] = Object.fromEntries(s[field].map((p) => [p.type, one(p.identifiers)]));
    }
    if (s.conditions?.length) {
      const cond: Record<string, Record<string, unknown>> = {};
      for (const c of s.conditions) (cond[c.test] ??= {})[c.variable] = one(c.values);
      out.Condition = cond;
    }
    return out;
  });
  return JSON.stringify({ Version: inputs.version ?? "2012-10-17", Statement: statements }, null, 2);
}
