import { abortable } from "../util/abort.ts";
import { BadPointHook } from "../util/badPoint.ts";

/**
 * May acquisition proceed now? Scans call `waitUntilReady()` before every
 * point. `limit()` is the number of seconds until the next deadline (such as
 * an injection), or null when none is known.
 *
 * While a point is acquired the scan loop does not ask: it listens
 * (`watchPoints`). A scheduler that learns of a change calls `pointIsBad(why)`
 * when it turns not ready; one that can only ask polls in `startWatching()`,
 * outside the loop (TangoScheduler).
 */
export class Scheduler {
  /** How often `waitUntilReady` asks again, for schedulers that cannot say when they will be ready. */
  recheckSeconds = 0.2;
  private readonly badPoint = new BadPointHook();
  private stopWatching: (() => void) | null = null;

  /** The point being acquired must be taken again (the beam is gone, a shutter closed). */
  pointIsBad(why: string = this.describe()): void {
    this.badPoint.tell(why);
  }

  /** Calls `onBad(why)` whenever the scheduler turns not ready, until the returned function is called. */
  watchPoints(onBad: (why: string) => void): () => void {
    const unlisten = this.badPoint.listen(onBad);
    this.stopWatching ??= this.startWatching();
    return () => {
      unlisten();
      if (!this.badPoint.listened) {
        this.stopWatching?.();
        this.stopWatching = null;
      }
    };
  }

  /** Starts learning of changes while someone watches; returns how to stop. Schedulers that only can ask poll here. */
  protected startWatching(): () => void {
    return () => {};
  }

  /** A `startWatching()` for schedulers that can only ask: `ready()` every `recheckSeconds`. */
  protected pollWhileWatched(): () => void {
    let asking = false;
    const timer = setInterval(() => {
      if (asking) return;
      asking = true;
      this.ready().then((ok) => ok || this.pointIsBad(), () => this.pointIsBad()).finally(() => (asking = false));
    }, this.recheckSeconds * 1000);
    timer.unref();
    return () => clearInterval(timer);
  }

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

  /** A timer for the start of each injection window. */
  protected override startWatching(): () => void {
    let timer: NodeJS.Timeout;
    const next = () => {
      timer = setTimeout(() => {
        this.pointIsBad();
        next();
      }, this.limit() * 1000 + 1);
      timer.unref();
    };
    next();
    return () => clearTimeout(timer);
  }

  override describe(): string {
    return "waiting for the injection to end";
  }
}

/**
 * The simulated beamline's scheduler: the beam can be lost on purpose.
 * `beamloss(after, duration)` takes it away `after` seconds from now for
 * `duration` seconds; meanwhile `beamUp` is false, the scheduler is not ready
 * and the simulated detectors read only their background (beamlines/sim.ts).
 */
export class SimulatedBeamScheduler extends Scheduler {
  private losses = 0;
  private upAt = 0;

  get beamUp(): boolean {
    return this.losses === 0;
  }

  beamloss(after: number, duration: number): void {
    if (!(after >= 0 && duration > 0 && Number.isFinite(after + duration))) throw new Error("beamloss needs after >= 0 and duration > 0 seconds");
    setTimeout(() => {
      this.losses++;
      this.upAt = Math.max(this.upAt, performance.now() / 1000 + duration);
      setTimeout(() => this.losses--, duration * 1000).unref();
      this.pointIsBad();
    }, after * 1000).unref();
  }

  override async ready(): Promise<boolean> {
    return this.beamUp;
  }

  protected override readyIn(): number | null {
    return this.beamUp ? 0 : Math.max(0, this.upAt - performance.now() / 1000) + 1e-3;
  }

  override describe(): string {
    return "beam lost (simulated)";
  }
}
