import { abortable } from "../util/abort.ts";

/** Where the scan that runs is: its number and how many of its points are done. */
export interface ScanProgress {
  scannr: number;
  done: number;
  total: number;
}

/** Where a pause is recorded like a suspension (scans/suspend.ts). */
export interface PauseRecord {
  paused(index: number): Promise<void>;
  resumed(): Promise<void>;
}

/**
 * Pause, resume and abort of the scan that runs, from outside its line (the
 * remote API, a script): `env.scan`. The scan loop awaits `checkpoint()`
 * before each point, so a pause takes effect at the next point boundary and
 * leaves the motors where they are; `abort()` stops the line that runs as
 * Ctrl-C does (footer `interrupted`, relative scans go back).
 */
export class ScanControl {
  /** the scan that passed the last checkpoint */
  current: ScanProgress | null = null;
  /** set by whoever runs lines (the shell, the queue): aborts the one that runs; false when none runs */
  abortRunning: () => boolean = () => false;
  /** seconds the scheduler must stay ready after a suspension before the point is taken again */
  settleSeconds = 1;
  /** seconds a point needs before the scheduler's next deadline, else the loop waits for the deadline to pass (the original's margin) */
  deadlineMargin: (exposure: number) => number = (exposure) => exposure * 5 + 5;
  /** why the scan that runs is suspended; null when it is not */
  suspended: string | null = null;
  private pauseRequested = false;
  private wake: (() => void) | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly say: (text: string) => void = () => {}) {}

  /** true while a scan waits at a checkpoint */
  get paused(): boolean {
    return this.wake !== null;
  }

  /** true from pause() until resume() or abort() */
  get pausing(): boolean {
    return this.pauseRequested;
  }

  pause(): void {
    this.pauseRequested = true;
    this.changed();
  }

  resume(): void {
    this.pauseRequested = false;
    this.wake?.();
    this.changed();
  }

  /** The pause key: pauses the scan that runs, or resumes it; false when no scan runs. */
  togglePause(): boolean {
    if (!this.current) return false;
    if (this.pauseRequested) this.resume();
    else this.pause();
    return true;
  }

  /** The loop says why it waits (null: it goes on). */
  suspend(reason: string | null): void {
    this.suspended = reason;
    this.changed();
  }

  /** Aborts the line that runs (a paused scan too); false when nothing runs. */
  abort(): boolean {
    this.pauseRequested = false;
    const aborted = this.abortRunning();
    this.changed();
    return aborted;
  }

  /** Forgets the last scan and any pause not taken (the line is over). */
  reset(): void {
    this.current = null;
    this.suspended = null;
    this.pauseRequested = false;
    this.changed();
  }

  /** Called with every change: progress, pause, resume. Returns a function that stops the calls. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** The scan loop's point boundary: `done` of `total` points are done. Waits here while paused. */
  async checkpoint(scan: { scannr: number }, done: number, total: number, signal: AbortSignal, record?: PauseRecord): Promise<void> {
    this.current = { scannr: scan.scannr, done, total };
    this.changed();
    if (!this.pauseRequested) return;
    this.say(`scan #${scan.scannr} paused before point ${done}: the motors stay where they are`);
    await record?.paused(done);
    try {
      await abortable(new Promise<void>((resolve) => (this.wake = resolve)), signal);
    } finally {
      this.wake = null;
    }
    await record?.resumed();
    this.say(`scan #${scan.scannr} resumed`);
    this.changed();
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
