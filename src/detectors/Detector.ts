import { Gadget } from "../gadget.ts";
import type { Value } from "../data/values.ts";
import type { TriggerSource } from "./triggers.ts";
import { BadPointHook } from "../util/badPoint.ts";

/** Which scan a detector's data belong to, for detectors that write their own files. */
export interface DataId {
  scannr: number;
  /** the scan's data directory */
  path: string;
}

export interface DetectorOptions {
  name: string;
  userLevel?: number;
  active?: boolean;
  /** wired to this trigger source: the detector can be hardware triggered (fly scans) */
  triggerSource?: TriggerSource;
  /** seconds a triggered detector needs between frames (readout) */
  hwTrigMinLatency?: number;
}

/**
 * Anything that acquires data. Per scan: `prepare` once; per point: `arm`,
 * `start` (settles when triggered), `done()` (settles when the acquisition
 * is complete), `read`. `stop` aborts; `finish` says the scan is over.
 */
export abstract class Detector extends Gadget {
  /** scans and `ct` use the active detectors only */
  active: boolean;
  acqTime = 1;
  /** hardware-triggered: the detector takes `hwTrigN` frames per start, triggered from outside */
  hwTrig = false;
  hwTrigN = 1;
  /** the source that triggers this detector, null when it cannot be hardware triggered (triggers.ts) */
  triggerSource: TriggerSource | null;
  /** seconds needed between triggered frames; fly scans use the longest as their default latency */
  hwTrigMinLatency: number;
  /** burst mode: `burstN` frames per start, `burstLatency` seconds apart */
  burstN = 1;
  burstLatency = 0;
  /** the keys of a dict reading, when known before reading (liveplot checks detector/key against them) */
  readonly dictKeys?: readonly string[];
  private readonly badPoint = new BadPointHook();

  constructor(opts: DetectorOptions) {
    super(opts);
    this.active = opts.active ?? true;
    this.triggerSource = opts.triggerSource ?? null;
    this.hwTrigMinLatency = opts.hwTrigMinLatency ?? 0;
  }

  async prepare(acqTime: number, _dataId: DataId | null, _nStarts: number): Promise<void> {
    if (!(acqTime >= 0)) throw new Error(`${this.name}: exposure time must be >= 0 (got ${acqTime})`);
    this.acqTime = acqTime;
  }

  async arm(): Promise<void> {}
  abstract start(): Promise<void>;
  /** Settles when the acquisition last started is complete. */
  abstract done(): Promise<void>;
  abstract busy(): boolean;
  abstract read(): Promise<Value>;
  async stop(): Promise<void> {}
  /** The scan is over: close files, release resources. */
  async finish(): Promise<void> {}

  /**
   * Bytes one frame of data takes on disk (in the scan file, or in the
   * detector's own files), known once prepared: scans refuse to start when
   * their points cannot fit in the data directory's free space.
   */
  bytesPerFrame(): number {
    return 8;
  }

  /**
   * For hardware with beam checks of its own: the point being acquired is
   * bad, and the scan discards it and takes it again (scans/suspend.ts).
   */
  pointIsBad(why: string): void {
    this.badPoint.tell(`${this.name}: ${why}`);
  }

  /** Calls `onBad(why)` for every `pointIsBad()` until the returned function is called (the scan loop listens). */
  watchPoints(onBad: (why: string) => void): () => void {
    return this.badPoint.listen(onBad);
  }

  /** One line for `lsdet`. */
  describe(): string {
    return "";
  }
}

/** Detectors with a live (free-running) mode. */
export interface LiveDetector {
  startLive(acqTime?: number): Promise<void>;
  stopLive(): Promise<void>;
  readonly live: boolean;
}

export function isLiveDetector(d: Detector): d is Detector & LiveDetector {
  return typeof (d as Partial<LiveDetector>).startLive === "function";
}
