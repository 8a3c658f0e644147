/**
 * What the queue needs from the shell, and all it gets: the shell builds one
 * of these (src/shell/repl.ts) and hands it over with `linkShell()`. Without a
 * shell (`contrast -c`, a script) the queue runs lines through plain runCommand.
 */
import type { REPLServer } from "node:repl";
import { env } from "../environment/env.ts";
import { runCommand } from "../macros/run.ts";

export interface ShellLink {
  /** Runs a macro line the way a typed line runs; `signal` aborts it as Ctrl-C does. Settles with the macro's result. */
  runLine(line: string, signal: AbortSignal): Promise<unknown>;
  /** true while a typed line (or a script's runCommand) runs */
  busy(): boolean;
  /** Aborts the typed line that runs, as Ctrl-C does; false when none runs. */
  abort(): boolean;
  /** Shows the person at the prompt a line without disturbing what they are typing (a remote client acted). */
  notice(text: string): void;
}

const standalone: ShellLink = {
  runLine: (line, signal) => runCommand(line, { signal }),
  busy: () => false,
  abort: () => false,
  notice: (text) => env.print(text),
};

let link: ShellLink = standalone;

export function linkShell(l: ShellLink): void {
  link = l;
}

export function shellLink(): ShellLink {
  return link;
}

/** false without a shell (`contrast -c`, a script): nobody is at a prompt meanwhile. */
export function hasShell(): boolean {
  return link !== standalone;
}

/** A line above the prompt; the prompt and what is typed on it are drawn again below it. */
export function printAbovePrompt(r: REPLServer, text: string, lineRunning: boolean): void {
  if (lineRunning || !r.terminal) return env.print(text);
  r.output.write(`\r\x1b[K${text}\n`);
  r.displayPrompt(true);
}
