// Pure: S3 bucket name validation, shared by the profile (composed and existing names) and
// infra/lib/naming.ts (the names the program makes).

/**
 * S3's general purpose bucket naming rules, each broken rule as a sentence (empty: a valid name).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export function bucketNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (name.length < 3 || name.length > 63) problems.push(`it is ${name.length} characters (3 to 63 allowed)`);
  if (!/^[a-z0-9.-]*$/.test(name)) problems.push("only lowercase letters, digits, periods and hyphens are allowed");
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) problems.push("it must begin and end with a letter or digit");
  if (name.includes("..")) problems.push("it must not contain two adjacent periods");
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) problems.push("it must not be formatted as an IP address");
  for (const prefix of RESERVED_BUCKET_PREFIXES) if (name.startsWith(prefix)) problems.push(`the prefix "${prefix}" is reserved`);
  for (const suffix of RESERVED_BUCKET_SUFFIXES) if (name.endsWith(suffix)) problems.push(`the suffix "${suffix}" is reserved`);
  return problems;
}

/** Reserved by S3 (same page): punycode, S3's own, and its documentation examples. */
export const RESERVED_BUCKET_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"] as const;
/** Reserved for access point and Object Lambda aliases, Multi-Region Access Points, directory and table buckets. */
export const RESERVED_BUCKET_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] as const;
