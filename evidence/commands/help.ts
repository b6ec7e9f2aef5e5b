/**
 * Usage texts: the overview (`evidence help`) and one page per command (`evidence <command>
 * --help`). Plain data, no imports, so help is instant (issue 15).
 */

export const VERIFY_HELP = `  verify   Validate CloudTrail log file integrity (digest chain, signatures, log file hashes)
    Offline, on an export:
      verify --dir <exportRoot> --public-keys <file> [--trail-arn <arn>] [--start <time>] [--end <time>] [--json]
        --public-keys: output of "aws cloudtrail list-public-keys" for the period, obtained
        independently of the export (a key file shipped with an export proves nothing).
        --trail-arn may be left out when the export holds one trail. Without --start/--end the
        period is what the export's digests cover; a bound outside it is a usage error.
    Online, on the trail's S3 bucket:
      verify --trail-arn <arn> --start <time> --end <time> [--json]
    Common options: [--regions r1,r2] [--concurrency 1-64] [--organization-id o-xxx] [--account-id 123456789012]
      --organization-id: an organization trail's id (default: Organizations DescribeOrganization);
      --account-id: the member account whose digests to walk (default: the trail ARN's account).
    Archived (Glacier, Deep Archive) digests or log files: exit 3 with the restore command.
    Organisation trail, every member account (issue 11; one shard = account x region x UTC day,
    the UTC days the period touches are verified whole, at most 366):
      verify --all-accounts --organization-id o-xxx --trail-arn <org trail arn> --start <time> --end <time>
             [--expected-accounts organizations|listed|<id,id,...>] [--expected-regions r1,r2]
             [--concurrency 1-1000] [--file-concurrency 1-64] [--attempts 1-10] [--progress] [--json]
        --expected-accounts: who must deliver: organizations (ACTIVE accounts from Organizations
          ListAccounts), listed (default: the accounts found in the bucket) or account ids; an
          expected account or region without digests is a finding.
        --expected-regions: default the trail's region (single-region trail) or every region found.
        --concurrency: shards at once (default 8); --file-concurrency: log files per shard (default 4);
        --attempts: tries per shard on a throttled or transient failure (default 3), then it is reported.
        --progress: one line per shard on stderr as it finishes.
      verify --state-machine <arn> --start <time> --end <time> [--wait [--progress]] [--json]
        Starts the deployed organisation verification (Step Functions) for those days; --wait
        polls it every 5 s: SUCCEEDED clean 0, SUCCEEDED with findings 1, FAILED/TIMED_OUT/ABORTED 3.
      Exit codes: 0 clean, 1 findings, 3 shards not verified (and nothing else found).
`;

export const EXPORT_HELP = `  export   Copy digests, their log files, signature metadata and public keys for offline verify
      export --trail-arn <arn> --start <time> --end <time> --out <dir> [--regions r1,r2] [--concurrency n]
             [--organization-id o-xxx] [--account-id 123456789012]
`;

export const PACKAGE_HELP = `  package  Write the evidence package of a period (trail config/status, verification, bucket
           protection, Config compliance, review records, index.md/index.json, SHA256SUMS)
      package --stack <name> --start <time> --end <time> --out <dir> [--trail-arn <arn>] [--log-bucket <name>]
              [--organization-id o-xxx] [--account-id 123456789012] [--regions r1,r2] [--concurrency n]
        Without --trail-arn/--log-bucket they (and organizationId) are read from "pulumi stack output" of --stack.
        Archived digests or log files: exit 3 with the restore command (the package would be incomplete).
`;

export const WHO_USAGE = `  who      Who accessed an S3 object, key prefix or bucket in a period: one row per S3 data event
           with time (UTC), principal and role, MFA, action, key, source IP, user agent, result,
           event id and the log file it came from (A1-A6)
      who --bucket <name> [--key <key> | --key <prefix>*] [--principal <arn>] --start <time> --end <time>
          [--account <12-digit id>] [--organization-id o-xxx]
          [--stack <name>] [--format table|csv|json] [--source auto|athena|logs] [--verify-digests]
        --key: an exact key, or a prefix followed by * (quote it in the shell)
        --principal: an IAM user/role ARN (also matches the role's sessions) or an STS session ARN
        --end is exclusive. --source auto: Logs Insights when the whole period is within the log
          group's retention, else Athena over the trail's S3 logs (which --verify-digests needs)
        --verify-digests: check each row's log file against the trail's signed digest chain
        Without --stack: --workgroup <wg> --database <db> --table <t> (Athena) and/or
          --log-group <name> (Logs Insights), --home-region <region> (where they live; default
          $AWS_REGION), --trail-arn <arn> (for --verify-digests)
        --account: the account whose logs to read (an organization trail's member account);
          default: the account the Athena table names (the trail's own)
        --organization-id: an organization trail's o-... id, for --verify-digests (default: the
          stack output organizationId, else Organizations DescribeOrganization)
        DeleteObjects on the bucket is listed with --key too: S3 does not record its keys.
          CopyObject/UploadPartCopy from the object are listed (matched by x-amz-copy-source).
        Archived log files (Glacier, Deep Archive) in the period: exit 3 with the restore command.
        Other options: [--region <bucket region>] [--timeout <seconds, default 900>]
        Exit codes: 0 answered (also with no events), 1 a row's log file did not verify,
          2 usage error or period not kept by the source, 3 query failed/cancelled/timed out or
          log files archived.
`;

export const COMMON_HELP = `Times are ISO 8601 with a zone: 2024-03-01, 2024-03-01T00:00:00Z, 2024-03-01T09:00:00+09:00.
Exit codes (every command, also npm run check): 0 valid / done, 1 findings (other than gaps),
  2 usage error (nothing was run), 3 could not run (AWS or I/O error, archived evidence).
`;

export const COMMAND_HELP: Readonly<Record<string, string>> = {
  verify: VERIFY_HELP,
  export: EXPORT_HELP,
  package: PACKAGE_HELP,
  who: WHO_USAGE,
};

export const USAGE = `Usage: npm run evidence -- <command> [options]    (npm run evidence -- <command> --help: one command)

Commands:
${VERIFY_HELP}${EXPORT_HELP}${PACKAGE_HELP}${WHO_USAGE}
${COMMON_HELP}`;

/** `evidence <command> --help`. */
export function commandHelp(command: string): string {
  return `Usage: npm run evidence -- ${command} [options]\n\n${COMMAND_HELP[command]}\n${COMMON_HELP}`;
}
