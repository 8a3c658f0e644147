/**
 * contrast [SETUP] [PROCEDURE] [-c LINE ...]
 * Runs a beamline setup script, then the procedure (a script that calls
 * runCommand) and the -c lines as if typed, and exits with their status;
 * without either it opens the interactive shell. Ctrl-C, SIGTERM and SIGHUP
 * stop what runs as Ctrl-C at the prompt does.
 */
import { join, resolve } from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";
import { runCommand, isMacroLine } from "../macros/run.ts";
import { Job, runAsJob, runningMacro } from "../macros/control.ts";
import { AbortError } from "../util/abort.ts";
import { Recorder } from "../recorders/Recorder.ts";
import { env } from "../environment/env.ts";
import { errorText } from "./errors.ts";
import { COMPILED, PACKAGE_ROOT } from "../util/layout.ts";

export const DEFAULT_SETUP = join(PACKAGE_ROOT, "beamlines", "sim.ts");

export const USAGE = "usage: contrast [SETUP] [PROCEDURE] [-c LINE ...]";

export function parseCommandLine(argv: string[]): { setup: string; procedure: string | null; lines: string[]; help: boolean } {
  const lines: string[] = [];
  const files: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-c" || a === "--command") {
      if (i + 1 >= argv.length) throw new Error("-c needs a macro line");
      lines.push(argv[++i]);
    } else if (a === "-h" || a === "--help") help = true;
    else if (files.length < 2) files.push(a);
    else throw new Error(`unexpected argument ${JSON.stringify(a)}`);
  }
  const [setup, procedure] = files;
  return { setup: resolve(setup ?? DEFAULT_SETUP), procedure: procedure === undefined ? null : resolve(procedure), lines, help };
}

/**
 * Runs the setup script (from the build, a TypeScript one is compiled first, see bin/build.js),
 * then asks the path fixer where data go: one that asks a device knows the directory, and so
 * the prompt's next scan number, only once asked.
 */
export async function loadSetup(setup: string): Promise<void> {
  await importScript(setup);
  await env.paths.getDirectory().catch(() => {});
}

/** Imports a setup script or a procedure, compiled first when the shell runs from its build. */
async function importScript(script: string): Promise<void> {
  let file = script;
  if (COMPILED && /\.[cm]?ts$/.test(script)) {
    const build = pathToFileURL(join(PACKAGE_ROOT, "bin", "build.js")).href;
    const { compileScript } = (await import(build)) as { compileScript: (file: string) => Promise<string> };
    file = await compileScript(script);
  }
  await import(pathToFileURL(file).href);
}

/** Stops every recorder so that their files are closed. */
export async function shutdown(): Promise<void> {
  await Promise.allSettled(Recorder.getInstances().map((r) => r.stop()));
}

/** Runs lines one after the other; stops at the first that fails, which it prints. */
export async function runLines(lines: string[]): Promise<void> {
  for (const line of lines) {
    if (!isMacroLine(line)) throw new Error(`not a macro line: ${line}`);
    await runCommand(line);
  }
}

const STOP_SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;

/**
 * Without a prompt, Ctrl-C, SIGTERM and SIGHUP stop what runs as Ctrl-C at
 * the prompt does: the first stops the macro (clean-up, return move, footer
 * `interrupted`) and the procedure or lines with it, the second skips the
 * clean-up, the third exits at once.
 */
class StopSignals {
  readonly job = new Job();
  /** the number of the first signal that came */
  signal: number | null = null;
  private readonly handlers = Object.entries(STOP_SIGNALS).map(([name, number]) => {
    const handler = () => {
      this.signal ??= number;
      const n = this.job.interrupt();
      const other = runningMacro()?.job;
      if (other && other !== this.job) other.interrupt();
      const what = name === "SIGINT" ? "^C" : name;
      if (n === 1) env.print(`${what} stopping (once more to skip the clean-up)`);
      else if (n === 2) env.print(`${what} skipping the clean-up`);
      else process.exit(128 + number);
    };
    process.on(name, handler);
    return { name, handler };
  });

  /** Runs `work` as the job these signals stop; the exit code: 0, 1 when it failed, 128 + the signal's number when one stopped it. */
  async run(work: () => Promise<void>): Promise<number> {
    try {
      await runAsJob(this.job, work);
    } catch (e) {
      if (!(e instanceof AbortError && this.signal !== null)) env.print(errorText(e));
      if (this.signal === null) return 1;
    }
    if (this.signal !== null) env.print("interrupted");
    return this.signal === null ? 0 : 128 + this.signal;
  }

  remove(): void {
    for (const { name, handler } of this.handlers) process.off(name, handler);
  }
}

export async function main(): Promise<void> {
  let opts;
  try {
    opts = parseCommandLine(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`contrast: ${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\nRuns the beamline setup script (default: the simulated beamline), then the procedure and the -c macro lines and exits with their status (0, 1 when one failed, 130 when Ctrl-C stopped it), or opens the shell.\n`);
    return;
  }
  const stop = new StopSignals();
  let setupFailed = false;
  const setupCode = await stop.run(async () => {
    try {
      await loadSetup(opts.setup);
    } catch (e) {
      if (e instanceof AbortError && stop.signal !== null) throw e; // a setup script that is a procedure, stopped
      setupFailed = true;
      process.stderr.write(`contrast: setup script ${opts.setup} failed: ${e instanceof Error ? e.stack ?? e.message : e}\n`);
    }
  });
  if (setupFailed || setupCode !== 0) {
    await shutdown();
    process.exit(setupFailed ? 1 : setupCode);
  }
  if (opts.procedure !== null || opts.lines.length) {
    const { procedure, lines } = opts;
    const code = await stop.run(async () => {
      if (procedure !== null) await importScript(procedure);
      await runLines(lines);
    });
    await shutdown();
    process.exit(code);
  }
  stop.remove();
  const { startShell } = await import("./repl.ts");
  await startShell({ beforeClose: shutdown });
  process.exit(0);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
