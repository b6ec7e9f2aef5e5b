// A small model of GitHub Actions workflow files for the structural tests: parse them with the
// `yaml` package, expand `strategy.matrix`, flatten `run:` scripts into commands with the folder
// each runs in, and list what is wrong with the organisation's two workflows. The checks return
// problems as text (rather than asserting) so the tests can show both that the real files have
// none and that a mutated copy has the expected one.
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";

export const ROOT = path.resolve(__dirname, "../..");
export const WORKFLOW_DIR = path.join(ROOT, ".github", "workflows");
export const STACKS = ["dev", "dev2", "prd"] as const;

export interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  "working-directory"?: string;
}

export interface Job {
  name?: string;
  needs?: string | string[];
  if?: string;
  "runs-on"?: unknown;
  "timeout-minutes"?: unknown;
  permissions?: Record<string, string> | string;
  strategy?: { matrix?: Record<string, unknown> };
  env?: Record<string, unknown>;
  defaults?: { run?: { "working-directory"?: string } };
  steps?: Step[];
}

export interface Workflow {
  name?: string;
  on?: unknown;
  permissions?: Record<string, string> | string;
  env?: Record<string, unknown>;
  jobs?: Record<string, Job>;
}

export interface LoadedWorkflow {
  file: string;
  text: string;
  workflow: Workflow;
  /** Parse errors and warnings of the yaml package (duplicate keys are errors). */
  problems: string[];
}

export function parseWorkflow(file: string, text: string): LoadedWorkflow {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const problems = [...doc.errors, ...doc.warnings].map((e) => `${file}: ${e.message}`);
  const workflow = (doc.toJS() ?? {}) as Workflow;
  return { file, text, workflow, problems };
}

export function loadWorkflows(dir = WORKFLOW_DIR): LoadedWorkflow[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => parseWorkflow(f, readFileSync(path.join(dir, f), "utf8")));
}

/** Deep copy, for mutations in the tests. */
export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Each combination of a job's matrix (only array-valued keys; include/exclude are not used here). */
export function matrixCombos(job: Job): Record<string, string>[] {
  const matrix = job.strategy?.matrix ?? {};
  let combos: Record<string, string>[] = [{}];
  for (const [key, values] of Object.entries(matrix)) {
    if (!Array.isArray(values)) continue;
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: String(v) })));
  }
  return combos;
}

const EXPRESSION = /\$\{\{\s*([^}]*?)\s*\}\}/g;

/** Replaces `${{ matrix.x }}` with the combination's value; other expressions stay. */
export function substituteMatrix(text: string, combo: Record<string, string>): string {
  return text.replace(EXPRESSION, (whole, expr: string) => {
    const m = /^matrix\.([A-Za-z0-9_-]+)$/.exec(expr.trim());
    return m && combo[m[1]] !== undefined ? combo[m[1]] : whole;
  });
}

/** Environment visible to a step: workflow, job, step; matrix expressions resolved. */
export function stepEnv(workflow: Workflow, job: Job, step: Step, combo: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const layer of [workflow.env, job.env, step.env]) {
    for (const [k, v] of Object.entries(layer ?? {})) env[k] = substituteMatrix(String(v), combo);
  }
  return env;
}

/** `$NAME` and `${NAME}` replaced by env values that are plain text (not `${{ }}` expressions). */
export function substituteEnv(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (whole, name: string) => {
    const value = env[name];
    return value !== undefined && !value.includes("${{") ? value : whole;
  });
}

export interface Command {
  /** One shell command, quotes kept, matrix and plain env values substituted. */
  text: string;
  /** Folder it runs in, relative to the repository root ("." for the root). */
  cwd: string;
  stepIndex: number;
  step: Step;
}

