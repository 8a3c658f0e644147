/**
 * The interactive shell: Node's REPL, where a line whose first word is a
 * macro runs that macro and anything else is JavaScript (with top-level
 * await). Lines run one at a time; Ctrl-C interrupts the one running.
 */
import chalk from "chalk";
import repl, { type REPLEval, type REPLServer, type ReplOptions } from "node:repl";
import { once, type EventEmitter } from "node:events";
import { homedir } from "node:os";
import { join } from "node:path";
import type { AsyncCompleter } from "node:readline";
import { env } from "../environment/env.ts";
import { Motor } from "../motors/Motor.ts";
import { Detector } from "../detectors/Detector.ts";
import { errorText } from "./errors.ts";
import { InputGate } from "./InputGate.ts";
import { LineRunner, isCommentLine, isMacroCall, notAMacro } from "./LineRunner.ts";
import { StatusLine } from "./StatusLine.ts";
import { shellCompleter } from "./completion.ts";
import { addGadgets, fillScope } from "./scope.ts";
import { allowTypeScriptImports } from "./typescriptImports.ts";
import { linkShell, printAbovePrompt, startRemoteControl } from "../remote/index.ts";
import { runCommand } from "../macros/run.ts";
import { Job, runAsJob, runningMacro } from "../macros/control.ts";

/** After a hang-up, how long the line that runs gets to clean up before the shell closes anyway. */
const HANGUP_PATIENCE_MS = 30_000;

/** REPLServer members the shell replaces, which Node's types call read-only or do not declare. */
interface ReplInternals {
  eval: REPLEval;
  completer: AsyncCompleter;
  close(): void;
  lastError: unknown;
  _domain: EventEmitter;
  _flushing?: boolean;
}

export interface ShellOptions extends ReplOptions {
  historySize?: number;
  /** runs before the REPL closes (Ctrl-D, .exit, end of input): stop the recorders here */
  beforeClose?: () => Promise<void>;
}

/** `[12] contrast> `: the number the next scan will get. */
export function promptText(colour: boolean): string {
  let next: string;
  try {
    next = String(env.nextScanId);
  } catch {
    next = "?";
  }
  return colour ? `\x1b[36m[${next}]\x1b[0m contrast> ` : `[${next}] contrast> `;
}

/** The lines of an unfinished statement (an open bracket) that Node's REPL holds. */
function typedSoFar(r: REPLServer): string {
  const key = Object.getOwnPropertySymbols(r).find((k) => k.description === "bufferedCommand");
  const held = key ? (r as unknown as Record<symbol, unknown>)[key] : "";
  return typeof held === "string" ? held : "";
}

/**
 * Runs Node's eval with nobody listening to SIGINT. Its SIGINT watchdog
 * (breakEvalOnSigint, which lets Ctrl-C stop a runaway `while (true)`) does
 * not work while a listener is there, and when it stops it leaves a handler
 * behind that kills the process on the next SIGINT; listening afresh
 * afterwards puts Node's own handler back.
 */
function withoutSigintListeners(run: () => void): void {
  const listeners = process.listeners("SIGINT");
  process.removeAllListeners("SIGINT");
  try {
    run();
  } finally {
    for (const l of listeners) process.on("SIGINT", l);
  }
}

/**
 * Opens the shell's REPL on `options.input` (default stdin). `start` is
 * Node's repl.start, passed in when that has been replaced (interactive.ts).
 */
