// Lambda entry point of the presign API (E12): `handlers/presign/index.handler`.
// Built at module load, i.e. during the Lambda init phase: an invalid environment fails the cold
// start with a PresignConfigError naming the variable, before any URL could be issued.
//
// Environment:
//   DATA_BUCKET                    required  backup-data bucket (E11)
//   DATA_KMS_KEY_ARN               required  KMS key ARN uploads must use (SSE-KMS, signed)
//   AWS_REGION                     set by Lambda
//   AUDIT_HASH_SALT_SECRET_ARN     required  Secrets Manager secret whose SecretString (>= 32 chars)
//                                            is the HMAC key for hashed audit fields (No.50); read on
//                                            the first invocation, kept for the sandbox's life
//   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN   set by Lambda (the role's credentials)
//   URL_EXPIRY_SECONDS             optional  default 300, 1..3600
//   KEY_PREFIX_ROOT                optional  default "tenants/"
//   OBJECT_KEY_INCLUDES_FILE_NAME  optional  "true" | "false" (default)
//   REQUIRE_CLIENT_CERT            optional  "true" | "false" (default); "true" when mTLS is on

import { createPresignHandler } from "./adapter";

export const handler = createPresignHandler({ env: process.env });
