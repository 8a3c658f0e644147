import chalk from "chalk";
import { env } from "../environment/env.ts";
import { isMacroLine, runCommand } from "../macros/run.ts";
import { errorText } from "./errors.ts";

/** What runCommand takes; `cleanupSignal` is the second Ctrl-C. */
export interface CommandOptions {
  signal?: AbortSignal;
  cleanupSignal?: AbortSignal;
}

/** One line being run, and what Ctrl-C does to it. */
interface Run {
  kind: "macro" | "javascript";
  /** first Ctrl-C: stop and clean up */
  stop: AbortController;
  /** second Ctrl-C: stop cleaning up too */
  skipCleanup: AbortController;
  interrupts: number;
  /** macros started by this line (from JavaScript through runCommand) and not yet done */
  macros: Set<Promise<unknown>>;
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

/**
 * Runs the shell's lines, one at a time, and routes Ctrl-C to the one that
 * runs: the first aborts it (the scan loop stops, cleans up and returns
 * relative motors to their start), the second skips the clean-up moves, a
 * third stops waiting for a macro that does not respond.
 */
export class LineRunner {
  private run: Run | null = null;

  constructor(private readonly onDone: () => void = () => {}) {}

  get busy(): boolean {
    return this.run !== null;
  }

  /** runCommand as the shell's scripts see it: Ctrl-C reaches macros started from a typed line. */
  readonly runCommand = (line: string, opts: CommandOptions = {}): Promise<unknown> => {
    const run = this.run;
    const withSignals: CommandOptions = {
      signal: opts.signal ?? run?.stop.signal,
      cleanupSignal: opts.cleanupSignal ?? run?.skipCleanup.signal,
    };
    const p = runCommand(line, withSignals);
    if (run) {
      run.macros.add(p);
      const forget = () => void run.macros.delete(p);
      p.then(forget, forget);
    }
    return p;
  };

  /** Runs a macro line; errors are printed, never thrown. */
  async runMacro(line: string): Promise<void> {
    const run = this.begin("macro");
    const gaveUp = new Promise<never>((_, reject) => {
      run.abandon = () => reject(new Error("stopped waiting for the macro; it may still be running"));
    });
    const signals: CommandOptions = { signal: run.stop.signal, cleanupSignal: run.skipCleanup.signal };
    const command = runCommand(line, signals);
    command.catch(() => {}); // once given up on, its end is nobody's business
    try {
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
        while (run.macros.size) await Promise.allSettled([...run.macros]);
        this.end(run);
        resolve({ err, result });
      };
      this.failJavascript = (err) => {
        void done(err);
        return true;
      };
      try {
        evaluate((err, result) => void done(err, result));
      } catch (e) {
        void done(e);
      }
    });
  }

  /** Ends the JavaScript line that runs with an error that did not come through its callback; false if none runs. */
  failJavascript: (err: unknown) => boolean = () => false;

  /** Ctrl-C. Returns false when there is nothing here to interrupt (Node's own await handling gets it). */
  interrupt(): boolean {
    const run = this.run;
    if (!run) return false;
    run.interrupts++;
    if (run.kind === "javascript" && run.macros.size === 0) return false;
    if (run.interrupts === 1) {
      env.print(chalk.yellow("^C stopping (Ctrl-C again to skip the clean-up)"));
      run.stop.abort();
    } else if (run.interrupts === 2) {
      env.print(chalk.yellow("^C skipping the clean-up"));
      run.skipCleanup.abort();
    } else if (run.abandon) {
      run.abandon();
    } else return false;
    return true;
  }

  /**
   * The terminal hung up: stops the line that runs as one Ctrl-C does and
   * settles once it has cleaned up, or after `patienceMs`.
   */
  async stopRunning(patienceMs: number): Promise<void> {
    const run = this.run;
    if (!run) return;
    run.stop.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([run.ended, new Promise((resolve) => (timer = setTimeout(resolve, patienceMs)))]);
    clearTimeout(timer);
  }

  private begin(kind: Run["kind"]): Run {
    let markEnded = () => {};
    const ended = new Promise<void>((resolve) => (markEnded = resolve));
    const run: Run = { kind, stop: new AbortController(), skipCleanup: new AbortController(), interrupts: 0, macros: new Set(), ended, markEnded };
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
