import type { Dataset, File } from "h5wasm/node";
import type { DataId, DetectorOptions } from "./Detector.ts";
import { SimulatedDetector } from "./SimulatedDetector.ts";
import { createDetectorFile } from "./detectorFile.ts";
import type { Link } from "../data/values.ts";

/**
 * Simulates a streaming detector (Eiger, Xspress3...) that writes its own
 * HDF5 file per scan and hands the scan only a link to it. Frames are small
 * (64×64 by default) since this runs in the shell's process.
 */
export class DummyWritingDetector extends SimulatedDetector {
  readonly shape: [number, number];
  private file: File | null = null;
  private dataset: Dataset | null = null;
  private fileName = "";
  private frameCount = 0;
  static readonly datasetPath = "entry/data/data";

  constructor(opts: DetectorOptions & { shape?: [number, number] }) {
    super(opts);
    this.shape = opts.shape ?? [64, 64];
  }

  override async prepare(acqTime: number, dataId: DataId | null, nStarts: number): Promise<void> {
    await super.prepare(acqTime, dataId, nStarts);
    await this.finish();
    if (!dataId) return;
    ({ fileName: this.fileName, file: this.file, dataset: this.dataset } = await createDetectorFile(this.name, dataId, DummyWritingDetector.datasetPath, this.shape, "<H"));
    this.frameCount = 0;
  }

  override async start(): Promise<void> {
    await super.start();
    const frames = this.frames();
    void this.done().then(() => this.writeFrames(frames));
  }

  override bytesPerFrame(): number {
    return 2 * this.shape[0] * this.shape[1];
  }

  /** Appends `n` frames, each filled with its frame number. */
  private writeFrames(n: number): void {
    if (!this.dataset || !this.file) return;
    const [h, w] = this.shape;
    const frames = new Uint16Array(h * w * n);
    for (let f = 0; f < n; f++) frames.fill((this.frameCount + f) % 65536, f * h * w, (f + 1) * h * w);
    this.dataset.resize([this.frameCount + n, h, w]);
    this.dataset.write_slice([[this.frameCount, this.frameCount + n], [], []], frames);
    this.frameCount += n;
    this.file.flush();
  }

  /** null outside a scan (ct), where no file is written */
  protected reading(): Link | null {
    if (!this.file) return null;
    return { file: this.fileName, path: DummyWritingDetector.datasetPath, universal: true };
  }

  override async finish(): Promise<void> {
    this.file?.close();
    this.file = null;
    this.dataset = null;
  }

  override describe(): string {
    return `writes its own HDF5 file, frames ${this.shape.join("x")}`;
  }
}
