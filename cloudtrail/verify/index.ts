/** CloudTrail log file integrity validation (E13): pure core, S3 and local export adapters. */
export * from "./findings";
export * from "./digest-key";
export * from "./signature";
export * from "./gzip-member";
export * from "./digest-inspection";
export * from "./store";
export * from "./verifier";
export * from "./coverage";
export * from "./report";
export { S3DigestStore, isS3NotFound, type S3DigestStoreOptions } from "./s3-store";
export {
  LocalExportStore,
  PublicKeysFileError,
  META_SUFFIX,
  discoverExportedTrails,
  keysValidBetween,
  parsePublicKeysDocument,
  readPublicKeysFile,
  publicKeysFileInsideExport,
  MAX_PUBLIC_KEYS_FILE_BYTES,
} from "./local-store";
