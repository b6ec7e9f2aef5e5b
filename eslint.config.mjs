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
      // The tree's disable comments name no-var-requires (require() of SDK internals that have
      // no typings, e.g. @pulumi/pulumi/proto/*). typescript-eslint 8 deprecates it for
      // no-require-imports; until those comments are renamed, the named rule is the one on.
      "@typescript-eslint/no-var-requires": "error",
      "@typescript-eslint/no-require-imports": "off",
      eqeqeq: ["error", "always"],
      "house/kebab-case-file-names": "error",
    },
  },
  {
    files: ["**/*.mjs"],
    languageOptions: { globals: { console: "readonly", process: "readonly" } },
  },
);
