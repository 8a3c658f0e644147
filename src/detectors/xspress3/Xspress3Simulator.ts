import { join } from "node:path";
import { existsSync, mkdirSync } from "node:fs";
import type { Publisher } from "zeromq";
import type { Dataset, File } from "h5wasm/node";
import type { DataId, DetectorOptions } from "../Detector.ts";
import { SimulatedDetector } from "../SimulatedDetector.ts";
import type { Link } from "../../data/values.ts";
import { SIM_SAMPLE, SpectrumModel, type BeamSpot, type SampleElement } from "./spectra.ts";
import { SCALER_NAMES, jsonPart, pickleNumbers, type StreamerJson } from "./streamerFormat.ts";

export const DEFAULT_XSP3_ADDRESS = "tcp://127.0.0.1:9999";

export interface Xspress3SimulatorOptions extends DetectorOptions {
  /** where the PUB socket binds (bound at the first scan); port 0 takes a free one */
  address?: string;
  channels?: number;
  bins?: number;
  /** keV per bin (default 0.01: 10 eV) */
  keVPerBin?: number;
  sample?: SampleElement[];
  /** where the beam is when a frame is taken: sample position and beam energy (keV) */
  spot: () => BeamSpot;
}

/**
 * Simulates an Xspress3 fluorescence detector behind MAX IV's streamer:
 * per frame, channels × bins uint32 spectra of the sample at the beam spot,
 * published on a ZeroMQ PUB socket in the streamer's format
 * (streamerFormat.ts) and written to its own HDF5 file per scan
 * (`scan_NNNNNN_<name>.h5`, `entry/instrument/xspress3/data`), of which the
 * scan gets only a link. Takes `hwTrigN` frames per start when hardware
 * triggered, one otherwise. Outside a scan (`ct`) it publishes and writes nothing.
 */
export class Xspress3Simulator extends SimulatedDetector {
  static readonly datasetPath = "entry/instrument/xspress3/data";
  readonly channels: number;
  readonly bins: number;
  readonly model: SpectrumModel;
  private readonly requested: string;
  private readonly spot: () => BeamSpot;
  private socket: Publisher | null = null;
  private sending: Promise<void> = Promise.resolve();
  private file: File | null = null;
  private data: Dataset | null = null;
  private scalers: Dataset | null = null;
  private fileName = "";
  private frame = 0;
  private lastFlush = 0;
  private readonly buffer: Uint32Array<ArrayBuffer>;
  /** frames published in this series, and sends ZeroMQ refused */
  published = 0;
  failedSends = 0;

  constructor(opts: Xspress3SimulatorOptions) {
    super(opts);
    this.channels = opts.channels ?? 4;
    this.bins = opts.bins ?? 4096;
    this.requested = opts.address ?? DEFAULT_XSP3_ADDRESS;
    this.spot = opts.spot;
    this.model = new SpectrumModel(opts.sample ?? SIM_SAMPLE, { channels: this.channels, bins: this.bins, keVPerBin: opts.keVPerBin ?? 0.01 });
    this.buffer = new Uint32Array(this.channels * this.bins);
  }

  /** The address consumers connect to (the real port once bound). */
  get address(): string {
    return this.socket?.lastEndpoint ?? this.requested;
  }

  /**
   * Binds the PUB socket now (the first scan does it otherwise, and then
   * waits a moment so that consumers already trying to connect are there
   * for the series header: PUB sends nothing to a subscriber not yet connected).
   */
  async bind(): Promise<void> {
    if (this.socket) return;
    // loaded at the first scan, not when the shell starts
    const { Publisher } = await import("zeromq");
    const socket = new Publisher({ linger: 1000, sendTimeout: 0, sendHighWaterMark: 30_000 });
    try {
      await socket.bind(this.requested);
    } catch (e) {
      socket.close();
      const code = (e as { code?: string }).code;
      throw new Error(`${this.name}: cannot bind ${this.requested}: ${code === "EADDRINUSE" ? "address in use" : (e as Error).message}`);
    }
    this.socket = socket;
  }

  private publish(...parts: Buffer[]): void {
    const socket = this.socket;
    if (!socket) return;
    const one = (p: Buffer) => socket.send(p).catch(() => void this.failedSends++);
    this.sending = this.sending.then(async () => {
      for (const p of parts) await one(p);
    });
  }

