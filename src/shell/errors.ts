import chalk from "chalk";
import { AbortError } from "../util/abort.ts";
import { MacroLineError } from "../macros/run.ts";

/** How an error from a macro is shown: one line (plus usage), no stack for expected errors. */
export function errorText(e: unknown): string {
  if (e instanceof AbortError) return chalk.yellow("interrupted");
  if (e instanceof MacroLineError) return chalk.red(e.message.split("\n")[0]) + (e.usage ? "\n" + e.usage : "");
  if (e instanceof Error) return chalk.red(`error: ${e.message}`);
  return chalk.red(`error: ${String(e)}`);
}
