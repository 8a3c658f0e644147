/**
 * The maps of one scan as its data arrive: a position and a spectrum frame
 * per point, in either order, paired by point index (= frame index). Each
 * frame is reduced at once to its region sums; what is kept is the sums and
 * positions per point, the latest spectrum and the running sum for the
 * average, so memory does not grow with the size of the frames.
 */
import type { RoiSet } from "./rois.ts";

/** A growable column of float64, NaN where nothing arrived yet. */
class Column {
  data: Float64Array;
  constructor(readonly width = 1) {
    this.data = new Float64Array(256 * width).fill(NaN);
  }
  ensure(index: number): void {
    if ((index + 1) * this.width <= this.data.length) return;
    let n = this.data.length;
    while (n < (index + 1) * this.width) n *= 2;
    const grown = new Float64Array(n).fill(NaN);
    grown.set(this.data);
    this.data = grown;
  }
  set(index: number, v: number, k = 0): void {
    this.ensure(index);
    this.data[index * this.width + k] = v;
  }
  slice(from: number, to: number): Float64Array {
    return this.data.subarray(from * this.width, to * this.width);
  }
}

export class ScanMaps {
  /** motors of the header, or (header missed) every scalar number of the first point seen except dt */
  motors: string[] = [];
  path: string | undefined;
  npoints: number | null = null;
  description = "";
  /** the consumer joined after the scan began: the header (and maybe some points) went by unseen */
  missedStart = false;
  /** first point index seen when the start was missed */
  firstSeen: number | undefined;
  ended: string | undefined;
  seriesEnded = false;
  /** the detector's own file, from its series header */
  spectraFile: string | undefined;
  shape: [number, number] | undefined;
  exptime = NaN;

  readonly sums: Column[];
  readonly perChannel = new Map<string, Column>();
  readonly positions = new Map<string, Column>();
  /** bit 1: frame arrived, bit 2: position arrived */
  private have = new Uint8Array(256);
  /** highest point index + 1 with a frame or a position */
  points = 0;
  frames = 0;
  positioned = 0;
  paired = 0;
  refused = 0;
  readonly refusals = new Map<string, number>();
  private latestFrame: Uint32Array | undefined;
  private sumSpectrum: Float64Array | undefined;
  latestIndex = -1;

  constructor(public scannr: number, readonly rois: RoiSet) {
    this.sums = rois.rois.map(() => new Column());
  }

  private mark(index: number, bit: number): boolean {
    if (index >= this.have.length) {
      let n = this.have.length;
      while (n <= index) n *= 2;
      const grown = new Uint8Array(n);
      grown.set(this.have);
      this.have = grown;
    }
    const before = this.have[index];
    this.have[index] |= bit;
    if (index + 1 > this.points) this.points = index + 1;
    if (before & bit) return false;
    if (before) this.paired++;
    return true;
  }

  /** Counts a frame that cannot be used, by reason. Returns true the first time a reason occurs. */
  refuse(reason: string): boolean {
    this.refused++;
    const n = this.refusals.get(reason) ?? 0;
    this.refusals.set(reason, n + 1);
    return n === 0;
  }

