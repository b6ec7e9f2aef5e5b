// Thin adapter: reads this project's keys from the stack configuration and validates them with
// the pure `parseProfile`. Unknown keys of the project's namespace are errors (a typo such as
// `retentionDay` must not silently fall back to a default), and so are keys of a namespace that is
// neither the project's nor a provider's (`audit-trail-estat:retentionDays`).
import * as pulumi from "@pulumi/pulumi";
import { EstateProfile, parseProfile, PROVIDER_NAMESPACES, RawConfig } from "./profile";

export * from "./profile";

export function loadProfile(): EstateProfile {
  const project = pulumi.getProject();
  const prefix = `${project}:`;
  const raw: RawConfig = {};
  const foreignKeys: string[] = [];
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (key.startsWith(prefix)) raw[key.slice(prefix.length)] = value;
    else if (!PROVIDER_NAMESPACES.includes(key.slice(0, key.indexOf(":")))) foreignKeys.push(key);
  }
  const region = new pulumi.Config("aws").get("region");
  return parseProfile(pulumi.getStack(), raw, region, { foreignKeys });
}

/** Secrets of the stack, kept as Pulumi secrets (encrypted in state, never in plain text). */
export interface EstateSecrets {
  /** E8: the Slack incoming webhook of the environment's channel. */
  slackWebhookUrl?: pulumi.Output<string>;
}

export function loadSecrets(): EstateSecrets {
  return { slackWebhookUrl: new pulumi.Config().getSecret("slackWebhookUrl") };
}
