// Production PresignedUrlSigner: SDK v3 presigner. Signing is local (SigV4 with the Lambda role's
// credentials); no request reaches S3 here. The URL is then only as valid as those credentials:
// it stops working when the role session ends even if X-Amz-Expires has not passed.

import { GetObjectCommand, PutObjectCommand, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { DownloadUrlSigningRequest, PresignedUrlSigner, UploadUrlSigningRequest } from "./core";

const SSE_HEADERS = ["x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"] as const;

export function createDataBucketS3Client(options: { region: string; credentials?: S3ClientConfig["credentials"] }): S3Client {
  return new S3Client({
    region: options.region,
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    // Without this the SDK computes a CRC32 of the empty body at signing time and bakes
    // x-amz-checksum-crc32 / x-amz-sdk-checksum-algorithm into the URL, so every real upload
    // would fail its checksum. Content-MD5 is the integrity check instead.
    requestChecksumCalculation: "WHEN_REQUIRED",
    // Likewise keeps x-amz-checksum-mode out of download URLs.
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

export class S3UrlSigner implements PresignedUrlSigner {
  constructor(private readonly s3: S3Client) {}

  signUpload(request: UploadUrlSigningRequest): Promise<string> {
    const command = new PutObjectCommand({
      Bucket: request.bucket,
      Key: request.key,
      ContentMD5: request.contentMd5,
      ContentType: request.contentType,
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: request.kmsKeyArn,
    });
    return getSignedUrl(this.s3, command, {
      expiresIn: request.expiresInSeconds,
      signingDate: request.signingDate,
      // Signed, so S3 refuses an upload with another body (Content-MD5), another type, or without
      // the key the bucket policy demands. The presigner leaves content-type unsigned by default.
      signableHeaders: new Set(["content-md5", "content-type", ...SSE_HEADERS]),
      // Kept as headers rather than hoisted into the query: the client must send them, and the
      // bucket policy's s3:x-amz-server-side-encryption* conditions see them. Fresh sets per call:
      // the presigner adds to the sets it is given.
      unhoistableHeaders: new Set(SSE_HEADERS),
    });
  }

  signDownload(request: DownloadUrlSigningRequest): Promise<string> {
    const command = new GetObjectCommand({ Bucket: request.bucket, Key: request.key });
    return getSignedUrl(this.s3, command, { expiresIn: request.expiresInSeconds, signingDate: request.signingDate });
  }
}
