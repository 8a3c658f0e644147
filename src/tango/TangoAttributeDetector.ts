import { Detector, type DetectorOptions } from "../detectors/Detector.ts";
import type { Value } from "../data/values.ts";
import type { TangoRestClient } from "./client.ts";
import { asGadget } from "./gadgetError.ts";
import { toValue } from "./toValue.ts";

export interface TangoAttributeDetectorOptions extends DetectorOptions {
  client: TangoRestClient;
  device: string;
  attribute: string;
}

/**
 * Reads one attribute per point: scalars as they are, spectra as Float64Array, images as
 * an NdArray. The attribute is read when the detector is started; the exposure time does
 * not apply (the device decides how its value is made), as in the original Contrast.
 */
export class TangoAttributeDetector extends Detector {
  readonly client: TangoRestClient;
  readonly device: string;
  readonly attribute: string;
  private reading: Promise<Value> | null = null;
  private reads = 0;

  constructor(opts: TangoAttributeDetectorOptions) {
    super(opts);
    this.client = opts.client;
    this.device = opts.device;
    this.attribute = opts.attribute;
  }

  /** Starts the read without waiting for it, so that several detectors read at once. */
  async start(): Promise<void> {
    this.reading = this.readNow();
  }

  async done(): Promise<void> {
    await this.reading;
  }

  busy(): boolean {
    return this.reads > 0;
  }

  /** The value read at the last start; without a start, reads now. */
  read(): Promise<Value> {
    return this.reading ?? this.readNow();
  }

  private readNow(): Promise<Value> {
    this.reads++;
    const reading = asGadget(this.name, async () => toValue((await this.client.readAttribute(this.device, this.attribute)).value))
      .finally(() => void this.reads--);
    reading.catch(() => {}); // reported by done() or read(), not as an unhandled rejection
    return reading;
  }

  override async finish(): Promise<void> {
    this.reading = null;
  }

  override describe(): string {
    return `${this.device}/${this.attribute}`;
  }
}
