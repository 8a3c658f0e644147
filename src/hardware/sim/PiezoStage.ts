/**
 * A simulated piezo stage controller modelled on the nPoint LC400: its axes
 * are ordinary motors (`mv`, limits, user/dial units), and the fast axis can
 * run a line as a waveform in real time (ramp up, constant speed, ramp down).
 * When the axis passes the line's start at speed, the controller's
 * `lineStart` output fires (a one-trigger train that starts a trigger box).
 * The actual position follows the commanded path `encoderLag` s late; the
 * encoders read it with a little noise. Simulation only: no hardware is talked to.
 */
import { Gadget } from "../../gadget.ts";
import { Motor, type MotorOptions } from "../../motors/Motor.ts";
import type { FlyAxis, FlyLine } from "../../motors/FlyAxis.ts";
import { TriggerSource } from "../../detectors/triggers.ts";
import { preciseDelay } from "../../util/delay.ts";

export interface PiezoStageOptions {
  name: string;
  userLevel?: number;
  /** seconds the actual position lags the commanded one (default 0.1 ms) */
  encoderLag?: number;
  /** rms noise of an encoder reading, in dial units (default 0.002) */
  encoderNoise?: number;
}

export interface PiezoAxisOptions extends MotorOptions {
  /** user units per second for ordinary moves (default 50 000: a piezo is fast) */
  velocity?: number;
  dialPosition?: number;
}

/**
 * A commanded path in dial units over performance.now() milliseconds [t0, t1].
 * The last one is kept after it ends, so the encoders can be read back over a line.
 */
interface Path {
  t0: number;
  t1: number;
  /** position `tau` ms after t0 */
  at(tau: number): number;
  /** position from t1 on */
  end: number;
  /** settles the promise of whoever started the path; null once it has */
  done: (() => void) | null;
}

export class PiezoStage extends Gadget {
  /** fires once per line, when the fast axis passes the line's start */
  readonly lineStart: TriggerSource;
  readonly encoderLag: number;
  readonly encoderNoise: number;
  readonly axes: PiezoAxis[] = [];

  constructor(opts: PiezoStageOptions) {
    super(opts);
    this.lineStart = new TriggerSource(this.name);
    this.encoderLag = opts.encoderLag ?? 1e-4;
    this.encoderNoise = opts.encoderNoise ?? 0.002;
  }

  /** Adds an axis: a motor of its own name. */
  axis(opts: PiezoAxisOptions): PiezoAxis {
    const a = new PiezoAxis(this, opts);
    this.axes.push(a);
    return a;
  }

  override dispose(): void {
    this.lineStart.dispose();
    super.dispose();
  }
}

/** One axis of a PiezoStage: a motor that can also run a line. */
export class PiezoAxis extends Motor implements FlyAxis {
  velocity: number;
  private path: Path;

  constructor(readonly stage: PiezoStage, opts: PiezoAxisOptions) {
    super(opts);
    this.velocity = opts.velocity ?? 50_000;
    this.path = still(opts.dialPosition ?? 0);
  }

  get lineStart(): TriggerSource {
    return this.stage.lineStart;
  }

  /** Commanded dial position at time `t` (ms). */
  private commanded(t: number): number {
    const p = this.path;
    return t >= p.t1 ? p.end : p.at(Math.max(t, p.t0) - p.t0);
  }

  /** Where the axis actually was at time `t` (user units), without encoder noise: for simulated signals. */
  positionAt(t: number): number {
    return this.dialToUser(this.commanded(t - this.stage.encoderLag * 1000));
  }

  /** An encoder reading at time `t` (user units): the actual position plus noise. */
  encoderAt(t: number): number {
    const noise = this.stage.encoderNoise * gaussian();
    return this.dialToUser(this.commanded(t - this.stage.encoderLag * 1000) + noise);
  }

  protected async dialPosition(): Promise<number> {
    return this.commanded(performance.now() - this.stage.encoderLag * 1000);
  }

  async busy(): Promise<boolean> {
    return this.path.done !== null;
  }

  async stop(): Promise<void> {
    const p = this.path;
    if (!p.done) return;
    const done = p.done;
    this.path = still(this.commanded(performance.now()));
    done();
  }

  protected moveDial(target: number): Promise<void> {
    const from = this.commanded(performance.now());
    const ms = (Math.abs(target - from) * Math.abs(this.scaling) / this.velocity) * 1000;
    return this.follow(ms, (tau) => from + ((target - from) * tau) / ms, target);
  }

  lineExtent(line: FlyLine): [number, number] {
    const w = this.waveform(line);
    return [this.dialToUser(w.from), this.dialToUser(w.to)];
  }

  async runLine(line: FlyLine): Promise<void> {
    const w = this.waveform(line);
    if (Math.abs(this.commanded(performance.now()) - w.from) > 1e-9) await this.moveDial(w.from);
    const acc = line.accTime * 1000;
    const a = acc > 0 ? w.v / acc : 0;
    const flat = line.triggers * line.period * 1000;
    const atStart = this.follow(2 * acc + flat, (tau) => {
      if (tau <= acc) return w.from + (a * tau * tau) / 2;
      if (tau <= acc + flat) return w.start + w.v * (tau - acc);
      const d = tau - acc - flat;
      return w.start + w.v * flat + w.v * d - (a * d * d) / 2;
    }, w.to);
    const path = this.path;
    void preciseDelay(line.accTime).then(() => {
      if (this.path === path) this.stage.lineStart.emit({ times: Float64Array.of(path.t0 + acc), period: 0, ended: Promise.resolve() });
    });
    await atStart;
  }

  /** The line in dial units: speed (dial units per ms), where it passes `start`, where the ramps begin and end. */
  private waveform(line: FlyLine): { v: number; start: number; from: number; to: number } {
    const start = this.userToDial(line.start);
    const step = (this.userToDial(line.stop) - start) / Math.max(1, line.triggers - 1);
    const v = step / (line.period * 1000);
    const ramp = (v * line.accTime * 1000) / 2;
    return { v, start, from: start - ramp, to: start + v * line.triggers * line.period * 1000 + ramp };
  }

  /** Starts a path lasting `ms` that ends at `end`; settles when the axis has followed it (or is stopped). */
  private follow(ms: number, at: (tau: number) => number, end: number): Promise<void> {
    void this.stop();
    if (!(ms > 0.05)) {
      this.path = still(end);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const t0 = performance.now();
      const path: Path = { t0, t1: t0 + ms, at, end, done: resolve };
      this.path = path;
      void preciseDelay(ms / 1000 + this.stage.encoderLag).then(() => {
        if (this.path !== path || !path.done) return;
        path.done = null;
        resolve();
      });
    });
  }
}

function still(x: number): Path {
  const t = performance.now();
  return { t0: t, t1: t, at: () => x, end: x, done: null };
}

/** A standard normal deviate (Box-Muller). */
function gaussian(): number {
  return Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
}
