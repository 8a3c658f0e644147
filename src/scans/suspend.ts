import chalk from "chalk";
import { env } from "../environment/env.ts";
import type { Scheduler } from "../environment/scheduler.ts";
import type { Detector } from "../detectors/Detector.ts";
import type { DetectorGroup } from "../detectors/DetectorGroup.ts";
import type { Recorder } from "../recorders/Recorder.ts";
import type { ScanSuspension, Suspension } from "../recorders/messages.ts";
import { abortable } from "../util/abort.ts";
import { sleep } from "../util/delay.ts";

/**
 * Listens, for the whole scan, to the scheduler and every detector for "this
 * point is bad" (beam lost, a shutter closed, a detector's own beam check).
 * The loop `rearm()`s it before each point, races the acquisition against it
 * with `until()`, and takes the point again when `reason` is set.
 */
export class PointWatch {
  /** why the point under way is bad; null while it is good */
  reason: string | null = null;
  private wake: () => void = () => {};
  private bad: Promise<void>;
  private readonly stops: (() => void)[];

  constructor(scheduler: Scheduler, detectors: Detector[]) {
    this.bad = this.fresh();
    const tell = (why: string) => {
      if (this.reason !== null) return;
      this.reason = why;
      this.wake();
    };
    this.stops = [scheduler.watchPoints(tell), ...detectors.map((d) => d.watchPoints(tell))];
  }

  private fresh(): Promise<void> {
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  /** A new point: forgets what was told before it. */
  rearm(): void {
    if (this.reason === null) return;
    this.reason = null;
    this.bad = this.fresh();
  }

  /** Settles when `acquisition` does, or as soon as the point turns bad. */
  until(acquisition: Promise<void>): Promise<void> {
    return Promise.race([acquisition, this.bad]);
  }

  close(): void {
    for (const stop of this.stops) stop();
  }
}

/**
 * The times a scan waited with a point still to take: suspensions (the point
 * was bad and is taken again) and pauses. Each is printed, sent to the
 * recorders as `suspended` / `resumed` messages, listed in the footer, and
 * left out of the time-left estimate.
 */
export class Suspensions {
  readonly list: Suspension[] = [];
  /** seconds spent waiting so far */
  seconds = 0;
  private open: { start: number; reason: string; index: number; t: number } | null = null;

  constructor(private readonly scannr: number, private readonly recorders: Recorder[], private readonly signal: AbortSignal) {}

  /**
   * Point `index` turned bad: stops the detectors (nothing of the point is
   * kept), waits until the scheduler is ready again and has stayed so for
   * `env.scan.settleSeconds`. The loop then moves back and takes the point again.
   */
  async retake(index: number, reason: string, group: DetectorGroup): Promise<void> {
    for (const p of await group.stop()) env.print(chalk.red(`  ${p}`));
    env.print(chalk.yellow(`scan #${this.scannr} suspended at point ${index}: ${reason}`));
    await this.begin(index, reason);
    const say = (why: string) => why !== reason && env.print(chalk.yellow(`  ${why}`)); // a new reason only
    do {
      await env.scheduler.waitUntilReady(this.signal, say);
      await abortable(sleep(env.scan.settleSeconds), this.signal);
    } while (!(await env.scheduler.ready()));
    const waited = await this.end();
    env.print(chalk.yellow(`scan #${this.scannr} resumed after ${waited.toFixed(1)} s: taking point ${index} again`));
  }

  /** A pause took effect before point `index` (ScanControl.checkpoint). */
  paused(index: number): Promise<void> {
    return this.begin(index, "paused");
  }

  async resumed(): Promise<void> {
    await this.end();
  }

  /** Every suspension, one still open ending now (the scan was interrupted while it waited). */
  all(): Suspension[] {
    if (this.open) this.list.push({ start: this.open.start, end: Date.now() / 1000, reason: this.open.reason, index: this.open.index });
    this.open = null;
    env.scan.suspended = null;
    return this.list;
  }

  private async begin(index: number, reason: string): Promise<void> {
    this.open = { start: Date.now() / 1000, reason, index, t: performance.now() };
    env.scan.suspend(reason);
    await this.tell("suspended", index, reason);
  }

  /** Returns the seconds waited. */
  private async end(): Promise<number> {
    const o = this.open;
    if (!o) return 0;
    this.open = null;
    const seconds = (performance.now() - o.t) / 1000;
    this.seconds += seconds;
    this.list.push({ start: o.start, end: Date.now() / 1000, reason: o.reason, index: o.index });
    env.scan.suspend(null);
    await this.tell("resumed", o.index, o.reason);
    return seconds;
  }

  private async tell(status: ScanSuspension["status"], index: number, reason: string): Promise<void> {
    const msg: ScanSuspension = { kind: "suspension", status, scannr: this.scannr, index, reason, time: Date.now() / 1000 };
    await Promise.all(this.recorders.map((r) => r.send(msg, this.signal)));
  }
}

/**
 * Before each point: when the scheduler's next deadline (`limit()`, e.g. an
 * injection) comes sooner than a point needs (`env.scan.deadlineMargin`),
 * waits until it has passed, so the point is not cut in two. When even a
 * fresh deadline is too close (they come more often than a point needs),
 * waiting cannot help: the scan says so and stops waiting for them.
 */
export class Deadlines {
  private useless = false;

  constructor(private readonly exposure: number, private readonly signal: AbortSignal) {}

  async before(): Promise<void> {
    if (this.useless) return;
    const limit = env.scheduler.limit();
    const needs = env.scan.deadlineMargin(this.exposure);
    if (limit === null || limit >= needs) return;
    const say = (why: string) => env.print(chalk.yellow(`  ${why}`));
    say(`waiting ${limit.toFixed(1)} s for the scheduler's deadline to pass (a point needs ${needs.toFixed(1)} s)`);
    await abortable(sleep(limit + 1e-3), this.signal);
    await env.scheduler.waitUntilReady(this.signal, say);
    const next = env.scheduler.limit();
    if (next !== null && next < needs) {
      this.useless = true;
      say(`the next deadline is only ${next.toFixed(1)} s away: deadlines come too often to wait for, this scan goes on without`);
    }
  }
}
