/**
 * One set of exit codes for every command of the project (`npm run check`, `npm run evidence -- *`),
 * so a CI step or an auditor's script can tell "the estate failed a check" from "the command was
 * called wrongly" from "the command could not run".
 */
export const EXIT_OK = 0;
/** The command ran and found something: mandatory policy violations, verification findings. */
export const EXIT_FINDINGS = 1;
/** The command was called wrongly: unknown option, bad value, missing argument. Nothing was run. */
export const EXIT_USAGE = 2;
/** The command could not do its work: the program under check failed, an AWS call or a read failed. */
export const EXIT_ERROR = 3;
