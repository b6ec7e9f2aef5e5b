// Structure of the organisation's GitHub Actions workflows (.github/workflows/*.yml): triggers,
// jobs, the order of CI steps, OIDC-only AWS credentials, pinned actions, the release workflow's
// tag check, publish and enable steps. Each rule is also shown to catch a mutated copy.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadPolicyPack } from "../../offline/analyze";
import {
  ciProblems,
  clone,
  commonProblems,
  jobCommands,
  loadWorkflows,
  parseWorkflow,
  PINNED_ACTION,
  releaseProblems,
  ROOT,
  STACKS,
  type LoadedWorkflow,
  type Step,
  type Workflow,
} from "./workflow-model";

const workflows = loadWorkflows();
const byFile = (file: string): LoadedWorkflow => {
  const found = workflows.find((w) => w.file === file);
  assert.ok(found, `.github/workflows/${file} is missing`);
  return found;
};
const packageJson = JSON.parse(readFileSync(path.join(ROOT, "policy", "package.json"), "utf8")) as { name: string; version: string };
// The name the pack serves under, as the engine reads it (GetAnalyzerInfo), set before the tests.
let packName = "";

/** The same workflow with `mutate` applied to a copy of its parsed form (text re-serialised). */
function mutated(loaded: LoadedWorkflow, mutate: (wf: Workflow) => void): LoadedWorkflow {
  const wf = clone(loaded.workflow);
  mutate(wf);
  return { ...loaded, workflow: wf, text: JSON.stringify(wf), problems: [] };
}

function assertProblem(problems: string[], pattern: RegExp): void {
  assert.ok(
    problems.some((p) => pattern.test(p)),
    `expected a problem matching ${pattern}, got:\n  ${problems.join("\n  ") || "(none)"}`,
  );
}

const stepsOf = (wf: Workflow, job: string): Step[] => wf.jobs![job].steps!;
const runIndex = (wf: Workflow, job: string, pattern: RegExp) => stepsOf(wf, job).findIndex((s) => typeof s.run === "string" && pattern.test(s.run));

