/**
 * A simulated trigger and encoder box modelled on the PandABox. Itself a
 * detector: started by its input (`triggerSource`, e.g. the piezo
 * controller's line start) when hardware triggered, else by software, it
 * emits a train of `hwTrigN` triggers `period` s apart on its output
 * (`triggers`), which the hardware-triggered detectors await, and reads each
 * encoder as the average over every gate (a trigger plus the exposure).
 * Its reading is a dict: one array per encoder, named after the encoder's
 * motor, and `time`, the trigger times in seconds from the first. Simulation only.
 */
import type { DetectorOptions } from "../../detectors/Detector.ts";
import { SimulatedDetector } from "../../detectors/SimulatedDetector.ts";
import { TriggerSource, type TriggerTrain } from "../../detectors/triggers.ts";
import type { ValueDict } from "../../data/values.ts";
import { preciseDelay } from "../../util/delay.ts";

/** Anything the box can read as a position at a given time (performance.now() ms). */
export interface Encoder {
  readonly name: string;
  encoderAt(t: number): number;
}

export interface PandaBoxOptions extends DetectorOptions {
  encoders: Encoder[];
  /** seconds to wait for the start signal before giving up (default 2) */
  startTimeout?: number;
}

/** Encoder samples averaged per gate */
const SAMPLES_PER_GATE = 4;

export class PandaBox extends SimulatedDetector {
  /** the trigger train output the detectors are wired to */
  readonly triggers: TriggerSource;
  readonly encoders: Encoder[];
  startTimeout: number;
  /** seconds between triggers when hardware triggered (a fly scan sets it per scan) */
  period = 0.01;
  private times = new Float64Array(0);

  constructor(opts: PandaBoxOptions) {
    super(opts);
    this.triggers = new TriggerSource(this.name);
    this.encoders = opts.encoders;
    this.startTimeout = opts.startTimeout ?? 2;
  }

  get channels(): string[] {
    return [...this.encoders.map((e) => e.name), "time"];
  }

  override async start(): Promise<void> {
    const input = this.triggerSource;
    if (this.hwTrig && !input) throw new Error(`${this.name}: hwTrig is set but nothing is wired to its input`);
    this.times = new Float64Array(0);
    this.acquire((stopped) => {
      if (!this.hwTrig || !input) return this.emitTrain(performance.now(), 1, this.acqTime, stopped);
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([
        input.nextTrain().then((t) => this.emitTrain(t.times[0], this.hwTrigN, this.period, stopped)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${this.name}: no start signal from ${input.name} within ${this.startTimeout} s`)), this.startTimeout * 1000);
        }),
      ]).finally(() => clearTimeout(timer));
    });
  }

  /** Emits `n` triggers from `t0` and settles when the last gate has closed (or the box is stopped). */
  private emitTrain(t0: number, n: number, period: number, stopped: Promise<void>): Promise<void> {
    const times = Float64Array.from({ length: n }, (_, k) => t0 + k * period * 1000);
    const end = t0 + n * period * 1000;
    const ended = Promise.race([preciseDelay((end - performance.now()) / 1000), stopped]);
    this.times = times;
    const train: TriggerTrain = { times, period, ended };
    this.triggers.emit(train);
    return ended;
  }

  /** Gated averages per encoder and the trigger times; scalars after a single trigger. */
  protected reading(): ValueDict {
    const n = this.times.length;
    const gate = this.acqTime * 1000;
    const out: ValueDict = {};
    for (const e of this.encoders) {
      const avg = new Float64Array(n);
      for (let k = 0; k < n; k++) {
        let sum = 0;
        for (let s = 0; s < SAMPLES_PER_GATE; s++) sum += e.encoderAt(this.times[k] + (gate * (s + 0.5)) / SAMPLES_PER_GATE);
        avg[k] = sum / SAMPLES_PER_GATE;
      }
      out[e.name] = n === 1 ? avg[0] : avg;
    }
    const time = this.times.map((t) => (t - (this.times[0] ?? 0)) / 1000);
    out.time = n === 1 ? time[0] : time;
    return out;
  }

  override dispose(): void {
    this.triggers.dispose();
    super.dispose();
  }

  override describe(): string {
    return `trigger box, encoders ${this.encoders.map((e) => e.name).join(", ")}`;
  }
}
