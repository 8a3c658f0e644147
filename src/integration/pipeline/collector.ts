/**
 * Puts the workers' outcomes back in frame order and writes one file per
 * series (scan): `scan_NNNNNN_integrated.h5`. A frame that comes back twice
 * (re-sent after a worker died) is written once. The file is closed when the
 * series has ended and every frame received from the detector is accounted for.
 */
import { join } from "node:path";
import { IntegratedResultFile } from "../resultFile.ts";
import { integratedFileName } from "../names.ts";
import type { PreparedIntegration, IntegrationOptions } from "../setup.ts";
import type { FrameOutcome, Integrated } from "./results.ts";

interface Series {
  file: Promise<IntegratedResultFile>;
  next: number;
  waiting: Map<number, Integrated>;
  /** frames received from the detector, known once the series has ended */
  total: number | null;
  integrated: number;
  skipped: number;
  flushedAt: number;
}

/** HDF5 flushes cost milliseconds: readers of a growing file see it at most this much behind */
const FLUSH_EVERY_MS = 500;


export class SeriesCollector {
  private readonly series = new Map<number, Series>();
  /** called with the file name once a series' file is closed */
  onClosed: (series: number, path: string, integrated: number, skipped: number) => void = () => {};
  /** called with each frame as it is written, in frame order (the live view) */
  onFrame: (series: number, frame: number, intensity: Float64Array) => void = () => {};

  /** series whose files are closed: late duplicates must not open them again */
  private readonly closed = new Set<number>();

  constructor(public directory: string, private readonly prepared: PreparedIntegration, private readonly options: IntegrationOptions) {}

  private open(n: number): Series {
    let s = this.series.get(n);
    if (!s) {
      const path = join(this.directory, integratedFileName(n));
      s = { file: IntegratedResultFile.create(path, this.prepared.table, this.prepared.poni, this.options), next: 0, waiting: new Map(), total: null, integrated: 0, skipped: 0, flushedAt: 0 };
      this.series.set(n, s);
    }
    return s;
  }

  begin(series: number): void {
    this.closed.delete(series);
    this.open(series);
  }

  /** true when this outcome was new (not a duplicate) */
  async add(outcome: FrameOutcome, intensity: Float64Array | null): Promise<boolean> {
    // a frame sent twice (its worker seemed gone) can come back after its series' file was closed
    if (this.closed.has(outcome.series)) return false;
    const s = this.open(outcome.series);
    if (outcome.frame < s.next || s.waiting.has(outcome.frame)) return false;
    s.waiting.set(outcome.frame, { outcome, intensity });
    const file = await s.file;
    for (let w = s.waiting.get(s.next); w; w = s.waiting.get(s.next)) {
      s.waiting.delete(s.next);
      if (w.intensity && !w.outcome.skipped) {
        file.append(s.next, w.intensity);
        s.integrated++;
        this.onFrame(outcome.series, s.next, w.intensity);
      } else {
        file.skip();
        s.skipped++;
      }
      s.next++;
    }
    if (Date.now() - s.flushedAt >= FLUSH_EVERY_MS) {
      file.flush();
      s.flushedAt = Date.now();
    }
    await this.closeIfComplete(outcome.series);
    return true;
  }

  async end(series: number, total: number): Promise<void> {
    this.open(series).total = total;
    await this.closeIfComplete(series);
  }

  private async closeIfComplete(n: number): Promise<void> {
    const s = this.series.get(n);
    if (!s || s.total === null || s.next < s.total) return;
    this.series.delete(n);
    this.closed.add(n);
    const file = await s.file;
    file.close();
    this.onClosed(n, file.path, s.integrated, s.skipped);
  }

  /** Closes every open file (the pipeline is stopping); returns the series that were incomplete. */
  async closeAll(): Promise<number[]> {
    const open = [...this.series.keys()];
    for (const [, s] of this.series) (await s.file).close();
    this.series.clear();
    return open;
  }
}