function normaliseDir(dir: string): string {
  const n = path.posix.normalize(dir.replace(/^\.\//, "")).replace(/\/$/, "");
  return n === "" ? "." : n;
}

/**
 * The commands of a job, in order, for one matrix combination. Follows `working-directory`,
 * `defaults.run.working-directory`, `cd <dir> && ...` and a `cd <dir>` line; joins `\`
 * continuations and splits `&&` chains.
 */
export function jobCommands(workflow: Workflow, job: Job, combo: Record<string, string> = {}): Command[] {
  const out: Command[] = [];
  (job.steps ?? []).forEach((step, stepIndex) => {
    if (typeof step.run !== "string") return;
    const env = stepEnv(workflow, job, step, combo);
    let cwd = normaliseDir(step["working-directory"] ?? job.defaults?.run?.["working-directory"] ?? ".");
    const script = substituteEnv(substituteMatrix(step.run, combo), env).replace(/\\\n\s*/g, " ");
    let inHeredoc: string | undefined;
    for (const rawLine of script.split("\n")) {
      const line = rawLine.trim();
      if (inHeredoc !== undefined) {
        if (line === inHeredoc) inHeredoc = undefined;
        continue;
      }
      const heredoc = /<<-?\s*['"]?([A-Za-z_]+)['"]?/.exec(line);
      if (heredoc) inHeredoc = heredoc[1];
      if (line === "" || line.startsWith("#")) continue;
      let lineCwd = cwd;
      for (const part of line.split(/\s*&&\s*/)) {
        const cd = /^cd\s+(\S+)$/.exec(part.trim());
        if (cd) {
          lineCwd = normaliseDir(path.posix.join(lineCwd, cd[1]));
          continue;
        }
        out.push({ text: part.trim(), cwd: lineCwd, stepIndex, step });
      }
      // A `cd` on its own line moves the rest of the script; inside `( ... )` or `&&` it does not.
      if (/^cd\s+\S+$/.test(line)) cwd = lineCwd;
    }
  });
  return out;
}

export const PINNED_ACTION = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/;
const STATIC_AWS_KEY = /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|aws-access-key-id|aws-secret-access-key|aws-session-token/i;

/** Rules every workflow of the organisation follows. */
export function commonProblems(loaded: LoadedWorkflow): string[] {
  const { file, workflow: wf } = loaded;
  const problems = [...loaded.problems];
  if (typeof wf.name !== "string" || wf.name === "") problems.push(`${file}: no workflow name`);
  if (wf.on === undefined || wf.on === null) problems.push(`${file}: no triggers (on:)`);
  const triggers = typeof wf.on === "string" ? [wf.on] : Array.isArray(wf.on) ? wf.on.map(String) : Object.keys((wf.on as object) ?? {});
  if (triggers.includes("pull_request_target")) problems.push(`${file}: pull_request_target runs untrusted code with secrets; use pull_request`);
  if (wf.permissions === undefined) problems.push(`${file}: no top-level permissions (the default token may be read-write)`);
  else if (typeof wf.permissions === "string") problems.push(`${file}: top-level permissions "${wf.permissions}"; list them (contents: read)`);
  else if (Object.values(wf.permissions).includes("write")) problems.push(`${file}: top-level permissions grant write; grant it only to the job that needs it`);
  if (STATIC_AWS_KEY.test(loaded.text))
    problems.push(`${file}: mentions a static AWS key (use OIDC: aws-actions/configure-aws-credentials with role-to-assume)`);
  const jobs = Object.entries(wf.jobs ?? {});
  if (jobs.length === 0) problems.push(`${file}: no jobs`);
  for (const [id, job] of jobs) {
    if (typeof job["runs-on"] !== "string" || job["runs-on"] === "") problems.push(`${file}: job ${id} has no runs-on`);
    if (typeof job["timeout-minutes"] !== "number") problems.push(`${file}: job ${id} has no timeout-minutes`);
    if (!Array.isArray(job.steps) || job.steps.length === 0) {
      problems.push(`${file}: job ${id} has no steps`);
      continue;
    }
    job.steps.forEach((step, i) => {
      const label = `${file}: job ${id} step ${i + 1}${step.name ? ` (${step.name})` : ""}`;
      if ((step.uses === undefined) === (step.run === undefined)) problems.push(`${label}: needs exactly one of uses or run`);
      if (step.uses !== undefined && !step.uses.startsWith("./") && !PINNED_ACTION.test(step.uses)) {
        problems.push(`${label}: ${step.uses} is not pinned to a version (@v<major> or a 40-character commit SHA)`);
      }
    });
  }
  return problems;
}

function triggerObject(wf: Workflow): Record<string, unknown> {
  return wf.on !== null && typeof wf.on === "object" && !Array.isArray(wf.on) ? (wf.on as Record<string, unknown>) : {};
}

function asList(value: unknown): string[] {
  return value === undefined || value === null ? [] : Array.isArray(value) ? value.map(String) : [String(value)];
}

function findStepIndex(job: Job, predicate: (s: Step) => boolean): number {
  return (job.steps ?? []).findIndex(predicate);
}

const usesAction = (step: Step, action: string) => typeof step.uses === "string" && step.uses.split("@")[0] === action;

/** The index of the first command matching, or -1. */
function indexOf(commands: Command[], pattern: RegExp): number {
  return commands.findIndex((c) => pattern.test(c.text));
}

export const CHECK_COMMAND = /^npm run (?:--silent )?check -- (?:.* )?--stack (\S+)/;

/** ci.yml: the organisation's CI. */
export function ciProblems(loaded: LoadedWorkflow): string[] {
  const { file, workflow: wf } = loaded;
  const problems: string[] = [];
  const on = triggerObject(wf);
  if (!("pull_request" in on)) problems.push(`${file}: not triggered on pull_request`);
  const push = on.push as { branches?: unknown } | undefined;
  if (!push || !asList(push.branches).includes("main")) problems.push(`${file}: not triggered on push to main`);

  const jobs = wf.jobs ?? {};
  const testJob = jobs.test;
  if (!testJob) {
    problems.push(`${file}: no job "test"`);
  } else {
    const setupNode = (testJob.steps ?? []).find((s) => usesAction(s, "actions/setup-node"));
    if (!setupNode) problems.push(`${file}: job test does not use actions/setup-node`);
    else {
      if (String(setupNode.with?.["node-version"]) !== "22")
        problems.push(`${file}: job test sets up node ${String(setupNode.with?.["node-version"])}, not 22`);
      if (setupNode.with?.cache !== "npm") problems.push(`${file}: job test does not cache npm`);
    }
    const checkout = findStepIndex(testJob, (s) => usesAction(s, "actions/checkout"));
    if (checkout !== 0) problems.push(`${file}: job test does not start with actions/checkout`);
    const checked = new Set<string>();
    for (const combo of matrixCombos(testJob)) {
      const cmds = jobCommands(wf, testJob, combo);
      const order = [
        ["npm ci", indexOf(cmds, /^npm ci(\s|$)/)],
        ["npm run typecheck", indexOf(cmds, /^npm run typecheck(\s|$)/)],
        ["npm test", indexOf(cmds, /^npm (test|run test)(\s|$)/)],
      ] as const;
      for (const [what, at] of order) if (at < 0) problems.push(`${file}: job test does not run ${what}`);
      for (let i = 1; i < order.length; i++) {
        if (order[i - 1][1] >= 0 && order[i][1] >= 0 && order[i - 1][1] > order[i][1])
          problems.push(`${file}: job test runs ${order[i][0]} before ${order[i - 1][0]}`);
      }
      const checks = cmds.map((c, i) => ({ i, stack: CHECK_COMMAND.exec(c.text)?.[1], cwd: c.cwd })).filter((c) => c.stack !== undefined);
      const testAt = order[2][1];
      for (const c of checks) {
        checked.add(c.stack!);
        if (testAt >= 0 && c.i < testAt) problems.push(`${file}: job test runs the check of ${c.stack} before npm test`);
        if (c.cwd !== ".") problems.push(`${file}: job test runs the check of ${c.stack} in ${c.cwd}, not the repository root`);
      }
      const stacksInOrder = checks.map((c) => c.stack!).filter((s) => (STACKS as readonly string[]).includes(s));
      const expected = [...stacksInOrder].sort((a, b) => STACKS.indexOf(a as never) - STACKS.indexOf(b as never));
      if (stacksInOrder.join(",") !== expected.join(","))
        problems.push(`${file}: job test checks the stacks in the order ${stacksInOrder.join(", ")}, not ${STACKS.join(", ")}`);
    }
    for (const stack of STACKS) if (!checked.has(stack)) problems.push(`${file}: job test does not run npm run check -- --stack ${stack}`);
  }

  const preview = jobs.preview;
  if (!preview) {
    problems.push(`${file}: no job "preview"`);
    return problems;
  }
  if (!asList(preview.needs).includes("test")) problems.push(`${file}: job preview does not need test`);
  if (!/vars\.AWS_DEPLOY_ROLE_ARN\s*!=\s*''/.test(String(preview.if ?? ""))) {
    problems.push(`${file}: job preview is not conditioned on the repository variable (if: vars.AWS_DEPLOY_ROLE_ARN != '')`);
  }
  const perms = typeof preview.permissions === "object" ? preview.permissions : {};
  const wanted: Record<string, string> = { "id-token": "write", contents: "read", "pull-requests": "write" };
  for (const [scope, level] of Object.entries(wanted)) {
    if (perms[scope] !== level) problems.push(`${file}: job preview needs permissions ${scope}: ${level} (has ${perms[scope] ?? "none"})`);
  }
  for (const scope of Object.keys(perms)) if (!(scope in wanted)) problems.push(`${file}: job preview has permission ${scope}, which it does not need`);

  const steps = preview.steps ?? [];
  const credsAt = findStepIndex(preview, (s) => usesAction(s, "aws-actions/configure-aws-credentials"));
  if (credsAt < 0) problems.push(`${file}: job preview does not use aws-actions/configure-aws-credentials`);
  else {
    const w = steps[credsAt].with ?? {};
    if (!/vars\.AWS_DEPLOY_ROLE_ARN/.test(String(w["role-to-assume"] ?? "")))
      problems.push(`${file}: job preview does not assume the role of vars.AWS_DEPLOY_ROLE_ARN (role-to-assume)`);
    if (w["aws-region"] !== "ap-northeast-1") problems.push(`${file}: job preview uses region ${String(w["aws-region"])}, not ap-northeast-1`);
    for (const key of Object.keys(w))
      if (/access-key|secret|session-token/i.test(key)) problems.push(`${file}: job preview passes ${key} to configure-aws-credentials; use OIDC only`);
  }
  const tokenEnv = { ...(wf.env ?? {}), ...(preview.env ?? {}) } as Record<string, unknown>;
  const tokenInSteps = steps.some((s) => /secrets\.PULUMI_ACCESS_TOKEN/.test(String(s.env?.PULUMI_ACCESS_TOKEN ?? "")));
  if (!/^\$\{\{\s*secrets\.PULUMI_ACCESS_TOKEN\s*\}\}$/.test(String(tokenEnv.PULUMI_ACCESS_TOKEN ?? "")) && !tokenInSteps) {
    problems.push(`${file}: job preview does not take PULUMI_ACCESS_TOKEN from secrets`);
  }
  const combos = matrixCombos(preview);
  const previewed = new Set<string>();
  for (const combo of combos) {
    const cmds = jobCommands(wf, preview, combo);
    const previewAt = indexOf(cmds, /^(npx )?pulumi preview\b/);
    if (previewAt < 0) continue;
    const cmd = cmds[previewAt];
    const stack = /--stack[ =]"?([^\s"]+)"?/.exec(cmd.text)?.[1];
    if (stack === undefined) {
      problems.push(`${file}: job preview runs pulumi preview without --stack`);
      continue;
    }
    previewed.add(stack);
    const label = `${file}: job preview (${stack})`;
    if (!/--policy-pack[ =]"?policy"?(\s|$)/.test(cmd.text)) problems.push(`${label}: pulumi preview without --policy-pack policy`);
    if (!new RegExp(`--policy-pack-config[ =]"?policy/config/${stack}\\.json"?(\\s|$)`).test(cmd.text))
      problems.push(`${label}: pulumi preview without --policy-pack-config policy/config/${stack}.json`);
    if (!/--diff(\s|$)/.test(cmd.text)) problems.push(`${label}: pulumi preview without --diff`);
    if (cmd.cwd !== ".") problems.push(`${label}: pulumi preview runs in ${cmd.cwd}, not the repository root`);
    const policyInstall = cmds.findIndex((c, i) => i < previewAt && c.cwd === "policy" && /^npm (install|i|ci)(\s|$)/.test(c.text));
    if (policyInstall < 0) problems.push(`${label}: no npm install in policy/ before the preview`);
    if (indexOf(cmds, /^npm ci(\s|$)/) < 0 || indexOf(cmds, /^npm ci(\s|$)/) > previewAt) problems.push(`${label}: no npm ci before the preview`);
    if (credsAt < 0 || credsAt > cmd.stepIndex) problems.push(`${label}: the preview runs before the AWS credentials are configured`);
    const commentAt = steps.findIndex(
      (s, i) => i > cmd.stepIndex && (usesAction(s, "actions/github-script") || usesAction(s, "marocchino/sticky-pull-request-comment")),
    );
    if (commentAt < 0) problems.push(`${label}: no pull-request comment step after the preview`);
    else if (!/pull_request/.test(String(steps[commentAt].if ?? ""))) problems.push(`${label}: the comment step is not limited to pull requests`);
  }
  for (const stack of STACKS) if (!previewed.has(stack)) problems.push(`${file}: job preview does not preview stack ${stack}`);
  return problems;
}

/** policy-release.yml: publish and enable the pack on a policy-v* tag. */
export function releaseProblems(loaded: LoadedWorkflow, packName: string): string[] {
  const { file, workflow: wf } = loaded;
  const problems: string[] = [];
  const on = triggerObject(wf);
  const push = on.push as { tags?: unknown; branches?: unknown } | undefined;
  if (!push || asList(push.tags).join(",") !== "policy-v*")
    problems.push(`${file}: not triggered by pushing policy-v* tags only (tags: ${asList(push?.tags).join(", ") || "none"})`);
  if (push?.branches !== undefined) problems.push(`${file}: also triggered by branch pushes`);
  for (const other of Object.keys(on)) if (other !== "push" && other !== "workflow_dispatch") problems.push(`${file}: also triggered by ${other}`);

  const jobs = Object.entries(wf.jobs ?? {});
  const publishing = jobs.filter(([, job]) => jobCommands(wf, job).some((c) => /^(npx )?pulumi policy publish\b/.test(c.text)));
  if (publishing.length !== 1) {
    problems.push(`${file}: ${publishing.length} jobs run pulumi policy publish; expected 1`);
    return problems;
  }
  const [jobId, job] = publishing[0];
  const cmds = jobCommands(wf, job);
  const env = stepEnv(wf, job, {}, {});
  const publishAt = indexOf(cmds, /^(npx )?pulumi policy publish\b/);
  const publish = cmds[publishAt];
  if (publish.cwd !== "policy") problems.push(`${file}: pulumi policy publish runs in ${publish.cwd}, not policy/`);
  if (!/publish\s+"?\$\{?PULUMI_ORG\}?"?(\s|$)/.test(publish.text) && !/publish\s+"?\$\{\{\s*vars\.PULUMI_ORG\s*\}\}"?/.test(publish.text)) {
    problems.push(`${file}: pulumi policy publish does not name the organisation (PULUMI_ORG)`);
  } else if (
    /\$\{?PULUMI_ORG/.test(publish.text) &&
    !/^\$\{\{\s*vars\.PULUMI_ORG\s*\}\}$/.test(String((publish.step.env ?? {}).PULUMI_ORG ?? env.PULUMI_ORG ?? ""))
  ) {
    problems.push(`${file}: PULUMI_ORG does not come from vars.PULUMI_ORG`);
  }
  if (!cmds.some((c, i) => i < publishAt && c.cwd === "policy" && /^npm (install|i|ci)(\s|$)/.test(c.text)))
    problems.push(`${file}: no npm install in policy/ before publishing`);
  if (!/secrets\.PULUMI_ACCESS_TOKEN/.test(String(env.PULUMI_ACCESS_TOKEN ?? publish.step.env?.PULUMI_ACCESS_TOKEN ?? "")))
    problems.push(`${file}: job ${jobId} does not take PULUMI_ACCESS_TOKEN from secrets`);

  // The tag/version check: a step before publishing that reads the tag and policy/package.json.
  const steps = job.steps ?? [];
  const checkAt = steps.findIndex((s) => typeof s.run === "string" && /GITHUB_REF_NAME|github\.ref_name/.test(s.run) && s.run.includes("policy/package.json"));
  if (checkAt < 0) problems.push(`${file}: no step compares the tag with policy/package.json's version`);
  else if (checkAt > publish.stepIndex) problems.push(`${file}: the tag is checked after publishing`);

  const enables = cmds.map((c, i) => ({ c, i })).filter(({ c }) => /^(npx )?pulumi policy enable\b/.test(c.text));
  for (const config of ["prd", "dev"]) {
    const e = enables.find(({ c }) => new RegExp(`--config[ =]"?policy/config/${config}\\.json"?(\\s|$)`).test(c.text));
    if (!e) {
      problems.push(`${file}: no pulumi policy enable with --config policy/config/${config}.json`);
      continue;
    }
    const label = `${file}: pulumi policy enable (${config}.json)`;
    if (e.i < publishAt) problems.push(`${label} runs before publishing`);
    if (!new RegExp(`/${packName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"?\\s`).test(e.c.text)) problems.push(`${label} does not enable <org>/${packName}`);
    if (!/--policy-group[ =]\S+/.test(e.c.text)) problems.push(`${label} has no --policy-group`);
    if (/\slatest(\s|$)/.test(e.c.text)) problems.push(`${label} enables "latest" rather than the released version`);
    const stepEnvValues = stepEnv(wf, job, e.c.step, {});
    const versionRef = Object.entries(stepEnvValues).find(([, v]) => /steps\.[A-Za-z0-9_-]+\.outputs\.version/.test(v));
    const usesVersion =
      /\$\{\{\s*steps\.[A-Za-z0-9_-]+\.outputs\.version\s*\}\}/.test(e.c.text) ||
      (versionRef !== undefined && new RegExp(`\\$\\{?${versionRef[0]}\\}?`).test(e.c.text));
    if (!usesVersion) problems.push(`${label} does not enable the version the tag check produced (steps.<id>.outputs.version)`);
  }
  if (enables.length > 0 && !enables.some(({ c }) => /--policy-group/.test(c.text))) problems.push(`${file}: pulumi policy enable without policy groups`);
  return problems;
}
