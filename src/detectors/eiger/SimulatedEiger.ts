/**
 * A simulated Eiger that streams like the real one: frames PUSHed in the
 * Dectris stream v1 format (default tcp://127.0.0.1:9998), showing powder
 * rings for a PONI geometry, and, like the detector's own file writer, each
 * scan's frames in an HDF5 file of its own, of which the scan gets a link.
 * Frames are sent only while a receiver is connected (a PUSH socket without
 * peers would block the scan); how many were not sent is in `describe()`.
 */
import type { Dataset, File } from "h5wasm/node";
import { Push } from "zeromq";
import type { DataId, DetectorOptions } from "../Detector.ts";
import { SimulatedDetector } from "../SimulatedDetector.ts";
import { createDetectorFile } from "../detectorFile.ts";
import type { Link } from "../../data/values.ts";
import { readPoniFile, type Poni } from "../../integration/poni.ts";
import { namedDetector } from "../../integration/detector.ts";
import { ringFrames } from "./ringFrames.ts";
import { imageMessage, seriesEnd, seriesHeader } from "./streamV1.ts";

export const DEFAULT_EIGER_STREAM = "tcp://127.0.0.1:9998";

export interface SimulatedEigerOptions extends DetectorOptions {
  /** the geometry the rings are drawn for (a PONI file, or its values with a detector name); its detector gives the frame shape */
  poni: string | (Omit<Poni, "detector"> & { detector: string });
  /** ring positions, q in nm⁻¹ */
  rings?: number[];
  address?: string;
  /** how many different frames are precomputed and cycled */
  cycle?: number;
}

export class SimulatedEiger extends SimulatedDetector {
  static readonly datasetPath = "entry/data/data";
  readonly address: string;
  private readonly poniSource: SimulatedEigerOptions["poni"];
  private readonly rings: number[];
  private readonly cycle: number;
  private poni: Poni | null = null;
  private patterns: Uint32Array[] = [];
  private socket: Push | null = null;
  private peers = 0;
  private series = 0;
  private frameNumber = 0;
  private notSent = 0;
  private file: File | null = null;
  private dataset: Dataset | null = null;
  private fileName = "";
  private pending: Promise<void> = Promise.resolve();
  /** stream also outside scans (ct), as series numbered on from the last; off so a ct leaves no integrated file behind */
  streamOutsideScans = false;
  private streaming = false;

  constructor(opts: SimulatedEigerOptions) {
    super(opts);
    this.poniSource = opts.poni;
    this.rings = opts.rings ?? [1.0, 1.6, 2.3, 3.1, 4.2];
    this.address = opts.address ?? DEFAULT_EIGER_STREAM;
    this.cycle = opts.cycle ?? 4;
  }

  /** the geometry of the simulated frames */
  get geometry(): Poni {
    if (this.poni) return this.poni;
    const source = this.poniSource;
    if (typeof source === "string") return (this.poni = readPoniFile(source));
    const detector = namedDetector(source.detector);
    if (!detector) throw new Error(`${this.name}: unknown detector '${source.detector}'`);
    return (this.poni = { ...source, detector });
  }

  get shape(): [number, number] {
    return this.geometry.detector.shape;
  }

  /** receivers connected to the stream */
  get receivers(): number {
    return this.peers;
  }

  /** Makes the frames and binds the stream socket now rather than at the first scan. */
  async open(): Promise<void> {
    await this.ready();
  }

  private async ready(): Promise<void> {
    if (!this.patterns.length) this.patterns = ringFrames(this.geometry, this.rings, this.cycle);
    if (!this.socket) {
      const socket = new Push({ linger: 2000, sendTimeout: 10_000, sendHighWaterMark: 64 });
      // watched before the bind: a receiver already waiting can connect the moment it is bound,
      // and an accept the watch did not see would leave the stream thinking nobody listens
      void this.watchPeers(socket);
      try {
        await socket.bind(this.address);
      } catch (e) {
        socket.close();
        throw new Error(`${this.name}: cannot bind ${this.address}: ${(e as Error).message}`);
      }
      this.socket = socket;
      // a receiver that was waiting reconnects within its reconnect interval: give it that long
      for (let waited = 0; this.peers === 0 && waited < 3000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async watchPeers(socket: Push): Promise<void> {
    try {
      for await (const event of socket.events) {
        if (event.type === "accept") this.peers++;
        else if (event.type === "disconnect") this.peers = Math.max(0, this.peers - 1);
      }
    } catch {
      // the socket was closed
    }
  }

  private async send(parts: Buffer[]): Promise<void> {
    if (!this.socket || this.peers === 0) {
      this.notSent++;
      return;
    }
    try {
      await this.socket.send(parts);
    } catch {
      this.notSent++;
    }
  }

  override async prepare(acqTime: number, dataId: DataId | null, nStarts: number): Promise<void> {
    await super.prepare(acqTime, dataId, nStarts);
    await this.finish();
    await this.ready();
    const [rows, cols] = this.shape;
    const poni = this.geometry;
    this.series = dataId ? dataId.scannr : this.series + 1;
    this.frameNumber = 0;
    this.streaming = dataId !== null || this.streamOutsideScans;
    if (this.streaming) await this.send(seriesHeader(this.series, {
      x_pixels_in_detector: cols, y_pixels_in_detector: rows,
      beam_center_x: poni.poni2 / poni.detector.pixel2, beam_center_y: poni.poni1 / poni.detector.pixel1,
      detector_distance: poni.distance, wavelength: poni.wavelength * 1e10,
      count_time: acqTime, frame_time: acqTime, nimages: this.frames(), ntrigger: nStarts,
    }));
    if (!dataId) return;
    ({ fileName: this.fileName, file: this.file, dataset: this.dataset } = await createDetectorFile(this.name, dataId, SimulatedEiger.datasetPath, [rows, cols], "<I"));
  }

  override async start(): Promise<void> {
    await super.start();
    const t0 = process.hrtime.bigint();
    this.pending = super.done().then(() => this.emit(t0));
  }

  override done(): Promise<void> {
    return super.done().then(() => this.pending);
  }

  private async emit(t0: bigint): Promise<void> {
    const [rows, cols] = this.shape;
    for (let i = 0; i < this.frames(); i++) {
      const pixels = this.patterns[this.frameNumber % this.patterns.length];
      if (this.streaming) await this.send(imageMessage(this.series, this.frameNumber, pixels, cols, rows, t0, process.hrtime.bigint()));
      if (this.dataset && this.file) {
        const n = this.dataset.shape?.[0] ?? 0;
        this.dataset.resize([n + 1, rows, cols]);
        this.dataset.write_slice([[n, n + 1], [], []], pixels);
      }
      this.frameNumber++;
    }
    this.file?.flush();
  }

  /** null outside a scan (ct), where no file is written */
  protected reading(): Link | null {
    if (!this.file) return null;
    return { file: this.fileName, path: SimulatedEiger.datasetPath, universal: true };
  }

  override async finish(): Promise<void> {
    await this.pending;
    if (this.streaming) await this.send(seriesEnd(this.series));
    this.streaming = false;
    this.file?.close();
    this.file = null;
    this.dataset = null;
    this.frameNumber = 0;
  }

  /** Closes the stream socket (beamline shut-down, tests). */
  async close(): Promise<void> {
    await this.finish();
    this.socket?.close();
    this.socket = null;
  }

  override describe(): string {
    const [rows, cols] = this.shape;
    return `streams ${cols}x${rows} uint32 frames to ${this.address} (Eiger stream v1)${this.notSent ? `, ${this.notSent} messages not sent (no receiver)` : ""}, writes its own HDF5 file`;
  }
}