export function openRepl(options: ShellOptions = {}, start: typeof repl.start = repl.start): REPLServer {
  const { beforeClose, ...replOptions } = options;
  const source = (options.input ?? process.stdin) as NodeJS.ReadStream;
  const output = (options.output ?? process.stdout) as NodeJS.WriteStream;
  const terminal = options.terminal ?? Boolean(output.isTTY && source.isTTY);
  const runner = new LineRunner(() => gate.release());
  const gate = new InputGate(source, () => interruptLine(), () => env.scan.togglePause());
  /** Ctrl-C while a line runs: interrupt it, and drop what was typed ahead. */
  function interruptLine(): boolean {
    const handled = runner.interrupt();
    const dropped = gate.dropTypedAhead();
    if (dropped) env.print(chalk.yellow(`^C ${dropped} line${dropped === 1 ? "" : "s"} typed ahead discarded`));
    return handled;
  }
  const status = new StatusLine(output);

  const startOptions: ReplOptions & { historySize: number } = {
    ...replOptions,
    prompt: promptText(terminal),
    input: gate,
    output,
    terminal,
    useGlobal: true,
    ignoreUndefined: true,
    breakEvalOnSigint: true,
    preview: false,
    historySize: options.historySize ?? 1000,
  };
  const r = start(startOptions);
  const internals = r as unknown as ReplInternals;

  const javascript = internals.eval;
  internals.eval = (code, context, file, callback) => {
    // called with the error only, the REPL prints nothing and leaves `_` alone
    const finished = callback as (err: Error | null) => void;
    addGadgets(context);
    if (code.trim() === "exit") return internals.close();
    if (isCommentLine(code)) return finished(null);
    if (isMacroCall(code)) {
      void runner.runMacro(code.trim()).then(() => {
        status.clear();
        finished(null);
      });
      return;
    }
    if (/\bimport\s*\(/.test(code)) allowTypeScriptImports();
    void runner.runJavascript((done) => withoutSigintListeners(() => javascript.call(r, code, context, file, done))).then(({ err, result }) => {
      status.clear();
      if (!err) return callback(null, result);
      if (err instanceof repl.Recoverable) return finished(err); // an open bracket: read on
      internals.lastError = err;
      env.print(errorText(notAMacro(code, err)));
      finished(null);
    });
  };

  // Node reports errors thrown in REPL code through its domain, with a stack: one line instead
  internals._domain.removeAllListeners("error");
  internals._domain.on("error", (e: unknown) => {
    if (runner.failJavascript(e)) return;
    env.print(errorText(e));
    if (!gate.busy) r.displayPrompt(true);
  });

  r.prependListener("line", () => gate.hold());
  r.on("line", () => {
    if (!runner.busy) gate.release();
  });

  // Ctrl-C at an idle prompt clears the line and never closes the shell: Ctrl-D or exit do.
  // Node's own handling stays for the rest (a line being typed, interrupting an await).
  const nodeSigint = r.listeners("SIGINT") as (() => void)[];
  r.removeAllListeners("SIGINT");
  let inSigint = false;
  r.on("SIGINT", () => {
    if (!runner.busy && r.line === "" && !typedSoFar(r)) {
      output.write("(Ctrl-D or exit leaves the shell)\n");
      r.displayPrompt();
      return;
    }
    inSigint = true;
    try {
      for (const l of nodeSigint) l.call(r);
    } finally {
      inSigint = false;
    }
  });

  const display = r.displayPrompt.bind(r);
  r.displayPrompt = (preserveCursor?: boolean) => {
    r.setPrompt(promptText(terminal));
    display(preserveCursor);
  };

  internals.completer = shellCompleter(internals.completer);

  // Ctrl-C as a signal (no terminal, or `kill -INT`): as if typed
  const onSignal = () => {
    if (gate.busy && interruptLine()) return;
    r.emit("SIGINT");
  };
  // errors from nowhere in particular (a timer in a gadget): one line, never a crash
  const onStray = (e: unknown) => {
    // a write to a terminal that hung up fails (EIO/EPIPE): close instead of printing again, or this loops
    const code = (e as NodeJS.ErrnoException | null)?.code;
    if (code === "EIO" || code === "EPIPE" || code === "ERR_STREAM_DESTROYED") return onHangup();
    if (closing) return;
    try {
      env.print(errorText(e));
    } catch {
      internals.close();
    }
  };
  // the terminal went away or we are told to stop: interrupt what runs, then close as on
  // Ctrl-D, so that the scan ends "interrupted" and the recorders close their files
  const onHangup = () => void runner.stopRunning(HANGUP_PATIENCE_MS).then(() => internals.close());
  output.on("error", onHangup);
  process.on("SIGINT", onSignal);
  process.on("SIGHUP", onHangup);
  process.on("SIGTERM", onHangup);
  process.on("uncaughtException", onStray);
  process.on("unhandledRejection", onStray);

  const close = internals.close.bind(r);
  let closing = false;
  internals.close = () => {
    if (inSigint) return r.displayPrompt(); // Node's Ctrl-C would close it
    if (closing) return;
    closing = true;
    gate.detach();
    process.off("SIGINT", onSignal);
    process.off("SIGHUP", onHangup);
    process.off("SIGTERM", onHangup);
    void (async () => {
      try {
        await beforeClose?.();
      } catch (e) {
        env.print(errorText(e));
      }
      if (internals._flushing) await once(r, "flushHistory");
      try {
        close();
      } catch {
        r.emit("exit"); // the terminal is gone; whoever waits for the end must still hear of it
      }
      process.off("uncaughtException", onStray);
      process.off("unhandledRejection", onStray);
    })();
  };

  status.install();
  // the remote queue runs its lines here, as typed lines run (src/remote/ShellLink.ts)
  linkShell({
    runLine: (line, signal) => runAsJob(new Job(), () => runCommand(line, { signal })),
    busy: () => gate.busy || runner.busy || runningMacro() !== null,
    abort: () => runner.interrupt(),
    notice: (text) => printAbovePrompt(r, text, gate.busy),
  });
  env.scope = r.context as Record<string, unknown>;
  fillScope(env.scope);
  return r;
}

/** `contrast [SETUP]`: the shell, with history in ~/.contrast_history ($CONTRAST_HISTORY). Resolves when it closes. */
export async function startShell(options: { beforeClose?: () => Promise<void> } = {}): Promise<void> {
  const motors = Motor.getInstances().filter((m) => m.userLevel <= env.userLevel).length;
  const detectors = Detector.getInstances().filter((d) => d.userLevel <= env.userLevel).length;
  env.print(`contrast: ${motors} motors, ${detectors} detectors. lsmac lists the macros, help NAME (or NAME?) explains one, Ctrl-D leaves.`);
  const remote = await startRemoteControl();
  const r = openRepl({
    beforeClose: async () => {
      await remote.close();
      await options.beforeClose?.();
    },
  });
  const history = process.env.CONTRAST_HISTORY ?? join(homedir(), ".contrast_history");
  r.setupHistory(history, (err) => {
    if (err) env.print(`history is not kept: ${err.message}`);
  });
  await once(r, "exit");
}
