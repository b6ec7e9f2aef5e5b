/**
 * AWS access shared by the evidence commands and the daily review: client factories (injectable
 * so tests need no credentials) and trail resolution through CloudTrail GetTrail.
 *
 * The SDK packages are loaded on first use, not at import: a command that never talks to a
 * service (`--help`, an offline `verify --dir`) does not pay for loading its client (issue 15).
 */
import type { CloudTrailClient, Trail } from "@aws-sdk/client-cloudtrail";
import type { ConfigServiceClient } from "@aws-sdk/client-config-service";
import type { OrganizationsClient } from "@aws-sdk/client-organizations";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SFNClient } from "@aws-sdk/client-sfn";
import { parseTrailArn, type TrailLocation } from "./verify/digest-key";

export interface AwsClients {
  s3(region: string): S3Client;
  cloudTrail(region: string): CloudTrailClient;
  config(region: string): ConfigServiceClient;
  /** AWS Organizations (a global service): the organization id of an organization trail, its accounts (verify --all-accounts). */
  organizations?(): OrganizationsClient;
  /** Step Functions in the state machine's region (verify --state-machine). */
  stepFunctions?(region: string): SFNClient;
}

/** One client per service and region, created (and its SDK package loaded) on first use. */
export function defaultAwsClients(): AwsClients {
  const cache = new Map<string, unknown>();
  const memo = <T>(id: string, make: () => T): T => {
    if (!cache.has(id)) cache.set(id, make());
    return cache.get(id) as T;
  };
  /* eslint-disable @typescript-eslint/no-require-imports -- lazy loading is the point */
  return {
    // The log bucket may live outside the trail's home region; follow S3's redirect.
    s3: (region) =>
      memo(`s3:${region}`, () => new (require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3")).S3Client({ region, followRegionRedirects: true })),
    cloudTrail: (region) =>
      memo(`ct:${region}`, () => new (require("@aws-sdk/client-cloudtrail") as typeof import("@aws-sdk/client-cloudtrail")).CloudTrailClient({ region })),
    config: (region) =>
      memo(
        `cfg:${region}`,
        () => new (require("@aws-sdk/client-config-service") as typeof import("@aws-sdk/client-config-service")).ConfigServiceClient({ region }),
      ),
    // Organizations' endpoint is in us-east-1 (aws partition); the SDK resolves it from any region.
    organizations: () =>
      memo(
        "org",
        () => new (require("@aws-sdk/client-organizations") as typeof import("@aws-sdk/client-organizations")).OrganizationsClient({ region: "us-east-1" }),
      ),
    stepFunctions: (region) => memo(`sfn:${region}`, () => new (require("@aws-sdk/client-sfn") as typeof import("@aws-sdk/client-sfn")).SFNClient({ region })),
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

export interface ResolvedTrail {
  arn: string;
  location: TrailLocation;
  /** null = discover the regions that hold digests (multi-region trail). */
  regions: string[] | null;
  trail: Trail;
}

/**
 * Which input of the caller is at fault, so each front end names it its own way: the CLI as a flag
 * (`--organization-id`), the daily review as its environment variable (`ORGANIZATION_ID`). The
 * messages themselves name neither (issue 15: no CLI flags in the Lambda's errors).
 */
export type TrailInput = "trailArn" | "organizationId" | "accountId";

export class TrailResolutionError extends Error {
  constructor(
    message: string,
    /** True when the caller's argument is at fault (bad ARN, unknown trail, missing org id). */
    readonly isUsageError: boolean,
    /** The input at fault, when there is one. */
    readonly input?: TrailInput,
  ) {
    super(message);
    this.name = "TrailResolutionError";
  }
}

export interface TrailResolutionOptions {
  /**
   * Organization trails put `o-xxxx/` in the key; GetTrail does not return it. When absent on an
   * organization trail it is read with Organizations DescribeOrganization, as aws-cli's
   * `validate-logs` does (awscli/customizations/cloudtrail/validation.py, create_digest_traverser).
   */
  organizationId?: string;
  /** Member account whose digests are walked (organization trails); default: the ARN's account. */
  accountId?: string;
}

export const ORGANIZATION_ID_PATTERN = /^o-[a-z0-9]{10,32}$/;
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;

function errorText(err: unknown): string {
  const e = err as { name?: string; message?: string } | null;
  if (!e) return String(err);
  return e.name && e.message && !e.message.startsWith(e.name) ? `${e.name}: ${e.message}` : (e.message ?? String(err));
}

/** Organizations DescribeOrganization -> the organization id (o-...). */
export async function describeOrganizationId(clients: AwsClients, trailArn: string): Promise<string> {
  const why = `${trailArn} is an organization trail: its log and digest keys start with AWSLogs/<organization id>/, which GetTrail does not return`;
  if (!clients.organizations) {
    throw new TrailResolutionError(`${why}; give the organization id`, true, "organizationId");
  }
  const { DescribeOrganizationCommand } = require("@aws-sdk/client-organizations") as typeof import("@aws-sdk/client-organizations"); // eslint-disable-line @typescript-eslint/no-require-imports -- lazy: loads only when used
  let id: string | undefined;
  try {
    id = (await clients.organizations().send(new DescribeOrganizationCommand({})))?.Organization?.Id;
  } catch (err) {
    throw new TrailResolutionError(
      `${why}, and Organizations DescribeOrganization failed (${errorText(err)}); give the organization id`,
      true,
      "organizationId",
    );
  }
  if (!id || !ORGANIZATION_ID_PATTERN.test(id)) {
    throw new TrailResolutionError(
      `${why}, and Organizations DescribeOrganization returned no organization id; give the organization id`,
      true,
      "organizationId",
    );
  }
  return id;
}

/** GetTrail in the trail's home region -> bucket, prefix and which regions to walk. */
export async function resolveTrail(clients: AwsClients, trailArn: string, options: TrailResolutionOptions = {}): Promise<ResolvedTrail> {
  const parts = parseTrailArn(trailArn);
  if (!parts) {
    throw new TrailResolutionError(`"${trailArn}" is not a trail ARN; expected arn:aws:cloudtrail:<region>:<12-digit account>:trail/<name>`, true, "trailArn");
  }
  if (options.organizationId !== undefined && !ORGANIZATION_ID_PATTERN.test(options.organizationId)) {
    throw new TrailResolutionError(
      `"${options.organizationId}" is not an AWS Organizations id (o- followed by 10-32 lowercase letters or digits)`,
      true,
      "organizationId",
    );
  }
  if (options.accountId !== undefined && !ACCOUNT_ID_PATTERN.test(options.accountId)) {
    throw new TrailResolutionError(`"${options.accountId}" is not a 12-digit AWS account id`, true, "accountId");
  }
  const { GetTrailCommand } = require("@aws-sdk/client-cloudtrail") as typeof import("@aws-sdk/client-cloudtrail"); // eslint-disable-line @typescript-eslint/no-require-imports -- lazy: loads only when used
  let trail: Trail | undefined;
  try {
    trail = (await clients.cloudTrail(parts.homeRegion).send(new GetTrailCommand({ Name: trailArn }))).Trail;
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === "TrailNotFoundException") {
      throw new TrailResolutionError(`${trailArn}: no such trail in ${parts.homeRegion} (CloudTrail GetTrail: TrailNotFoundException)`, true, "trailArn");
    }
    throw err;
  }
  if (!trail?.S3BucketName) {
    throw new TrailResolutionError(`CloudTrail GetTrail returned no S3 bucket for ${trailArn}`, false);
  }
  let organizationId = options.organizationId;
  if (trail.IsOrganizationTrail && organizationId === undefined) organizationId = await describeOrganizationId(clients, trailArn);
  // A non-organization trail has no o-xxxx/ level: an id given anyway would point every key astray.
  if (!trail.IsOrganizationTrail) organizationId = undefined;
  const location: TrailLocation = {
    bucket: trail.S3BucketName,
    prefix: trail.S3KeyPrefix ? trail.S3KeyPrefix.replace(/^\/+|\/+$/g, "") || undefined : undefined,
    accountId: options.accountId ?? parts.accountId,
    organizationId,
    trailName: parts.trailName,
    homeRegion: trail.HomeRegion ?? parts.homeRegion,
  };
  return { arn: trailArn, location, regions: trail.IsMultiRegionTrail ? null : [location.homeRegion], trail };
}