  private json(m: StreamerJson): void {
    this.publish(jsonPart(m));
  }

  override async prepare(acqTime: number, dataId: DataId | null, nStarts: number): Promise<void> {
    await super.prepare(acqTime, dataId, nStarts);
    await this.finish();
    if (!dataId) return;
    if (!this.socket) {
      await this.bind();
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    // h5wasm compiles a large WebAssembly module: load it on the first scan, not at start-up
    const { default: h5wasm } = await import("h5wasm/node");
    const h5 = await import("../../recorders/hdf5/h5lib.ts");
    await h5.h5ready();
    mkdirSync(dataId.path, { recursive: true });
    this.fileName = join(dataId.path, `scan_${String(dataId.scannr).padStart(6, "0")}_${this.name}.h5`);
    if (existsSync(this.fileName)) throw new Error(`${this.name}: ${this.fileName} already exists`);
    const file = new h5wasm.File(this.fileName, "x");
    if (file.file_id < 0n) throw new Error(`${this.name}: HDF5 could not create ${this.fileName}`);
    const det = h5.createGroup(h5.createGroup(h5.createGroup(file, "entry", "NXentry"), "instrument", "NXinstrument"), "xspress3", "NXdetector");
    const [c, b] = [this.channels, this.bins];
    this.data = h5.createDataset(det, "data", { data: new Uint32Array(0), shape: [0, c, b], maxshape: [null, c, b], chunks: [1, c, b], dtype: "<I" });
    const n = SCALER_NAMES.length;
    this.scalers = h5.createDataset(det, "scalers", { data: new Float64Array(0), shape: [0, n], maxshape: [null, n], chunks: [256, n], dtype: "<d" });
    h5.setAttr(this.scalers, "names", [...SCALER_NAMES]);
    this.file = file;
    this.frame = 0;
    this.published = 0;
    this.json({ htype: "header", filename: this.fileName, overwritable: false });
  }

  override async start(): Promise<void> {
    await super.start();
    if (!this.file) return;
    const n = this.frames();
    const spot = this.spot(); // the beam spot while acquiring
    void this.done().then(() => {
      for (let k = 0; k < n; k++) this.takeFrame(spot);
    });
  }

  private takeFrame(spot: BeamSpot): void {
    if (!this.file || !this.data || !this.scalers) return;
    const seconds = this.acqTime > 0 ? this.acqTime : 0.001; // exposure 0 still counts a millisecond
    const frame = this.model.frame(spot, seconds, this.buffer) as Uint32Array<ArrayBuffer>;
    let events = 0;
    for (let i = 0; i < frame.length; i++) events += frame[i];
    const ticks = Math.round(seconds * 80e6); // the Xspress3 clock runs at 80 MHz
    const scalers = [events / seconds, events, events, ticks, ticks, 0, 0, 1];
    const i = this.frame++;
    const [c, b] = [this.channels, this.bins];
    this.data.resize([i + 1, c, b]);
    this.data.write_slice([[i, i + 1], [], []], frame);
    this.scalers.resize([i + 1, SCALER_NAMES.length]);
    this.scalers.write_slice([[i, i + 1], []], Float64Array.from(scalers));
    if (performance.now() - this.lastFlush > 500) {
      this.file.flush();
      this.lastFlush = performance.now();
    }
    this.json({ htype: "image", exptime: seconds, frame: i, shape: [c, b], type: "uint32", compression: "none" });
    // a copy: the buffer is reused for the next frame before ZeroMQ has sent this one
    this.publish(Buffer.from(frame.buffer.slice(0)), pickleNumbers(scalers));
    this.published++;
  }

  /** null outside a scan (ct), where no file is written */
  protected reading(): Link | null {
    if (!this.file) return null;
    return { file: this.fileName, path: Xspress3Simulator.datasetPath, universal: true };
  }

  override async finish(): Promise<void> {
    if (this.file) {
      this.json({ htype: "series_end" });
      this.file.close();
    }
    this.file = null;
    this.data = null;
    this.scalers = null;
    await this.sending;
  }

  override dispose(): void {
    super.dispose();
    void this.sending.then(() => this.socket?.close());
  }

  override describe(): string {
    return `Xspress3 simulator: ${this.channels} x ${this.bins} bins per frame, PUB ${this.address}, writes its own HDF5 file`;
  }
}
