// One linter for the whole repository (issue 13): ESLint's and typescript-eslint's recommended
// rules, a few type-aware rules that catch real defects in Lambda handlers and CLIs (a promise
// nobody awaits loses an error or an audit record), and the project's file-name convention.
// Formatting is Prettier's alone (.prettierrc.json); no stylistic rule here can disagree with it.
// Run: npm run lint (ESLint, then prettier --check); npm run format rewrites formatting.
import path from "node:path";
import eslint from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

/** kebab-case base names; ".test" and ".d" suffixes allowed (e.g. presign-core.test.ts). */
const KEBAB_CASE = /^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.test|\.d)?\.(?:ts|mjs|js)$/;

/** The project's own rules. */
const house = {
  rules: {
    "kebab-case-file-names": {
      meta: {
        type: "suggestion",
        docs: { description: "File names are kebab-case (one convention for the repository)" },
        schema: [],
        messages: { rename: "file name {{name}} is not kebab-case; rename it to {{suggestion}} (and update its imports)" },
      },
      create(context) {
        return {
          Program(node) {
            const name = path.basename(context.filename);
            if (KEBAB_CASE.test(name)) return;
            const suggestion = name
              .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
              .toLowerCase()
              .replace(/\.(?=.*\.(?:test\.)?(?:ts|mjs|js)$)(?!test\.)/g, "-");
            context.report({ node, messageId: "rename", data: { name, suggestion } });
          },
        };
      },
    },
  },
};

export default defineConfig(
  {
    ignores: ["node_modules/**", "policy/node_modules/**", "build/**", "dist/**", "bench/out/**", "**/*.js"],
  },
  {
    // pulumi/examples' aws-ts-s3-folder, kept as its authors wrote it (see its header): the offline
    // check must run an unmodified third-party program, so it is not held to this house's rules.
    ignores: ["tests/policy/programs/s3-folder/**"],
  },
  {
    // An eslint-disable comment that suppresses nothing is an error: each one must name a rule
    // that is on here and fires on that line (the nine in the tree at issue 13 all do).
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
  eslint.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { house },
    rules: {
      // Type-aware: an unawaited promise in a handler loses its error (and maybe an audit record).
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false } }],
      "@typescript-eslint/await-thenable": "error",
      // `_name` marks a deliberately unused binding (e.g. a field dropped by destructuring).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_", caughtErrors: "none" },
      ],
      // require() is for lazy loading (a CLI command's SDK loads only when it runs) and for
      // CommonJS modules without typings; each one carries a disable comment saying which.
      // (typescript-eslint 8 replaces the deprecated no-var-requires with this rule.)
      "@typescript-eslint/no-require-imports": "error",
      eqeqeq: ["error", "always"],
      "house/kebab-case-file-names": "error",
    },
  },
  {
    // Tests read deliberately loose shapes: parsed CLI JSON, mocked resources' raw inputs, real
    // CloudTrail records; typing each just to assert on it adds casts, not safety. Source stays strict.
    files: ["tests/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    files: ["**/*.mjs"],
    languageOptions: { globals: { console: "readonly", process: "readonly" } },
  },
);
