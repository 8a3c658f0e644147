import { Detector } from "./Detector.ts";
import type { Value } from "../data/values.ts";
import { preciseDelay } from "../util/delay.ts";

/**
 * The timing shared by the dummy detectors: an acquisition lasts the
 * exposure time (times the burst count) and can be stopped early; with
 * `hwTrig` it waits for the next train of its trigger source and takes one
 * frame per trigger. Every dummy has a software live mode: while live, a
 * reading is taken every exposure time and kept as `lastFrame` (nothing is
 * recorded). Subclasses only say what a reading looks like.
 */
export abstract class SimulatedDetector extends Detector {
  private acquisition: Promise<void> = Promise.resolve();
  private acquiring = false;
  private cancel: (() => void) | null = null;
  /** when each frame of the last acquisition was triggered (performance.now() ms); empty: read time */
  protected frameTimes: ArrayLike<number> = [];
  /** set to make the next `start()` calls fail (for testing error paths) */
  failNext = 0;
  private liveTimer: NodeJS.Timeout | null = null;
  /** the newest reading taken in live mode */
  lastFrame: Value | null = null;

  get live(): boolean {
    return this.liveTimer !== null;
  }

  async startLive(acqTime = 0.1): Promise<void> {
    if (!(acqTime >= 0) || !Number.isFinite(acqTime)) throw new Error(`${this.name}: live exposure time must be a finite number >= 0 (got ${acqTime})`);
    await this.stopLive();
    this.acqTime = acqTime;
    this.liveTimer = setInterval(() => (this.lastFrame = this.reading()), Math.max(10, acqTime * 1000));
  }

  async stopLive(): Promise<void> {
    if (this.liveTimer) clearInterval(this.liveTimer);
    this.liveTimer = null;
  }

  override dispose(): void {
    void this.stopLive();
    super.dispose();
  }

  protected frames(): number {
    return (this.hwTrig ? this.hwTrigN : 1) * this.burstN;
  }

  async start(): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error(`${this.name}: simulated failure to start`);
    }
    const source = this.triggerSource;
    if (this.hwTrig && !source) throw new Error(`${this.name}: hwTrig is set but no trigger source is wired to it`);
    this.frameTimes = [];
    this.acquire((stopped) => this.hwTrig && source
      ? Promise.race([stopped, source.nextTrain().then((train) => {
        this.frameTimes = train.times.subarray(0, this.hwTrigN);
        return train.ended;
      })])
      : preciseDelay(this.frames() * this.acqTime + (this.burstN - 1) * this.burstLatency));
  }

  /** Runs one acquisition: busy until `work` settles or `stop()` (which settles `stopped`) is called. */
  protected acquire(work: (stopped: Promise<void>) => Promise<void>): void {
    this.acquiring = true;
    const stopped = new Promise<void>((resolve) => (this.cancel = resolve));
    this.acquisition = Promise.race([work(stopped), stopped]).finally(() => {
      this.acquiring = false;
      this.cancel = null;
    });
    this.acquisition.catch(() => {}); // the scan sees a failure through done()
  }

  done(): Promise<void> {
    return this.acquisition;
  }

  busy(): boolean {
    return this.acquiring;
  }

  override async stop(): Promise<void> {
    this.cancel?.();
    await this.acquisition.catch(() => {});
  }

  async read(): Promise<Value> {
    return this.reading();
  }

  /** The time of frame `i` of the last acquisition, undefined when it was software started. */
  protected frameTime(i: number): number | undefined {
    return this.frameTimes.length ? this.frameTimes[Math.min(i, this.frameTimes.length - 1)] : undefined;
  }

  protected abstract reading(): Value;
}
