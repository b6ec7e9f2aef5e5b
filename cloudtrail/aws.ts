/**
 * AWS access shared by the evidence commands and the daily review: client factories (injectable
 * so tests need no credentials) and trail resolution through CloudTrail GetTrail.
 */
import { CloudTrailClient, GetTrailCommand, type Trail } from "@aws-sdk/client-cloudtrail";
import { ConfigServiceClient } from "@aws-sdk/client-config-service";
import { S3Client } from "@aws-sdk/client-s3";
import { parseTrailArn, type TrailLocation } from "./verify/digest-key";

export interface AwsClients {
  s3(region: string): S3Client;
  cloudTrail(region: string): CloudTrailClient;
  config(region: string): ConfigServiceClient;
}

/** One client per service and region, created on first use. */
export function defaultAwsClients(): AwsClients {
  const cache = new Map<string, unknown>();
  const memo = <T>(id: string, make: () => T): T => {
    if (!cache.has(id)) cache.set(id, make());
    return cache.get(id) as T;
  };
  return {
    // The log bucket may live outside the trail's home region; follow S3's redirect.
    s3: (region) => memo(`s3:${region}`, () => new S3Client({ region, followRegionRedirects: true })),
    cloudTrail: (region) => memo(`ct:${region}`, () => new CloudTrailClient({ region })),
    config: (region) => memo(`cfg:${region}`, () => new ConfigServiceClient({ region })),
  };
}

export interface ResolvedTrail {
  arn: string;
  location: TrailLocation;
  /** null = discover the regions that hold digests (multi-region trail). */
  regions: string[] | null;
  trail: Trail;
}

export class TrailResolutionError extends Error {
  constructor(
    message: string,
    /** True when the caller's argument is at fault (bad ARN, unknown trail, missing org id). */
    readonly isUsageError: boolean,
  ) {
    super(message);
    this.name = "TrailResolutionError";
  }
}

export interface TrailResolutionOptions {
  /** Organization trails put `o-xxxx/` in the key; GetTrail does not return it. */
  organizationId?: string;
  /** Member account whose digests are walked (organization trails); default: the ARN's account. */
  accountId?: string;
}

/** GetTrail in the trail's home region -> bucket, prefix and which regions to walk. */
export async function resolveTrail(clients: AwsClients, trailArn: string, options: TrailResolutionOptions = {}): Promise<ResolvedTrail> {
  const parts = parseTrailArn(trailArn);
  if (!parts) {
    throw new TrailResolutionError(`--trail-arn "${trailArn}" is not a trail ARN; expected arn:aws:cloudtrail:<region>:<12-digit account>:trail/<name>`, true);
  }
  let trail: Trail | undefined;
  try {
    trail = (await clients.cloudTrail(parts.homeRegion).send(new GetTrailCommand({ Name: trailArn }))).Trail;
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === "TrailNotFoundException") {
      throw new TrailResolutionError(`--trail-arn ${trailArn}: no such trail in ${parts.homeRegion} (CloudTrail GetTrail: TrailNotFoundException)`, true);
    }
    throw err;
  }
  if (!trail?.S3BucketName) {
    throw new TrailResolutionError(`CloudTrail GetTrail returned no S3 bucket for ${trailArn}`, false);
  }
  if (trail.IsOrganizationTrail && !options.organizationId) {
    throw new TrailResolutionError(`${trailArn} is an organization trail: pass --organization-id o-xxxxxxxxxx (the AWS Organizations id in its key prefix)`, true);
  }
  const location: TrailLocation = {
    bucket: trail.S3BucketName,
    prefix: trail.S3KeyPrefix ? trail.S3KeyPrefix.replace(/^\/+|\/+$/g, "") || undefined : undefined,
    accountId: options.accountId ?? parts.accountId,
    organizationId: options.organizationId,
    trailName: parts.trailName,
    homeRegion: trail.HomeRegion ?? parts.homeRegion,
  };
  return { arn: trailArn, location, regions: trail.IsMultiRegionTrail ? null : [location.homeRegion], trail };
}
