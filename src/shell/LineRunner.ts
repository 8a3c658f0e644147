import chalk from "chalk";
import { env } from "../environment/env.ts";
import { MacroLineError, isMacroLine, noMacroMessage, runCommand } from "../macros/run.ts";
import { macros } from "../macros/registry.ts";
import { Job, abandonRunningMacro, runAsJob, runningMacro } from "../macros/control.ts";
import { abortable } from "../util/abort.ts";
import { errorText } from "./errors.ts";

/** One line being run, and what Ctrl-C does to it. */
interface Run {
  kind: "macro" | "javascript";
  /** the line's Ctrl-C, which every macro it starts (through runCommand, from anywhere) runs under */
  job: Job;
  abandon?: () => void;
  /** settles when the line is done, its clean-up included */
  ended: Promise<void>;
  markEnded: () => void;
}

/**
 * A macro line: the first word (with or without %) names a macro. `name = ...`
 * is an assignment to a variable, not the macro of that name.
 */
export function isMacroCall(line: string): boolean {
  const text = line.trim();
  if (text.includes("\n")) return false;
  if (/^%[A-Za-z_]/.test(text)) return true;
  if (/^[A-Za-z_]\w*\s+(?:[-+*/%&|^]|\*\*|<<|>>>?|&&|\|\||\?\?)?=(?!=)/.test(text)) return false;
  return isMacroLine(text);
}

/** A line that is only a # comment: nothing to run (JavaScript would call it a syntax error). */
export function isCommentLine(code: string): boolean {
  const text = code.trim();
  return text.startsWith("#") && !text.startsWith("#!") && !text.includes("\n");
}

/**
 * What to say about a line JavaScript refused: when its first word is not
 * a macro and the line is no JavaScript either (`mvd samx 1`), "no macro
 * named 'mvd'" with close matches; else the error (`mvd` alone is
 * JavaScript: "mvd is not defined").
 */
export function notAMacro(code: string, err: unknown): unknown {
  const text = code.trim();
  const m = /^([A-Za-z_]\w*)(\s|$)/.exec(text);
  if (!m || text.includes("\n") || macros.has(m[1]) || !(err instanceof Error)) return err;
  return err.name === "SyntaxError" ? new MacroLineError(noMacroMessage(m[1])) : err;
}

/**
 * Runs the shell's lines, one at a time, each as a job (macros/control.ts),
 * and routes Ctrl-C to what runs: the first stops the macro that runs (the
 * scan loop stops, cleans up and returns relative motors to their start) and
 * makes the line's later runCommand calls throw, the second skips the
 * clean-up moves, a third stops waiting for a macro that does not respond.
 */
export class LineRunner {
  private run: Run | null = null;

  constructor(private readonly onDone: () => void = () => {}) {}

  get busy(): boolean {
    return this.run !== null;
  }

  /** Runs a macro line, after the macro that still runs (started by an earlier line) if any; errors are printed, never thrown. */
  async runMacro(line: string): Promise<void> {
    const run = this.begin("macro");
    const gaveUp = new Promise<never>((_, reject) => {
      run.abandon = () => reject(new Error("stopped waiting for the macro; it may still be running"));
    });
    gaveUp.catch(() => {});
    try {
      const stopped = abortable(gaveUp, run.job.stop.signal);
      stopped.catch(() => {});
      for (let other = runningMacro(); other; other = runningMacro()) {
        const how = other.abandoned ? "Ctrl-C stops waiting" : "Ctrl-C stops it";
        env.print(chalk.dim(`waiting for '${other.line}' to finish (${how})`));
        await Promise.race([other.ended, stopped]);
      }
      const command = runAsJob(run.job, () => runCommand(line));
      command.catch(() => {}); // once given up on, its end is nobody's business
      await Promise.race([command, gaveUp]);
    } catch (e) {
      env.print(errorText(e));
    } finally {
      this.end(run);
    }
  }

  /**
   * Runs JavaScript through `evaluate` (Node's own eval, for top-level await),
   * which calls back when done. The line counts as done when the macros it
   * started are done too.
   */
  runJavascript(evaluate: (done: (err: unknown, result?: unknown) => void) => void): Promise<{ err: unknown; result?: unknown }> {
    const run = this.begin("javascript");
    return new Promise((resolve) => {
      let settled = false;
      const done = async (err: unknown, result?: unknown) => {
        if (settled) return;
        settled = true;
        for (let m = runningMacro(); m && m.job === run.job && !m.abandoned; m = runningMacro()) await m.ended;
        this.end(run);
        resolve({ err, result });
      };
      this.failJavascript = (err) => {
        void done(err);
        return true;
      };
      try {
        runAsJob(run.job, () => evaluate((err, result) => void done(err, result)));
      } catch (e) {
        void done(e);
      }
    });
  }

  /** Ends the JavaScript line that runs with an error that did not come through its callback; false if none runs. */
  failJavascript: (err: unknown) => boolean = () => false;

  /**
   * Ctrl-C. Returns false when Node's own handling should have it too: a
   * JavaScript line with no macro running (an await, a runaway loop) is
   * interrupted by Node, and its later macros are refused.
   */
  interrupt(): boolean {
    const run = this.run;
    if (!run) return false;
    const macro = runningMacro();
    const n = run.job.interrupt();
    if (macro && macro.job !== run.job && !macro.abandoned) macro.job.interrupt();
    if (!macro || (macro.abandoned && macro.job !== run.job)) return run.kind === "macro";
    if (n === 1) env.print(chalk.yellow("^C stopping (Ctrl-C again to skip the clean-up)"));
    else if (n === 2) env.print(chalk.yellow("^C skipping the clean-up"));
    else {
      const line = abandonRunningMacro();
      if (run.abandon) run.abandon();
      else {
        if (line !== null) env.print(chalk.yellow(`^C stopped waiting for '${line}'; it may still be running`));
        return false;
      }
    }
    return true;
  }

  /**
   * The terminal hung up: stops the line that runs as one Ctrl-C does and
   * settles once it has cleaned up, or after `patienceMs`.
   */
  async stopRunning(patienceMs: number): Promise<void> {
    const run = this.run;
    if (!run) return;
    for (const job of [run.job, runningMacro()?.job]) if (job && job.interrupts === 0) job.interrupt();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([run.ended, new Promise((resolve) => (timer = setTimeout(resolve, patienceMs)))]);
    clearTimeout(timer);
  }

  private begin(kind: Run["kind"]): Run {
    let markEnded = () => {};
    const ended = new Promise<void>((resolve) => (markEnded = resolve));
    const run: Run = { kind, job: new Job(), ended, markEnded };
    this.run = run;
    return run;
  }

  private end(run: Run): void {
    run.markEnded();
    if (this.run === run) this.run = null;
    this.failJavascript = () => false;
    this.onDone();
  }
}
