/**
 * What Ctrl-C stops, and the one macro that runs.
 *
 * A job is something the user started and stops with Ctrl-C: a line typed at
 * the prompt, a -c line, a procedure run from the command line. Every
 * runCommand it makes, however deep in its promises and through whichever
 * import of runCommand, runs under the job's signals (found through
 * AsyncLocalStorage). A stopped job starts no more macros: a procedure's
 * `await runCommand(...)` throws, so its next line does not run.
 *
 * One macro runs at a time. A macro run from inside the one that runs (a
 * defined macro that calls runCommand) is part of it.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { AbortError } from "../util/abort.ts";

export class Job {
  /** first Ctrl-C: stop, clean up, return relative scans to their start */
  readonly stop = new AbortController();
  /** second Ctrl-C: skip the clean-up moves too */
  readonly skipCleanup = new AbortController();
  interrupts = 0;

  /** One more Ctrl-C (or SIGTERM): the first stops, the second skips the clean-up. Returns how many so far. */
  interrupt(): number {
    this.interrupts++;
    if (this.interrupts === 1) this.stop.abort();
    else this.skipCleanup.abort();
    return this.interrupts;
  }
}

export interface Signals {
  signal: AbortSignal;
  cleanupSignal: AbortSignal;
}

interface Running {
  line: string;
  job: Job;
  /** the user stopped waiting for it (a third Ctrl-C); it still runs */
  abandoned: boolean;
  ended: Promise<void>;
  end: () => void;
}

/** A macro started while another runs. */
export class MacroBusyError extends Error {
  constructor(line: string, other: string) {
    super(`'${line}' not started: '${other}' is running (one macro at a time)`);
    this.name = "MacroBusyError";
  }
}

const jobs = new AsyncLocalStorage<Job>();
const insideMacro = new AsyncLocalStorage<Running>();
let running: Running | null = null;

/** Runs `fn` as `job`: the macros it starts, now or later, are stopped by the job's Ctrl-C. */
export function runAsJob<T>(job: Job, fn: () => T): T {
  return jobs.run(job, fn);
}

/** The macro that runs and the job it belongs to, if one runs. */
export function runningMacro(): Readonly<Pick<Running, "line" | "job" | "abandoned" | "ended">> | null {
  return running;
}

/** Settles once no macro runs. */
export async function macroIdle(): Promise<void> {
  while (running) await running.ended;
}

/**
 * The user gave up waiting for the macro that runs (it does not respond):
 * the line that started it goes on, but the macro counts as running until it
 * ends, so that no other starts beside it. Returns its line (null if there
 * was nothing left to give up on).
 */
export function abandonRunningMacro(): string | null {
  if (!running || running.abandoned) return null;
  running.abandoned = true;
  return running.line;
}

function merged(own: AbortSignal | undefined, job: AbortSignal): AbortSignal {
  return own ? AbortSignal.any([own, job]) : job;
}

/**
 * Runs one macro, refused while another runs, under the signals of the job
 * it was started from as well as the caller's own.
 */
export async function runExclusively<T>(line: string, own: Partial<Signals>, run: (signals: Signals) => Promise<T>): Promise<T> {
  const outer = insideMacro.getStore();
  const job = outer && outer === running ? outer.job : jobs.getStore() ?? new Job();
  const signals = { signal: merged(own.signal, job.stop.signal), cleanupSignal: merged(own.cleanupSignal, job.skipCleanup.signal) };
  if (outer && outer === running) return run(signals);
  if (running) throw new MacroBusyError(line, running.line);
  if (job.stop.signal.aborted) throw new AbortError();
  let end = () => {};
  const ended = new Promise<void>((resolve) => (end = resolve));
  const me: Running = { line, job, abandoned: false, ended, end };
  running = me;
  try {
    return await insideMacro.run(me, () => run(signals));
  } finally {
    if (running === me) running = null;
    end();
  }
}
