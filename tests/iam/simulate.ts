// Evaluates rendered policies with @cloud-copilot/iam-simulate (IAM's evaluation logic: identity
// and resource policies, explicit deny, same/cross account, KMS key policies' own trust rules) in
// strict mode. The simulator does not derive context keys from the request, so this adapter sets
// the ones AWS sets on every request: aws:SecureTransport (TLS unless the test says otherwise),
// aws:PrincipalServiceName for a service principal, aws:PrincipalArn / aws:PrincipalAccount for a
// role (the role's ARN for any of its sessions, IAM "AWS global condition context keys").
//
// One gap of the simulator is closed here: it drops context keys of the form
// `kms:EncryptionContext:<key>` (it matches variable keys only in the `prefix/<key>` form), so a
// condition on an encryption context would fail as "missing". The request is validated with
// runSimulation first (policies, action, resource, every other key); when only encryption-context
// keys were dropped, the decision comes from runUnsafeSimulation with the full context, the same
// engine without the key filter. Any other dropped key fails the test (a typo must not pass).
import { runSimulation, runUnsafeSimulation, type Simulation } from "@cloud-copilot/iam-simulate";

export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

export interface Request {
  /** A service principal (`cloudtrail.amazonaws.com`) or a role ARN. */
  principal: string;
  action: string;
  resource: string;
  /** The account that owns the resource (S3 ARNs carry none). */
  resourceAccount: string;
  context?: Record<string, string | string[]>;
  /** false: a request over plain HTTP (aws:SecureTransport false). */
  tls?: boolean;
  resourcePolicy?: string | object;
  /** The principal's identity policies (JSON as rendered), by name. */
  identityPolicies?: Record<string, string | object>;
}

const asObject = (p: string | object) => (typeof p === "string" ? JSON.parse(p) : p);

export async function decide(req: Request): Promise<Decision> {
  const context: Record<string, string | string[]> = { "aws:SecureTransport": req.tls === false ? "false" : "true" };
  const role = /^arn:aws[a-z-]*:iam::(\d{12}):role\//.exec(req.principal);
  if (role) {
    context["aws:PrincipalArn"] = req.principal;
    context["aws:PrincipalAccount"] = role[1];
  } else if (req.principal.endsWith(".amazonaws.com")) {
    context["aws:PrincipalServiceName"] = req.principal;
  }
  Object.assign(context, req.context ?? {});
  const simulation: Simulation = {
    request: { principal: req.principal, action: req.action, resource: { resource: req.resource, accountId: req.resourceAccount }, contextVariables: context },
    identityPolicies: Object.entries(req.identityPolicies ?? {}).map(([name, policy]) => ({ name, policy: asObject(policy) })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: req.resourcePolicy === undefined ? undefined : asObject(req.resourcePolicy),
  };
  const result = await runSimulation(simulation, { simulationMode: "Strict" });
  if (result.resultType === "error") {
    throw new Error(`the simulator refused the request ${req.action} on ${req.resource}: ${JSON.stringify(result.errors)}`);
  }
  const ignored = result.resultType === "single" ? (result.result.ignoredContextKeys ?? []) : result.results.flatMap((x) => x.ignoredContextKeys ?? []);
  const unexpected = ignored.filter((k) => !/^kms:EncryptionContext:/i.test(k));
  if (unexpected.length > 0) throw new Error(`context keys not valid for ${req.action}: ${unexpected.join(", ")}`);
  if (ignored.length > 0) {
    // Already validated above; the ValidatedPolicy shape (iam-policy's documented plain object)
    // carries the name the engine reports decisive statements under.
    const resourcePolicy = simulation.resourcePolicy && {
      __validated: true,
      policyDocument: simulation.resourcePolicy,
      metadata: { name: "resource-policy" },
      errors: [],
    };
    return runUnsafeSimulation({ ...simulation, resourcePolicy }, { simulationMode: "Strict" }) as Decision;
  }
  return result.overallResult as Decision;
}
