/**
 * AWS adapters of the organisation verification: S3 listing of member accounts, the run's working
 * objects (plan, ItemReader manifest, full findings, ResultWriter output) and Organizations
 * ListAccounts for the expected accounts.
 */
import { ListAccountsCommand, type OrganizationsClient } from "@aws-sdk/client-organizations";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { ExpectedAccountSource, OrganizationListing, ShardPlan } from "./planner";
import { isShardResult, shardErrorResult, type ShardResult } from "./shard-verifier";
import { organizationRootPrefix, OrgVerificationInputError, validateShard, type OrganizationTrail } from "./shards";

export class S3OrganizationListing implements OrganizationListing {
  constructor(private readonly s3: S3Client) {}

  async listAccountFolders(trail: OrganizationTrail): Promise<string[]> {
    const prefix = organizationRootPrefix(trail);
    const accounts: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: trail.bucket, Prefix: prefix, Delimiter: "/", ContinuationToken: token }));
      for (const p of page.CommonPrefixes ?? []) {
        const name = p.Prefix?.slice(prefix.length).replace(/\/$/, "");
        if (name) accounts.push(name);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return accounts;
  }
}

/**
 * The organisation's accounts that must deliver on `asOf`: ACTIVE and joined by then
 * (Organizations ListAccounts; callable from the management account or a delegated administrator).
 */
export class OrganizationsAccountSource implements ExpectedAccountSource {
  constructor(private readonly organizations: OrganizationsClient) {}

  async listExpectedAccounts(asOf: Date): Promise<string[]> {
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.organizations.send(new ListAccountsCommand({ NextToken: token }));
      for (const account of page.Accounts ?? []) {
        const state = (account as { State?: string }).State ?? account.Status;
        if (!account.Id || state !== "ACTIVE") continue;
        if (account.JoinedTimestamp && account.JoinedTimestamp.getTime() > asOf.getTime()) continue;
        ids.push(account.Id);
      }
      token = page.NextToken;
    } while (token);
    return ids.sort();
  }
}

/** Where a run keeps its working objects (a results bucket of its own, never the locked log bucket). */
export interface RunLocation {
  bucket: string;
  /** Ends with "/". */
  prefix: string;
  runId: string;
}

export function runPrefix(run: RunLocation): string {
  return `${run.prefix}${run.runId}/`;
}
export function planKey(run: RunLocation): string {
  return `${runPrefix(run)}plan.json`;
}
/** The ItemReader's input: a JSON array of shards (ReaderConfig InputType JSON). */
export function itemsKey(run: RunLocation): string {
  return `${runPrefix(run)}shards.json`;
}
export function fullFindingsKey(run: RunLocation, shard: { accountId: string; region: string; day: string }): string {
  return `${runPrefix(run)}findings/${shard.accountId}/${shard.region}/${shard.day}.json`;
}
/** ResultWriter Prefix: Step Functions writes <prefix><map run id>/manifest.json and the result files under it. */
export function resultWriterPrefix(run: RunLocation): string {
  return `${runPrefix(run)}results`;
}

export interface JsonObjects {
  put(bucket: string, key: string, value: unknown): Promise<void>;
  get(bucket: string, key: string): Promise<unknown>;
}

/** JSON objects in the results bucket, SSE-KMS with the given key (the bucket's default otherwise). */
export function s3JsonObjects(s3: S3Client, kmsKeyArn?: string): JsonObjects {
  return {
    async put(bucket, key, value) {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify(value),
          ContentType: "application/json",
          ...(kmsKeyArn ? { ServerSideEncryption: "aws:kms", SSEKMSKeyId: kmsKeyArn, BucketKeyEnabled: true } : {}),
        }),
      );
    },
    async get(bucket, key) {
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const text = await (response.Body as { transformToString(): Promise<string> }).transformToString();
      try {
        return JSON.parse(text);
      } catch (err) {
        throw new OrgVerificationInputError(`s3://${bucket}/${key} is not JSON: ${(err as Error).message}`);
      }
    },
  };
}

export function validatePlan(value: unknown, where: string): ShardPlan {
  const plan = value as ShardPlan | null;
  if (!plan || typeof plan !== "object" || !Array.isArray(plan.shards) || !Array.isArray(plan.days) || !plan.accounts || !plan.trail) {
    throw new OrgVerificationInputError(`${where} is not an organisation verification plan (expected schema audit-org-verification-plan/v1)`);
  }
  plan.shards.forEach((s, i) => validateShard(s, `${where} shards[${i}]`));
  return plan;
}

/** The Distributed Map's output when ResultWriter exports to S3 (Step Functions docs, "ResultWriter"). */
export interface ResultWriterOutput {
  MapRunArn?: string;
  ResultWriterDetails: { Bucket: string; Key: string };
}

/** manifest.json written by ResultWriter. */
interface ResultWriterManifest {
  DestinationBucket?: string;
  MapRunArn?: string;
  ResultFiles?: Partial<Record<"SUCCEEDED" | "FAILED" | "PENDING", Array<{ Key: string; Size?: number }>>>;
}

/** One child execution in a ResultWriter result file (Transformation NONE, OutputType JSON). */
interface ChildExecutionRecord {
  ExecutionArn?: string;
  Status?: string;
  Input?: string;
  Output?: string;
  Error?: string;
  Cause?: string;
}

export interface CollectedResults {
  results: ShardResult[];
  /** Entries that could not be read as a shard result (kept for the record, never dropped silently). */
  unreadable: string[];
  mapRunArn?: string;
}

function parseJsonString(text: unknown): unknown {
  if (typeof text !== "string") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Reads every result file the manifest lists. SUCCEEDED children carry a ShardResult as output;
 * FAILED ones (a child execution that failed outside the shard Task's Catch, e.g. its own timeout)
 * become error results for the shard in their input; PENDING ones stay unreported (the reducer's
 * plan check reports them).
 */
export async function collectResultWriterOutput(objects: JsonObjects, output: ResultWriterOutput): Promise<CollectedResults> {
  const { Bucket, Key } = output.ResultWriterDetails;
  const manifest = (await objects.get(Bucket, Key)) as ResultWriterManifest;
  const bucket = manifest.DestinationBucket ?? Bucket;
  const results: ShardResult[] = [];
  const unreadable: string[] = [];
  for (const status of ["SUCCEEDED", "FAILED"] as const) {
    for (const file of manifest.ResultFiles?.[status] ?? []) {
      const entries = (await objects.get(bucket, file.Key)) as ChildExecutionRecord[];
      if (!Array.isArray(entries)) {
        unreadable.push(`s3://${bucket}/${file.Key}: not a JSON array`);
        continue;
      }
      for (const entry of entries) {
        const out = parseJsonString(entry.Output);
        if (entry.Status === "SUCCEEDED" && isShardResult(out)) {
          results.push(out);
          continue;
        }
        const input = parseJsonString(entry.Input) as { shard?: unknown } | undefined;
        try {
          const shard = validateShard(input?.shard, "child execution input");
          results.push(shardErrorResult(shard, entry.Error ?? `child execution ${entry.Status ?? "without status"}`, entry.Cause ?? "no cause recorded"));
        } catch {
          unreadable.push(`${entry.ExecutionArn ?? "(no execution ARN)"} in s3://${bucket}/${file.Key}: neither a shard result nor a shard input`);
        }
      }
    }
  }
  return { results, unreadable, mapRunArn: manifest.MapRunArn ?? output.MapRunArn };
}
