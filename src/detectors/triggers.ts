/**
 * Hardware triggering (the original's TriggerSource and TriggeredDetector).
 * A trigger source (a PandABox output, say) emits trains of triggers; a
 * detector wired to it (`triggerSource`) with `hwTrig` set awaits the next
 * train on `start()` and takes `hwTrigN` frames, one per trigger.
 * Outside fly scans, triggered detectors take one software-started frame per start.
 */
import type { Detector } from "./Detector.ts";

/** One train: the trigger times (performance.now() ms) and when the last gate closes. */
export interface TriggerTrain {
  times: Float64Array;
  /** seconds between triggers */
  period: number;
  /** settles when the train is over (or stopped) */
  ended: Promise<void>;
}

export class TriggerSource {
  /** every source, for `lstrig` */
  static readonly all = new Set<TriggerSource>();
  private waiting: ((train: TriggerTrain) => void)[] = [];

  constructor(readonly name: string) {
    TriggerSource.all.add(this);
  }

  /** Settles with the next train this source emits. */
  nextTrain(): Promise<TriggerTrain> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Hands `train` to everybody waiting for one. */
  emit(train: TriggerTrain): void {
    for (const w of this.waiting.splice(0)) w(train);
  }

  /** How many detectors are waiting for a train. */
  get listeners(): number {
    return this.waiting.length;
  }

  dispose(): void {
    TriggerSource.all.delete(this);
  }
}

/** A detector that is also a trigger source (a PandABox): it emits `period`-spaced trains on `triggers`. */
export interface TriggerBox extends Detector {
  readonly triggers: TriggerSource;
  /** seconds between the triggers of a train */
  period: number;
  /** keys of its reading that hold one value per trigger (the encoders: named after their motors) */
  readonly channels: string[];
}

export function isTriggerBox(d: Detector): d is TriggerBox {
  const b = d as Partial<TriggerBox>;
  return b.triggers instanceof TriggerSource && typeof b.period === "number" && Array.isArray(b.channels);
}

/** Detectors that can be hardware triggered: they are wired to a trigger source. */
export function isTriggerable(d: Detector): boolean {
  return d.triggerSource !== null;
}

/**
 * Sets the trigger mode of `detectors`: `framesPerStart` null means software
 * starts with one frame (software scans, ct); a number arms the triggerable ones
 * for that many triggered frames per start. Returns what puts the user's settings back.
 */
export function setTriggerMode(detectors: Detector[], framesPerStart: number | null): () => void {
  const saved = detectors.map((d) => ({ d, hwTrig: d.hwTrig, hwTrigN: d.hwTrigN }));
  for (const d of detectors) {
    const hw = framesPerStart !== null && isTriggerable(d);
    d.hwTrig = hw;
    d.hwTrigN = hw ? framesPerStart : 1;
  }
  return () => {
    for (const s of saved) {
      s.d.hwTrig = s.hwTrig;
      s.d.hwTrigN = s.hwTrigN;
    }
  };
}
