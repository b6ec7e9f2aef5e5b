// The CrossGuard policy pack of the audit-trail estate: the MUST items (M1-M5) mandatory, the
// rest advisory. Per-stack levels come from the pack's config (config/<stack>.json locally,
// the policy group's config in Pulumi Cloud): dev is advisory (001 section 3).
import { servePolicyPack } from "./lib/analyzer-handlers";
import { installDeserializeMemo } from "./lib/sdk-memo";
import { ALL_POLICIES } from "./policies";

// Each resource deserialised once per request, not once per policy (lib/sdk-memo.ts).
export const sdkMemo = installDeserializeMemo();

// `new PolicyPack(...)`, with Analyze and AnalyzeStack building what they hand the policies once per
// request, not once per policy (lib/analyzer-handlers.ts).
export const analyzerHandlers = servePolicyPack("audit-trail-must", { enforcementLevel: "mandatory", policies: ALL_POLICIES });
