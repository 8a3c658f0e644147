import { abortable } from "../util/abort.ts";

/**
 * May acquisition proceed now? Scans call `waitUntilReady()` before every
 * point. `limit()` is the number of seconds until the next deadline (such as
 * an injection), or null when none is known.
 */
export class Scheduler {
  /** How often `waitUntilReady` asks again, for schedulers that cannot say when they will be ready. */
  recheckSeconds = 0.2;

  async ready(): Promise<boolean> {
    return true;
  }

  limit(): number | null {
    return null;
  }

  /** Seconds until ready again, when the scheduler can tell; null otherwise. */
  protected readyIn(): number | null {
    return null;
  }

  /** Settles once ready; tells `onWait` why it waits, again each time the reason changes. */
  async waitUntilReady(signal?: AbortSignal, onWait?: (why: string) => void): Promise<void> {
    let told: string | undefined;
    while (!(await this.ready())) {
      const why = this.describe();
      if (why !== told) onWait?.(why);
      told = why;
      const wait = this.readyIn() ?? this.recheckSeconds;
      await abortable(new Promise((r) => setTimeout(r, Math.max(1, wait * 1000))), signal);
    }
  }

  describe(): string {
    return "waiting for the scheduler";
  }
}

/** Always ready. */
export class DummyScheduler extends Scheduler {}

/**
 * Not ready for `window` seconds every `period` seconds, starting `phase`
 * seconds after creation: a stand-in for top-up injections, for tests and the simulation.
 */
export class InjectionScheduler extends Scheduler {
  private readonly t0: number;

  constructor(readonly period: number, readonly window: number, phase = 0) {
    super();
    if (!(period > 0 && window >= 0 && window < period)) throw new Error("InjectionScheduler needs 0 <= window < period");
    this.t0 = performance.now() / 1000 + phase;
  }

  private phase(): number {
    const t = performance.now() / 1000 - this.t0;
    return ((t % this.period) + this.period) % this.period;
  }

  override async ready(): Promise<boolean> {
    return this.phase() >= this.window;
  }

  protected override readyIn(): number | null {
    const p = this.phase();
    return p < this.window ? this.window - p + 1e-3 : 0;
  }

  override limit(): number {
    return this.period - this.phase();
  }

  override describe(): string {
    return "waiting for the injection to end";
  }
}
