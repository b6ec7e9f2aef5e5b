// SigV4 for the presign handler: the SDK's own signer (@smithy/signature-v4, the class the S3
// client and presigner use) with Node's crypto as its SHA-256, credentials from the Lambda
// environment, and the AWS partition table for endpoint host names.
//
// Why not the S3 client: the client brings its endpoint rules, middleware stack, XML protocol and
// the full credential chain (~400 KB minified) to compute what is, for a presigned URL, one HMAC
// chain over a canonical request. The signer alone keeps the cold start small (issue 13 budget:
// bundle <= 250 KB, import <= 25 ms over node's own start). Byte equality with the S3 presigner's
// URLs is proven by tests/handlers/presign-sigv4.test.ts.

import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, Checksum, SourceData } from "@smithy/types";

function toBuffer(data: SourceData): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 / HMAC-SHA-256 on node:crypto, in the shape the SDK signer expects (its `sha256` option). */
export class NodeSha256 implements Checksum {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = NodeSha256.create(secret);
  }
  private static create(secret?: SourceData): Hash | Hmac {
    return secret === undefined ? createHash("sha256") : createHmac("sha256", toBuffer(secret));
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    this.hash = NodeSha256.create(this.secret);
  }
}

export class MissingCredentialsError extends Error {
  constructor(variable: string) {
    super(`AWS credentials: ${variable} is not set (Lambda sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from the function's role)`);
    this.name = "MissingCredentialsError";
  }
}

/**
 * The Lambda role's credentials as the runtime hands them over: environment variables, read at each
 * signing (the SDK's default chain reads the same variables first in Lambda).
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 */
export function credentialsFromEnvironment(env: Readonly<Record<string, string | undefined>>): () => Promise<AwsCredentialIdentity> {
  return () => {
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    if (accessKeyId === undefined || accessKeyId === "") return Promise.reject(new MissingCredentialsError("AWS_ACCESS_KEY_ID"));
    if (secretAccessKey === undefined || secretAccessKey === "") return Promise.reject(new MissingCredentialsError("AWS_SECRET_ACCESS_KEY"));
    const sessionToken = env.AWS_SESSION_TOKEN;
    return Promise.resolve(
      sessionToken === undefined || sessionToken === "" ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, sessionToken },
    );
  };
}

export type CredentialSource = AwsCredentialIdentity | (() => Promise<AwsCredentialIdentity>);

export function createSigner(options: { service: string; region: string; credentials: CredentialSource; uriEscapePath: boolean }): SignatureV4 {
  return new SignatureV4({
    service: options.service,
    region: options.region,
    credentials: options.credentials,
    sha256: NodeSha256,
    uriEscapePath: options.uriEscapePath,
    // S3 presigned URLs carry X-Amz-Content-Sha256 explicitly; JSON calls hash their body.
    applyChecksum: false,
  });
}

// The partitions of the SDK's endpoint rules (@aws-sdk/core partitionsInfo: id, dnsSuffix,
// regionRegex), most specific first; an unknown region falls back to "aws" as the SDK does.
const PARTITIONS: ReadonlyArray<{ id: string; dnsSuffix: string; regionRegex: RegExp }> = [
  { id: "aws-cn", dnsSuffix: "amazonaws.com.cn", regionRegex: /^cn-\w+-\d+$/ },
  { id: "aws-eusc", dnsSuffix: "amazonaws.eu", regionRegex: /^eusc-de-\w+-\d+$/ },
  { id: "aws-iso", dnsSuffix: "c2s.ic.gov", regionRegex: /^us-iso-\w+-\d+$/ },
  { id: "aws-iso-b", dnsSuffix: "sc2s.sgov.gov", regionRegex: /^us-isob-\w+-\d+$/ },
  { id: "aws-iso-e", dnsSuffix: "cloud.adc-e.uk", regionRegex: /^eu-isoe-\w+-\d+$/ },
  { id: "aws-iso-f", dnsSuffix: "csp.hci.ic.gov", regionRegex: /^us-isof-\w+-\d+$/ },
  { id: "aws-us-gov", dnsSuffix: "amazonaws.com", regionRegex: /^us-gov-\w+-\d+$/ },
];

export function dnsSuffixOf(region: string): string {
  return PARTITIONS.find((partition) => partition.regionRegex.test(region))?.dnsSuffix ?? "amazonaws.com";
}
