// Production PresignedUrlSigner: S3 presigned URLs computed with the SDK's SigV4 signer, exactly as
// the S3 client + @aws-sdk/s3-request-presigner compute them (same host, path, query and signature;
// tests/handlers/presign-sigv4.test.ts compares the two byte for byte, and checks AWS's documented
// example). Signing is local (SigV4 with the Lambda role's credentials); no request reaches S3
// here. The URL is then only as valid as those credentials: it stops working when the role session
// ends even if X-Amz-Expires has not passed.
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html

import { buildQueryString } from "@smithy/core/protocols";
import type { HttpRequest, QueryParameterBag } from "@smithy/types";
import type { DownloadUrlSigningRequest, PresignedUrlSigner, UploadUrlSigningRequest } from "./core";
import { createSigner, credentialsFromEnvironment, dnsSuffixOf, type CredentialSource } from "./sigv4";

const SSE_HEADERS = ["x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"] as const;
// S3 presigned URLs do not sign the payload: the client's body is unknown at signing time. The
// integrity check of the upload is the signed Content-MD5 instead, which S3 also requires for PUTs
// into a bucket with Object Lock default retention (requirements "Facts": Content-MD5 or checksum).
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html
const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

/** S3's URI encoding of one path segment (the SDK's extendedEncodeURIComponent). */
function encodeKeySegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

// The SDK's isVirtualHostableS3Bucket(bucket, allowSubDomains = false) for HTTPS: one DNS label,
// lower case, not an IP address. Anything else (e.g. a name with dots, which would not match the
// *.s3 wildcard certificate) is addressed path-style, as the S3 client's endpoint rules do.
const HOST_LABEL = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** Host and path of an object, as the S3 client's endpoint rules address it (regional endpoint). */
export function s3ObjectLocation(bucket: string, region: string, key: string): { hostname: string; path: string } {
  const encodedKey = key.split("/").map(encodeKeySegment).join("/");
  const regionalHost = `s3.${region}.${dnsSuffixOf(region)}`;
  if (HOST_LABEL.test(bucket) && !IPV4.test(bucket)) return { hostname: `${bucket}.${regionalHost}`, path: `/${encodedKey}` };
  return { hostname: regionalHost, path: `/${bucket}/${encodedKey}` };
}

export interface PresignS3RequestInput {
  method: "GET" | "PUT";
  hostname: string;
  /** Already URI-encoded, as it appears in the URL. */
  path: string;
  query: QueryParameterBag;
  /** Lower-case names. */
  headers: Record<string, string>;
  region: string;
  credentials: CredentialSource;
  expiresInSeconds: number;
  signingDate: Date;
  /** Headers to sign besides host (the presigner signs host only by default). */
  signableHeaders?: ReadonlySet<string>;
  /** x-amz-* headers that stay headers the client must send instead of moving into the query. */
  unhoistableHeaders?: ReadonlySet<string>;
}

/** One presigned S3 URL: the presigner's preparation (unsigned payload, host) plus SignatureV4.presign. */
export async function presignS3Request(input: PresignS3RequestInput): Promise<string> {
  const signer = createSigner({ service: "s3", region: input.region, credentials: input.credentials, uriEscapePath: false });
  const request: HttpRequest = {
    method: input.method,
    protocol: "https:",
    hostname: input.hostname,
    path: input.path,
    query: { ...input.query },
    headers: { ...input.headers, host: input.hostname, "X-Amz-Content-Sha256": UNSIGNED_PAYLOAD },
  };
  const presigned = await signer.presign(request, {
    expiresIn: input.expiresInSeconds,
    signingDate: input.signingDate,
    // As @aws-sdk/s3-request-presigner: content-type unsigned unless asked for; SSE headers never hoisted.
    unsignableHeaders: new Set(["content-type"]),
    signableHeaders: new Set(input.signableHeaders ?? []),
    unhoistableHeaders: new Set([
      ...(input.unhoistableHeaders ?? []),
      ...Object.keys(input.headers).filter((name) => name.startsWith("x-amz-server-side-encryption")),
    ]),
  });
  return `https://${presigned.hostname}${presigned.path}?${buildQueryString(presigned.query ?? {})}`;
}

export class S3UrlSigner implements PresignedUrlSigner {
  private readonly credentials: CredentialSource;
  private readonly region: string;

  /** `credentials` defaults to the Lambda role's, from the environment. */
  constructor(options: { region: string; credentials?: CredentialSource; env?: Readonly<Record<string, string | undefined>> }) {
    this.region = options.region;
    this.credentials = options.credentials ?? credentialsFromEnvironment(options.env ?? process.env);
  }

  signUpload(request: UploadUrlSigningRequest): Promise<string> {
    const { hostname, path } = s3ObjectLocation(request.bucket, this.region, request.key);
    return presignS3Request({
      method: "PUT",
      hostname,
      path,
      query: { "x-id": "PutObject" },
      headers: {
        "content-type": request.contentType,
        "content-md5": request.contentMd5,
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": request.kmsKeyArn,
      },
      region: this.region,
      credentials: this.credentials,
      expiresInSeconds: request.expiresInSeconds,
      signingDate: request.signingDate,
      // Signed, so S3 refuses an upload with another body (Content-MD5), another type, or without
      // the key the bucket policy demands. Kept as headers rather than hoisted into the query: the
      // client must send them, and the bucket policy's s3:x-amz-server-side-encryption* conditions
      // see them. No checksum header is baked in: an empty-body CRC32 would fail every real upload.
      signableHeaders: new Set(["content-md5", "content-type", ...SSE_HEADERS]),
      unhoistableHeaders: new Set(SSE_HEADERS),
    });
  }

  signDownload(request: DownloadUrlSigningRequest): Promise<string> {
    const { hostname, path } = s3ObjectLocation(request.bucket, this.region, request.key);
    return presignS3Request({
      method: "GET",
      hostname,
      path,
      query: { "x-id": "GetObject" },
      headers: {},
      region: this.region,
      credentials: this.credentials,
      expiresInSeconds: request.expiresInSeconds,
      signingDate: request.signingDate,
    });
  }
}