  /** Checks a frame's header against the series; a reason to refuse it, or undefined. */
  check(shape: unknown, type: unknown, bytes: number): string | undefined {
    if (type !== "uint32" && type !== "<u4") return `dtype ${String(type)}, not uint32`;
    if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((n) => Number.isInteger(n) && n > 0))
      return `shape ${JSON.stringify(shape)} is not [channels, bins]`;
    const [c, b] = shape as [number, number];
    if (bytes !== c * b * 4) return `raw part of ${bytes} bytes, the header says ${c} x ${b} uint32 (${c * b * 4} bytes)`;
    if (this.shape && (this.shape[0] !== c || this.shape[1] !== b)) return `shape [${c}, ${b}] differs from the series' [${this.shape.join(", ")}]`;
    const beyond = this.rois.rois.find((r) => r.last >= b);
    if (beyond) return `region ${beyond.name} ends at bin ${beyond.last}, the frames have ${b} bins`;
    return undefined;
  }

  /** Reduces one frame (already checked) of point `index`. */
  addFrame(index: number, counts: Uint32Array, shape: [number, number]): void {
    if (!this.mark(index, 1)) {
      this.refuse(`frame ${index} came twice`);
      return;
    }
    this.shape ??= shape;
    const [channels, bins] = shape;
    const rois = this.rois.rois;
    for (let r = 0; r < rois.length; r++) {
      const { first, last, perChannel } = rois[r];
      let total = 0;
      for (let c = 0; c < channels; c++) {
        let s = 0;
        const base = c * bins;
        for (let b = base + first; b <= base + last; b++) s += counts[b];
        total += s;
        if (perChannel) this.channelColumn(rois[r].name, channels).set(index, s, c);
      }
      this.sums[r].set(index, total);
    }
    // the latest frame as it came (summed over channels when asked: view, file), and the running sum over channels
    this.latestFrame = counts; // each message arrives in a buffer of its own: kept, not copied
    const sum = (this.sumSpectrum ??= new Float64Array(bins));
    const n = channels * bins;
    if (channels === 4) {
      // the usual four-element detector, unrolled: twice as fast, and this loop is most of a frame's cost
      for (let b = 0; b < bins; b++) sum[b] += counts[b] + counts[bins + b] + counts[2 * bins + b] + counts[3 * bins + b];
    } else {
      for (let b = 0; b < bins; b++) {
        let v = 0;
        for (let k = b; k < n; k += bins) v += counts[k];
        sum[b] += v;
      }
    }
    this.latestIndex = index;
    this.frames++;
  }

  private channelColumn(name: string, channels: number): Column {
    let col = this.perChannel.get(name);
    if (!col) this.perChannel.set(name, (col = new Column(channels)));
    return col;
  }

  /** The position of point `index`: the motors' values in a stream point's data. */
  addPosition(index: number, data: Record<string, unknown>): void {
    if (!this.motors.length) this.motors = Object.keys(data).filter((k) => k !== "dt" && typeof data[k] === "number");
    if (!this.mark(index, 2)) return;
    for (const m of this.motors) {
      let col = this.positions.get(m);
      if (!col) this.positions.set(m, (col = new Column()));
      const v = data[m];
      col.set(index, typeof v === "number" ? v : NaN);
    }
    this.positioned++;
  }

  /** Points with a position but no frame so far. */
  get withoutFrame(): number {
    return this.positioned - this.paired;
  }

  /** Summed over channels: the last frame reduced (in arrival order). */
  latest(): Float64Array | undefined {
    if (!this.latestFrame || !this.shape) return undefined;
    const [channels, bins] = this.shape;
    const out = new Float64Array(bins);
    for (let c = 0; c < channels; c++) for (let b = 0; b < bins; b++) out[b] += this.latestFrame[c * bins + b];
    return out;
  }

  /** Summed over channels: the mean of every frame so far. */
  average(): Float64Array | undefined {
    return this.sumSpectrum?.map((v) => v / Math.max(1, this.frames));
  }

  /** The per-point sums of region r, points [from, to). */
  roiSums(r: number, from = 0, to = this.points): Float64Array {
    this.sums[r].ensure(Math.max(0, to - 1));
    return this.sums[r].slice(from, to);
  }

  positionsOf(motor: string, from = 0, to = this.points): Float64Array {
    const col = this.positions.get(motor) ?? new Column();
    col.ensure(Math.max(0, to - 1));
    return col.slice(from, to);
  }

  channelSums(name: string): Float64Array | undefined {
    const col = this.perChannel.get(name);
    if (!col) return undefined;
    col.ensure(Math.max(0, this.points - 1));
    return col.slice(0, this.points);
  }
}