describe("CI workflows (.github/workflows)", () => {
  it("has ci.yml and policy-release.yml, and every workflow parses without errors or duplicate keys", () => {
    for (const file of ["ci.yml", "policy-release.yml"]) byFile(file);
    for (const w of workflows) assert.deepEqual(w.problems, [], `${w.file} does not parse cleanly`);
    const dup = parseWorkflow("dup.yml", "name: x\nname: y\non: push\n");
    assert.ok(dup.problems.length > 0, "a duplicate key must be reported");
  });

  describe("every workflow", () => {
    for (const loaded of workflows) {
      it(`${loaded.file}: name, triggers, read-only top-level permissions, jobs with runs-on, timeout and steps, pinned actions, no static AWS keys`, () => {
        assert.deepEqual(commonProblems(loaded), []);
      });
    }

    it("pins every uses: to @v<major> or a full commit SHA", () => {
      for (const ok of ["actions/checkout@v4", "aws-actions/configure-aws-credentials@v4.1.0", `actions/setup-node@${"a".repeat(40)}`, "pulumi/actions@v6"]) {
        assert.ok(PINNED_ACTION.test(ok), ok);
      }
      for (const bad of ["actions/checkout@main", "actions/checkout", "actions/checkout@v", "actions/checkout@1234567", "actions/checkout@latest"]) {
        assert.ok(!PINNED_ACTION.test(bad), bad);
      }
      const unpinned = mutated(byFile("ci.yml"), (wf) => {
        stepsOf(wf, "test")[0].uses = "actions/checkout@main";
      });
      assertProblem(commonProblems(unpinned), /actions\/checkout@main is not pinned/);
    });

    it("rejects a static AWS key, pull_request_target, write permissions at the top, a job without runs-on or steps", () => {
      const ci = byFile("ci.yml");
      assertProblem(
        commonProblems(
          mutated(ci, (wf) => {
            const creds = stepsOf(wf, "preview").find((s) => (s.uses ?? "").startsWith("aws-actions/configure-aws-credentials"))!;
            creds.with = { "aws-access-key-id": "${{ secrets.AWS_ACCESS_KEY_ID }}", "aws-region": "ap-northeast-1" };
          }),
        ),
        /static AWS key/,
      );
      assertProblem(commonProblems(mutated(ci, (wf) => void ((wf.on as Record<string, unknown>).pull_request_target = null))), /pull_request_target/);
      assertProblem(commonProblems(mutated(ci, (wf) => void (wf.permissions = { contents: "write" }))), /top-level permissions grant write/);
      assertProblem(commonProblems(mutated(ci, (wf) => void delete wf.permissions)), /no top-level permissions/);
      assertProblem(commonProblems(mutated(ci, (wf) => void delete wf.jobs!.test["runs-on"])), /job test has no runs-on/);
      assertProblem(commonProblems(mutated(ci, (wf) => void (wf.jobs!.test.steps = []))), /job test has no steps/);
      assertProblem(
        commonProblems(mutated(ci, (wf) => void (stepsOf(wf, "test")[2] = { name: "both", run: "npm ci", uses: "actions/cache@v4" }))),
        /exactly one of uses or run/,
      );
    });
  });

  describe("ci.yml", () => {
    const ci = byFile("ci.yml");

    it("runs on pull requests and pushes to main; npm ci, typecheck, npm test, then the check of dev, dev2 and prd; a preview per stack behind the credentials variable with OIDC", () => {
      assert.deepEqual(ciProblems(ci), []);
      assert.deepEqual(Object.keys(ci.workflow.jobs!), ["test", "code-scanning", "preview"]);
    });

    it("sets up node 22 with the npm cache, then runs the commands in CI order from the repository root", () => {
      const commands = jobCommands(ci.workflow, ci.workflow.jobs!.test).map((c) => `${c.cwd}: ${c.text}`);
      assert.deepEqual(commands, [
        ".: npm ci --no-audit --no-fund",
        ".: npm run typecheck",
        ".: npm run lint",
        ".: npm test",
        ".: npm run check -- --stack dev",
        ".: npm run check -- --stack dev2",
        ".: npm run check -- --stack prd",
      ]);
    });

    it("catches a reordered, missing or moved CI step", () => {
      assertProblem(ciProblems(mutated(ci, (wf) => void stepsOf(wf, "test").splice(runIndex(wf, "test", /typecheck/), 1))), /does not run npm run typecheck/);
      assertProblem(
        ciProblems(
          mutated(ci, (wf) => {
            const steps = stepsOf(wf, "test");
            const a = runIndex(wf, "test", /^npm ci/);
            const b = runIndex(wf, "test", /^npm test/);
            [steps[a], steps[b]] = [steps[b], steps[a]];
          }),
        ),
        /runs npm test before npm run typecheck|runs npm run typecheck before npm ci/,
      );
      assertProblem(
        ciProblems(mutated(ci, (wf) => void stepsOf(wf, "test").splice(runIndex(wf, "test", /--stack prd/), 1))),
        /does not run npm run check -- --stack prd/,
      );
      assertProblem(
        ciProblems(
          mutated(ci, (wf) => {
            const steps = stepsOf(wf, "test");
            const check = steps.splice(runIndex(wf, "test", /--stack dev2/), 1)[0];
            steps.splice(runIndex(wf, "test", /^npm test/), 0, check);
          }),
        ),
        /check of dev2 before npm test/,
      );
      assertProblem(ciProblems(mutated(ci, (wf) => void (stepsOf(wf, "test")[1].with = { "node-version": 18, cache: "npm" }))), /node 18, not 22/);
      assertProblem(ciProblems(mutated(ci, (wf) => void delete (wf.on as Record<string, unknown>).pull_request)), /not triggered on pull_request/);
      assertProblem(ciProblems(mutated(ci, (wf) => void ((wf.on as { push: { branches: string[] } }).push.branches = ["develop"]))), /push to main/);
    });

    it("also accepts the check as a matrix over the three stacks", () => {
      const matrixCi = mutated(ci, (wf) => {
        const test = wf.jobs!.test;
        test.strategy = { matrix: { stack: [...STACKS] } };
        test.steps = test.steps!.filter((s) => !/--stack/.test(s.run ?? ""));
        test.steps.push({ name: "check", run: "npm run check -- --stack ${{ matrix.stack }}" });
      });
      assert.deepEqual(ciProblems(matrixCi), []);
      const twoStacks = mutated(matrixCi, (wf) => void (wf.jobs!.test.strategy = { matrix: { stack: ["dev", "prd"] } }));
      assertProblem(ciProblems(twoStacks), /does not run npm run check -- --stack dev2/);
    });

    it("previews each stack with the policy pack and its config, after installing the pack, with OIDC credentials, and comments on the pull request", () => {
      const preview = ci.workflow.jobs!.preview;
      assert.deepEqual(preview.strategy?.matrix?.stack, [...STACKS]);
      for (const stack of STACKS) {
        const cmds = jobCommands(ci.workflow, preview, { stack });
        const at = cmds.findIndex((c) => /pulumi preview/.test(c.text));
        assert.match(
          cmds[at].text,
          new RegExp(`^npx pulumi preview --stack ${stack} --policy-pack policy --policy-pack-config policy/config/${stack}\\.json --diff`),
        );
        assert.ok(
          cmds.slice(0, at).some((c) => c.cwd === "policy" && /^npm install/.test(c.text)),
          "npm install in policy/ first",
        );
        assert.doesNotThrow(() => readFileSync(path.join(ROOT, "policy", "config", `${stack}.json`)), `policy/config/${stack}.json exists`);
      }
    });

    it("catches a preview that is unconditional, has no OIDC permission, skips the pack install, a stack or the pack config", () => {
      assertProblem(ciProblems(mutated(ci, (wf) => void delete wf.jobs!.preview.if)), /not conditioned on the repository variable/);
      assertProblem(ciProblems(mutated(ci, (wf) => void delete (wf.jobs!.preview.permissions as Record<string, string>)["id-token"])), /id-token: write/);
      assertProblem(ciProblems(mutated(ci, (wf) => void ((wf.jobs!.preview.permissions as Record<string, string>).contents = "write"))), /contents: read/);
      assertProblem(
        ciProblems(mutated(ci, (wf) => void ((wf.jobs!.preview.permissions as Record<string, string>).actions = "write"))),
        /permission actions, which it does not need/,
      );
      assertProblem(
        ciProblems(mutated(ci, (wf) => void stepsOf(wf, "preview").splice(runIndex(wf, "preview", /cd policy/), 1))),
        /no npm install in policy\/ before the preview/,
      );
      assertProblem(ciProblems(mutated(ci, (wf) => void (wf.jobs!.preview.strategy = { matrix: { stack: ["dev", "dev2"] } }))), /does not preview stack prd/);
      assertProblem(
        ciProblems(
          mutated(ci, (wf) => {
            const step = stepsOf(wf, "preview")[runIndex(wf, "preview", /pulumi preview/)];
            step.run = step.run!.replace(/ --policy-pack-config \S+/, "");
          }),
        ),
        /without --policy-pack-config policy\/config\/dev\.json/,
      );
      assertProblem(
        ciProblems(
          mutated(ci, (wf) => {
            const steps = stepsOf(wf, "preview");
            const creds = steps.findIndex((s) => (s.uses ?? "").startsWith("aws-actions/configure-aws-credentials"));
            steps[creds].with = { ...steps[creds].with, "role-to-assume": "arn:aws:iam::123456789012:role/hard-coded" };
          }),
        ),
        /does not assume the role of vars.AWS_DEPLOY_ROLE_ARN/,
      );
      assertProblem(ciProblems(mutated(ci, (wf) => void delete wf.jobs!.preview.env!.PULUMI_ACCESS_TOKEN)), /PULUMI_ACCESS_TOKEN from secrets/);
      assertProblem(
        ciProblems(
          mutated(ci, (wf) => void (wf.jobs!.preview.steps = stepsOf(wf, "preview").filter((s) => !(s.uses ?? "").startsWith("actions/github-script")))),
        ),
        /no pull-request comment step/,
      );
    });

    it("keeps one preview comment per stack: creates it, then updates it, with the outcome and the output", async () => {
      const steps = ci.workflow.jobs!.preview.steps!;
      const commentStep = steps.find((s) => (s.uses ?? "").startsWith("actions/github-script"))!;
      const script = String(commentStep.with?.script);
      const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<unknown>;
      const run = new AsyncFunction("github", "context", "core", "require", script);

      const dir = mkdtempSync(path.join(os.tmpdir(), "ci-comment-"));
      const saved = { ...process.env };
      try {
        const log = path.join(dir, "preview.txt");
        writeFileSync(
          log,
          "Previewing update (prd)\n~ aws:s3/bucket:Bucket trail-log-bucket\n````nested fence````\nmandatory: [aws-kms-key-enable-rotation]\n",
        );
        Object.assign(process.env, { STACK: "prd", PREVIEW_LOG: log, PREVIEW_OUTCOME: "failure" });
        const comments: Array<{ id: number; body: string; user: { type: string } }> = [
          { id: 1, body: "<!-- pulumi-preview:dev -->\nold dev", user: { type: "Bot" } },
          { id: 2, body: "<!-- pulumi-preview:prd -->\nwritten by a person", user: { type: "User" } },
        ];
        const calls: string[] = [];
        const github = {
          paginate: async () => comments,
          rest: {
            issues: {
              listComments: () => undefined,
              createComment: async (a: { body: string; issue_number: number }) => {
                calls.push(`create #${a.issue_number}`);
                comments.push({ id: 3, body: a.body, user: { type: "Bot" } });
              },
              updateComment: async (a: { comment_id: number; body: string }) => {
                calls.push(`update ${a.comment_id}`);
                comments.find((c) => c.id === a.comment_id)!.body = a.body;
              },
            },
          },
        };
        const context = {
          repo: { owner: "acme", repo: "audit-trail" },
          issue: { number: 42 },
          payload: { pull_request: { head: { sha: "0123456789abcdef" } } },
          sha: "ffffffffffffffff",
          serverUrl: "https://github.com",
          runId: 7,
        };
        const core = { warning: (m: string) => calls.push(`warning ${m}`) };
        await run(github, context, core, require);
        await run(github, context, core, require);
        assert.deepEqual(calls, ["create #42", "update 3"]);
        const body = comments.find((c) => c.id === 3)!.body;
        assert.ok(body.startsWith("<!-- pulumi-preview:prd -->\n"));
        assert.match(body, /Pulumi preview of `prd`: failed \(failure\)/);
        assert.match(body, /`policy\/config\/prd\.json`; commit 0123456;/);
        assert.match(body, /mandatory: \[aws-kms-key-enable-rotation\]/);
        assert.equal(body.match(/````/g)?.length, 2, "the output cannot close the fence");
        assert.equal(comments[0].body, "<!-- pulumi-preview:dev -->\nold dev", "other stacks' comments untouched");

        process.env.PREVIEW_LOG = path.join(dir, "absent.txt");
        await run(github, context, core, require);
        assert.match(comments.find((c) => c.id === 3)!.body, /no output: the preview did not start/);
      } finally {
        for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
        Object.assign(process.env, saved);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("policy-release.yml", () => {
    const release = byFile("policy-release.yml");
    before(async () => {
      packName = (await loadPolicyPack(path.join(ROOT, "policy"))).name;
    });

    it("publishes from policy/ on policy-v* tags and enables the tagged version for the default and dev policy groups", () => {
      assert.equal(packName, packageJson.name, "the pack serves under the name policy/package.json gives it");
      assert.deepEqual(releaseProblems(release, packName), []);
    });

    it("tests before publishing", () => {
      const publish = release.workflow.jobs!.publish;
      assert.deepEqual([publish.needs].flat(), ["test"]);
      assert.deepEqual(
        jobCommands(release.workflow, release.workflow.jobs!.test).map((c) => c.text),
        ["npm ci --no-audit --no-fund", "npm run typecheck", "npm test"],
      );
    });

    it("catches a publish outside policy/, a missing tag check, enable before publish, latest, or a wrong pack name", () => {
      const publishStep = (wf: Workflow) => stepsOf(wf, "publish")[runIndex(wf, "publish", /policy publish/)];
      assertProblem(
        releaseProblems(
          mutated(release, (wf) => void delete publishStep(wf)["working-directory"]),
          packName,
        ),
        /publish runs in \., not policy\//,
      );
      assertProblem(
        releaseProblems(
          mutated(release, (wf) => void stepsOf(wf, "publish").splice(runIndex(wf, "publish", /GITHUB_REF_NAME/), 1)),
          packName,
        ),
        /no step compares the tag/,
      );
      assertProblem(
        releaseProblems(
          mutated(release, (wf) => {
            const steps = stepsOf(wf, "publish");
            const enable = steps.splice(runIndex(wf, "publish", /config\/prd\.json/), 1)[0];
            steps.splice(runIndex(wf, "publish", /policy publish/), 0, enable);
          }),
          packName,
        ),
        /enable \(prd\.json\) runs before publishing/,
      );
      assertProblem(
        releaseProblems(
          mutated(release, (wf) => {
            const step = stepsOf(wf, "publish")[runIndex(wf, "publish", /config\/dev\.json/)];
            step.run = step.run!.replace('"$VERSION"', "latest");
          }),
          packName,
        ),
        /enables "latest"/,
      );
      assertProblem(releaseProblems(release, "another-pack"), /does not enable <org>\/another-pack/);
      assertProblem(
        releaseProblems(
          mutated(release, (wf) => void ((wf.on as { push: Record<string, unknown> }).push = { tags: ["v*"] })),
          packName,
        ),
        /policy-v\* tags only/,
      );
      assertProblem(
        releaseProblems(
          mutated(release, (wf) => {
            const step = stepsOf(wf, "publish")[runIndex(wf, "publish", /config\/dev\.json/)];
            step.run = step.run!.replace(/ --policy-group "\$DEV_POLICY_GROUP"/, "");
          }),
          packName,
        ),
        /\(dev\.json\) has no --policy-group/,
      );
    });

    describe("the tag check step (run with bash)", () => {
      const steps = release.workflow.jobs!.publish.steps!;
      const check = steps.find((s) => s.id === "version")!;

      function runCheck(env: Record<string, string>): { status: number | null; stdout: string; output: string } {
        const dir = mkdtempSync(path.join(os.tmpdir(), "policy-release-"));
        try {
          const outputFile = path.join(dir, "github-output");
          writeFileSync(outputFile, "");
          const result = spawnSync("bash", ["-e", "-c", check.run!], {
            cwd: ROOT,
            encoding: "utf8",
            env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? dir, GITHUB_OUTPUT: outputFile, ...env },
            timeout: 30_000,
          });
          return { status: result.status, stdout: result.stdout + result.stderr, output: readFileSync(outputFile, "utf8") };
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }

      it("accepts policy-v<policy/package.json version> and outputs the version", () => {
        const r = runCheck({ GITHUB_REF_NAME: `policy-v${packageJson.version}`, PULUMI_ORG: "acme" });
        assert.equal(r.status, 0, r.stdout);
        assert.equal(r.output, `version=${packageJson.version}\n`);
      });

      it("refuses a tag of another version, a tag that is not policy-v*, and a missing PULUMI_ORG", () => {
        const other = runCheck({ GITHUB_REF_NAME: "policy-v99.0.0", PULUMI_ORG: "acme" });
        assert.equal(other.status, 1);
        assert.match(
          other.stdout,
          new RegExp(`::error::tag policy-v99\\.0\\.0 does not match policy/package.json version ${packageJson.version.replace(/\./g, "\\.")}`),
        );
        assert.equal(other.output, "");
        const plain = runCheck({ GITHUB_REF_NAME: `v${packageJson.version}`, PULUMI_ORG: "acme" });
        assert.equal(plain.status, 1);
        assert.match(plain.stdout, /is not a policy-v<version> tag/);
        const noOrg = runCheck({ GITHUB_REF_NAME: `policy-v${packageJson.version}` });
        assert.equal(noOrg.status, 1);
        assert.match(noOrg.stdout, /PULUMI_ORG/);
      });
    });
  });
  describe("ci.yml: the policy check as SARIF for code scanning", () => {
    const ci = byFile("ci.yml");
    const job = ci.workflow.jobs!["code-scanning"];
    const runStep = () => job.steps!.find((s) => typeof s.run === "string" && /--format sarif/.test(s.run))!;

    it("a job after test, with security-events: write and nothing else it does not need, for each stack", () => {
      assert.ok(job, "no job code-scanning");
      assert.ok([job.needs].flat().includes("test"));
      assert.deepEqual(job.permissions, { contents: "read", "security-events": "write" });
      const stacks = STACKS.map((stack) => jobCommands(ci.workflow, job, { stack }).map((c) => c.text));
      for (const [i, cmds] of stacks.entries()) {
        assert.ok(cmds.includes(`npm run --silent check -- --stack ${STACKS[i]} --format sarif > "$RUNNER_TEMP/policy-check.sarif"`), cmds.join("\n"));
      }
    });

    it("uploads the file it wrote with github/codeql-action/upload-sarif (pinned), one category per stack", () => {
      const upload = job.steps!.find((s) => typeof s.uses === "string" && s.uses.startsWith("github/codeql-action/upload-sarif@"))!;
      assert.ok(upload, "no upload-sarif step");
      assert.match(upload.uses!, PINNED_ACTION);
      assert.equal(upload.with?.sarif_file, "${{ runner.temp }}/policy-check.sarif");
      assert.equal(upload.with?.category, "policy-check-${{ matrix.stack }}");
      assert.ok(job.steps!.indexOf(upload) > job.steps!.indexOf(runStep()));
    });

    for (const [exit, passes] of [
      [0, true],
      [1, true],
      [2, false],
      [3, false],
    ] as const) {
      it(`the step ${passes ? "passes" : "fails"} when the check exits ${exit} (run with bash and a stub npm)`, () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), "sarif-step-"));
        try {
          writeFileSync(path.join(dir, "npm"), `#!/bin/sh\necho '{"version":"2.1.0"}'\nexit ${exit}\n`, { mode: 0o755 });
          const script = String(runStep().run).replace(/\$\{\{ matrix\.stack \}\}/g, "prd");
          const r = spawnSync("bash", ["-e", "-c", script], { env: { PATH: `${dir}:${process.env.PATH}`, RUNNER_TEMP: dir }, encoding: "utf8" });
          assert.equal(r.status === 0, passes, r.stderr);
          assert.equal(readFileSync(path.join(dir, "policy-check.sarif"), "utf8"), '{"version":"2.1.0"}\n');
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  });
});
