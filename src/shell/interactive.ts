/**
 * A setup script in Node's own REPL:
 *
 *   CONTRAST_SETUP=beamlines/sim.ts node --import tsx --import ./src/shell/interactive.ts -i
 *
 * Loads the setup script ($CONTRAST_SETUP, default the simulated beamline),
 * puts the gadgets and everything src/index.ts exports on globalThis, and
 * makes the REPL that `node -i` opens the contrast shell's: macro lines
 * (`%ascan samx 0 1 10 0.1` or without the %), Ctrl-C, completion. Without
 * -i (a script run with this --import), the globals are there and
 * `await runCommand("...")` runs macros.
 */
import repl from "node:repl";
import { resolve } from "node:path";
import { DEFAULT_SETUP, loadSetup, shutdown } from "./cli.ts";
import { openRepl, type ShellOptions } from "./repl.ts";
import { fillScope } from "./scope.ts";

await loadSetup(resolve(process.env.CONTRAST_SETUP ?? DEFAULT_SETUP));
fillScope(globalThis as unknown as Record<string, unknown>);

// `node -i` builds its REPL with repl.start after this module has run: hand it the shell's instead
const nodeStart = repl.start;
(repl as { start: typeof repl.start }).start = (options?: string | ShellOptions) =>
  openRepl({ ...(typeof options === "string" ? { prompt: options } : options), beforeClose: shutdown }, nodeStart);
