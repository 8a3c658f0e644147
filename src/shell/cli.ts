/**
 * contrast [SETUP] [-c LINE ...]
 * Runs a beamline setup script, then the -c lines as if typed (exiting 0, or
 * 1 at the first failing line), or else opens the interactive shell.
 */
import { join, resolve } from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";
import { runCommand, isMacroLine } from "../macros/run.ts";
import { Recorder } from "../recorders/Recorder.ts";
import { env } from "../environment/env.ts";
import { errorText } from "./errors.ts";
import { COMPILED, PACKAGE_ROOT } from "../util/layout.ts";

export const DEFAULT_SETUP = join(PACKAGE_ROOT, "beamlines", "sim.ts");

export function parseCommandLine(argv: string[]): { setup: string; lines: string[]; help: boolean } {
  const lines: string[] = [];
  let setup: string | null = null;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-c" || a === "--command") {
      if (i + 1 >= argv.length) throw new Error("-c needs a macro line");
      lines.push(argv[++i]);
    } else if (a === "-h" || a === "--help") help = true;
    else if (setup === null) setup = a;
    else throw new Error(`unexpected argument ${JSON.stringify(a)}`);
  }
  return { setup: resolve(setup ?? DEFAULT_SETUP), lines, help };
}

/**
 * Runs the setup script (from the build, a TypeScript one is compiled first, see bin/build.js),
 * then asks the path fixer where data go: one that asks a device knows the directory, and so
 * the prompt's next scan number, only once asked.
 */
export async function loadSetup(setup: string): Promise<void> {
  let file = setup;
  if (COMPILED && /\.[cm]?ts$/.test(setup)) {
    const build = pathToFileURL(join(PACKAGE_ROOT, "bin", "build.js")).href;
    const { compileScript } = (await import(build)) as { compileScript: (file: string) => Promise<string> };
    file = await compileScript(setup);
  }
  await import(pathToFileURL(file).href);
  await env.paths.getDirectory().catch(() => {});
}

/** Stops every recorder so that their files are closed. */
export async function shutdown(): Promise<void> {
  await Promise.allSettled(Recorder.getInstances().map((r) => r.stop()));
}

/** Runs lines one after the other; returns the exit code. */
export async function runLines(lines: string[]): Promise<number> {
  let controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  try {
    for (const line of lines) {
      controller = new AbortController();
      if (!isMacroLine(line)) {
        env.print(`error: not a macro line: ${line}`);
        return 1;
      }
      try {
        await runCommand(line, { signal: controller.signal });
      } catch (e) {
        env.print(errorText(e));
        return 1;
      }
    }
    return 0;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

export async function main(): Promise<void> {
  let opts;
  try {
    opts = parseCommandLine(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`contrast: ${(e as Error).message}\nusage: contrast [SETUP] [-c LINE ...]\n`);
    process.exit(2);
  }
  if (opts.help) {
    process.stdout.write("usage: contrast [SETUP] [-c LINE ...]\nRuns the beamline setup script (default: the simulated beamline), then the -c macro lines, or opens the shell.\n");
    return;
  }
  try {
    await loadSetup(opts.setup);
  } catch (e) {
    process.stderr.write(`contrast: setup script ${opts.setup} failed: ${e instanceof Error ? e.stack ?? e.message : e}\n`);
    await shutdown();
    process.exit(1);
  }
  if (opts.lines.length) {
    const code = await runLines(opts.lines);
    await shutdown();
    process.exit(code);
  }
  const { startShell } = await import("./repl.ts");
  await startShell({ beforeClose: shutdown });
  process.exit(0);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
