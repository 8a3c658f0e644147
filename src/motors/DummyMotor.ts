import { Motor, type MotorOptions } from "./Motor.ts";

export interface DummyMotorOptions extends MotorOptions {
  /** user units per second; Infinity moves at once */
  velocity?: number;
  /** dial position at start-up */
  dialPosition?: number;
}

/** A simulated motor: the move takes distance / velocity, timed by one timer. */
export class DummyMotor extends Motor {
  velocity: number;
  private dialNow: number;
  private motion: { from: number; to: number; t0: number; duration: number; timer: NodeJS.Timeout; done: () => void } | null = null;

  constructor(opts: DummyMotorOptions) {
    super(opts);
    this.velocity = opts.velocity ?? Infinity;
    this.dialNow = opts.dialPosition ?? 0;
  }

  protected async dialPosition(): Promise<number> {
    return this.currentDial();
  }

  /** The position right now in user units, without waiting (for simulated signals). */
  now(): number {
    return this.dialToUser(this.currentDial());
  }

  private currentDial(): number {
    const m = this.motion;
    if (!m) return this.dialNow;
    const f = Math.min(1, (performance.now() - m.t0) / m.duration);
    return m.from + (m.to - m.from) * f;
  }

  protected moveDial(target: number): Promise<void> {
    if (this.motion) this.halt();
    const from = this.dialNow;
    const duration = (Math.abs(target - from) * Math.abs(this.scaling) / this.velocity) * 1000;
    if (!(duration > 0.5)) {
      this.dialNow = target;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        this.motion = null;
        resolve();
      };
      const timer = setTimeout(() => {
        this.dialNow = target;
        done();
      }, duration);
      this.motion = { from, to: target, t0: performance.now(), duration, timer, done };
    });
  }

  async busy(): Promise<boolean> {
    return this.motion !== null;
  }

  async stop(): Promise<void> {
    this.halt();
  }

  private halt(): void {
    const m = this.motion;
    if (!m) return;
    this.dialNow = this.currentDial();
    clearTimeout(m.timer);
    m.done();
  }
}
