import type { DetectorOptions } from "./Detector.ts";
import { SimulatedDetector } from "./SimulatedDetector.ts";
import { ndarray, type NdArray, type Value, type ValueDict } from "../data/values.ts";

/**
 * A source of intensity for the simulated detectors, e.g. a peak that depends on a motor.
 * Triggered frames pass their trigger time (performance.now() ms), so that the signal can
 * follow a stage that moved during the line; software-started frames pass nothing.
 */
export type Signal = (t?: number) => number;

export interface DummyDetectorOptions extends DetectorOptions {
  /** counts per second; default a constant 100 */
  signal?: Signal;
}

/** A scalar counter: counts = signal × exposure time. */
export class DummyDetector extends SimulatedDetector {
  signal: Signal;

  constructor(opts: DummyDetectorOptions) {
    super(opts);
    this.signal = opts.signal ?? (() => 100);
  }

  protected reading(): Value {
    const n = this.frames();
    if (n === 1) return this.signal(this.frameTime(0)) * this.acqTime;
    return Float64Array.from({ length: n }, (_, i) => this.signal(this.frameTime(i)) * this.acqTime);
  }

  override describe(): string {
    return "scalar counter";
  }
}

/** A 1-D spectrum (100 channels by default): a peak whose height follows the signal. */
export class Dummy1dDetector extends SimulatedDetector {
  readonly channels: number;
  signal: Signal;

  constructor(opts: DummyDetectorOptions & { channels?: number }) {
    super(opts);
    this.channels = opts.channels ?? 100;
    this.signal = opts.signal ?? (() => 100);
  }

  /** One spectrum, or `(frames, channels)` when it took several frames per start. */
  protected reading(): Value {
    const n = this.channels;
    const frames = this.frames();
    const out = new Float64Array(n * frames);
    for (let f = 0; f < frames; f++) {
      const height = this.signal(this.frameTime(f)) * this.acqTime;
      for (let i = 0; i < n; i++) out[f * n + i] = height * Math.exp(-(((i - n / 2) / (n / 10)) ** 2));
    }
    return frames === 1 ? out : ndarray(out, [frames, n]);
  }

  override bytesPerFrame(): number {
    return 8 * this.channels;
  }

  override describe(): string {
    return `spectrum, ${this.channels} channels`;
  }
}

/** A detector whose reading is a dict of named channels. */
export class DummyDictDetector extends SimulatedDetector {
  override readonly dictKeys = ["counts", "monitor", "ratio"];

  protected reading(): ValueDict {
    const t = this.acqTime;
    return { counts: 100 * t, monitor: 1000 * t, ratio: 0.1 };
  }

  override describe(): string {
    return "dict of channels (counts, monitor, ratio)";
  }
}

/** A 2-D camera (256×256 uint16 by default). */
export class Dummy2dDetector extends SimulatedDetector {
  readonly shape: [number, number];
  signal: Signal;
  private base: Float32Array;
  /** the last frame and its scale: a steady signal gives the same frame, copied (fast) rather than recomputed */
  private last: { scale: number; frame: Uint16Array } | null = null;

  constructor(opts: DummyDetectorOptions & { shape?: [number, number] }) {
    super(opts);
    this.shape = opts.shape ?? [256, 256];
    this.signal = opts.signal ?? (() => 100);
    const [h, w] = this.shape;
    this.base = new Float32Array(h * w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const r2 = ((y - h / 2) / (h / 8)) ** 2 + ((x - w / 2) / (w / 8)) ** 2;
        this.base[y * w + x] = Math.exp(-r2 / 2);
      }
    }
  }

  /** One image, or `(frames, height, width)` when it took several frames per start. */
  protected reading(): NdArray {
    const frames = this.frames();
    if (frames === 1) return ndarray(this.frame(this.frameTime(0)).slice(), [...this.shape]);
    const size = this.base.length;
    const out = new Uint16Array(size * frames);
    for (let f = 0; f < frames; f++) out.set(this.frame(this.frameTime(f)), f * size);
    return ndarray(out, [frames, ...this.shape]);
  }

  private frame(t?: number): Uint16Array {
    const scale = Math.min(65535, this.signal(t) * this.acqTime * 100);
    if (this.last?.scale !== scale) {
      const base = this.base;
      const frame = new Uint16Array(base.length);
      for (let i = 0; i < frame.length; i++) frame[i] = base[i] * scale;
      this.last = { scale, frame };
    }
    return this.last.frame;
  }

  override bytesPerFrame(): number {
    return 2 * this.shape[0] * this.shape[1];
  }

  override describe(): string {
    return `camera ${this.shape.join("x")} uint16`;
  }
}
