import { Detector, type DataId } from "./Detector.ts";
import { abortable } from "../util/abort.ts";
import { PseudoDetector } from "./PseudoDetector.ts";
import { named } from "../motors/Motor.ts";
import type { Value } from "../data/values.ts";
import { setTriggerMode } from "./triggers.ts";

/**
 * Runs the detector protocol on several detectors together. `prepare` and
 * `start` are tried `retries` more times before giving up; every error names
 * its detector.
 */
export class DetectorGroup {
  readonly real: Detector[];
  readonly pseudo: PseudoDetector[];

  constructor(readonly detectors: Detector[], readonly retries = 2) {
    this.real = detectors.filter((d) => !(d instanceof PseudoDetector));
    this.pseudo = detectors.filter((d): d is PseudoDetector => d instanceof PseudoDetector);
  }

  private async each(fn: (d: Detector) => Promise<void>, retries = 0): Promise<void> {
    await Promise.all(this.real.map(async (d) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await fn(d);
        } catch (e) {
          if (attempt >= retries) throw named(d.name, e);
        }
      }
    }));
  }

  async prepare(acqTime: number, dataId: DataId | null, nStarts: number): Promise<void> {
    await this.each((d) => d.prepare(acqTime, dataId, nStarts), this.retries);
    await Promise.all(this.pseudo.map((p) => p.prepare(acqTime, dataId, nStarts)));
  }

  arm(): Promise<void> {
    return this.each((d) => d.arm());
  }

  start(): Promise<void> {
    return this.each((d) => d.start(), this.retries);
  }

  done(): Promise<void> {
    return this.each((d) => d.done());
  }

  busy(): Detector[] {
    return this.real.filter((d) => d.busy());
  }

  /** Every detector's reading, pseudo detectors last (they are computed from the others). */
  async read(): Promise<Record<string, Value>> {
    const out: Record<string, Value> = {};
    const values = await Promise.all(this.real.map((d) => d.read().catch((e: unknown) => { throw named(d.name, e); })));
    this.real.forEach((d, i) => (out[d.name] = values[i]));
    for (const p of this.pseudo) out[p.name] = await p.compute(out);
    return out;
  }

  /** Stops every detector; errors are collected, not thrown, so that all get the stop. */
  async stop(): Promise<string[]> {
    return settleAll(this.real.map((d) => d.stop().catch((e: unknown) => { throw named(d.name, e); })));
  }

  async finish(): Promise<string[]> {
    return settleAll(this.real.map((d) => d.finish().catch((e: unknown) => { throw named(d.name, e); })));
  }
}

async function settleAll(ps: Promise<unknown>[]): Promise<string[]> {
  const results = await Promise.allSettled(ps);
  return results.flatMap((r) => (r.status === "rejected" ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : []));
}

/** Counts once with every active detector (ct, tweak), one software-started frame each: nothing is recorded. */
export async function countOnce(exposure: number, signal?: AbortSignal): Promise<Record<string, Value>> {
  const group = new DetectorGroup(Detector.getInstances().filter((d) => d.active));
  const busy = group.busy();
  if (busy.length) throw new Error(`${busy.map((d) => d.name).join(", ")} busy`);
  const restoreTriggers = setTriggerMode(group.real, null);
  try {
    await group.prepare(exposure, null, 1);
    await group.arm();
    await group.start();
    await abortable(group.done(), signal);
    return await group.read();
  } catch (e) {
    await group.stop();
    throw e;
  } finally {
    await group.finish();
    restoreTriggers();
  }
}
