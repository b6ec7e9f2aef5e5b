/**
 * `npm run evidence -- <verify|export|package|who> ...` (E13; who: E7, A1-A6).
 *
 * One argument parser (cli/args.ts) and one set of exit codes (cli/exit-codes.ts) for every
 * command: 0 valid / done, 1 findings other than gaps, 2 usage error, 3 could not run (AWS or file
 * system error, archived evidence). Each command's module, and the AWS clients it uses, load only
 * when that command runs: `--help` loads none of them (issue 15).
 */
import { UsageError } from "../cli/args";
import { EXIT_ERROR, EXIT_OK, EXIT_USAGE } from "../cli/exit-codes";
import type { AwsClients } from "../cloudtrail/aws";
import { commandHelp, COMMAND_HELP, USAGE } from "./commands/help";
import type { CliDeps, CliIO, CommandRunner } from "./commands/common";
import type { WhoServices } from "./who/run";

export { EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE } from "../cli/exit-codes";
export { USAGE } from "./commands/help";
export type { CliDeps, CliIO } from "./commands/common";

/* eslint-disable @typescript-eslint/no-require-imports -- lazy: a command's code loads when it runs */
const COMMANDS: Record<string, () => CommandRunner> = {
  verify: () => (require("./commands/verify") as typeof import("./commands/verify")).runVerify,
  export: () => (require("./commands/export") as typeof import("./commands/export")).runExport,
  package: () => (require("./commands/package") as typeof import("./commands/package")).runPackage,
  who: () => {
    const { runWhoCommand } = require("./who/command") as typeof import("./who/command");
    return (argv, io, deps) => runWhoCommand(argv, io, { clients: deps.clients, readStackOutputs: deps.readStackOutputs, now: deps.now, services: deps.who() });
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

const HELP_WORDS = new Set(["help", "--help", "-h"]);

export interface CliOverrides extends Partial<Omit<CliDeps, "who">> {
  who?: WhoServices;
}

export async function main(argv: string[], io: CliIO = process, overrides: CliOverrides = {}): Promise<number> {
  let whoServices = overrides.who;
  let clients = overrides.clients;
  const deps: CliDeps = {
    get clients(): AwsClients {
      return (clients ??= (require("../cloudtrail/aws") as typeof import("../cloudtrail/aws")).defaultAwsClients()); // eslint-disable-line @typescript-eslint/no-require-imports -- lazy: loads only when used
    },
    readStackOutputs:
      overrides.readStackOutputs ?? ((stack) => (require("./package/stack-outputs") as typeof import("./package/stack-outputs")).readPulumiStackOutputs(stack)), // eslint-disable-line @typescript-eslint/no-require-imports -- lazy: loads only when used
    now: overrides.now ?? (() => new Date()),
    progressEvery: overrides.progressEvery ?? 100,
    sleep: overrides.sleep,
    who: () => (whoServices ??= (require("./who/run") as typeof import("./who/run")).defaultWhoServices()), // eslint-disable-line @typescript-eslint/no-require-imports -- lazy: loads only when used
  };
  const [command, ...rest] = argv;
  if (command === undefined) {
    io.stderr.write(USAGE);
    return EXIT_USAGE;
  }
  if (HELP_WORDS.has(command)) {
    // `help verify` is `verify --help`.
    const topic = rest[0];
    io.stdout.write(topic !== undefined && COMMAND_HELP[topic] !== undefined ? commandHelp(topic) : USAGE);
    return EXIT_OK;
  }
  const load = COMMANDS[command];
  if (!load) {
    io.stderr.write(`error: unknown command "${command}"; allowed: ${Object.keys(COMMANDS).join(", ")}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (rest.some((arg) => HELP_WORDS.has(arg) && arg !== "help")) {
    io.stdout.write(commandHelp(command));
    return EXIT_OK;
  }
  try {
    return await load()(rest, io, deps);
  } catch (err) {
    // Loaded by the command that threw them, if at all.
    /* eslint-disable @typescript-eslint/no-require-imports -- lazy: loaded only to classify an error */
    const { TrailResolutionError } = require("../cloudtrail/aws") as typeof import("../cloudtrail/aws");
    const { ArchivedObjectsError, archivedObjectsMessage } = require("../cloudtrail/archived-objects") as typeof import("../cloudtrail/archived-objects");
    const { FLAG_OF_INPUT } = require("./commands/common") as typeof import("./commands/common");
    /* eslint-enable @typescript-eslint/no-require-imports */
    if (err instanceof UsageError) {
      io.stderr.write(`error: ${err.message}\n\nRun "npm run evidence -- ${command} --help" for usage.\n`);
      return EXIT_USAGE;
    }
    if (err instanceof TrailResolutionError && err.isUsageError) {
      const flag = err.input ? `${FLAG_OF_INPUT[err.input]}: ` : "";
      io.stderr.write(`error: ${command}: ${flag}${err.message}\n\nRun "npm run evidence -- ${command} --help" for usage.\n`);
      return EXIT_USAGE;
    }
    if (err instanceof ArchivedObjectsError) {
      io.stderr.write(`error: ${command}: ${archivedObjectsMessage(err)}\n`);
      return EXIT_ERROR;
    }
    const e = err as Error & { name?: string };
    io.stderr.write(`error: ${command} could not complete: ${e.name && !e.message?.startsWith(e.name) ? `${e.name}: ` : ""}${e.message ?? String(err)}\n`);
    return EXIT_ERROR;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`error: ${String(err)}\n`);
      process.exitCode = EXIT_ERROR;
    },
  );
}
