/**
 * What the live integration view shows: the latest I(q), and for each scan
 * point the sum of I over a radial range, with the point's motor positions
 * (from the scan's messages), so a map scan draws as a map. Frame k of a
 * series is point k of the scan of that number.
 */
import type { ScanHeader, ScanPoint, ScanFooter } from "../../recorders/messages.ts";

export interface IntegrationViewState {
  scannr: number | null;
  status: string;
  /** bin centres, and the range summed for the map (in the same unit) */
  radial: number[];
  unit: string;
  range: [number, number];
  latestFrame: number | null;
  latest: number[];
  motors: string[];
  /** per point index from `since`: motor positions, and the range sum (null until its frame is integrated) */
  since: number;
  positions: Record<string, (number | null)[]>;
  sums: (number | null)[];
}

export class IntegrationView {
  private scannr: number | null = null;
  private status = "waiting for a scan";
  private motors: string[] = [];
  private positions: Record<string, (number | null)[]> = {};
  private sums: (number | null)[] = [];
  private latest: { frame: number; intensity: Float64Array } | null = null;
  private readonly first: number;
  private readonly last: number;

  constructor(private readonly radial: Float64Array, private readonly unit: string, readonly range: [number, number]) {
    const inRange = [...radial.keys()].filter((b) => radial[b] >= range[0] && radial[b] <= range[1]);
    if (!inRange.length) throw new Error(`no radial bin in the view's range ${range.join(" ")} ${unit}`);
    this.first = inRange[0];
    this.last = inRange[inRange.length - 1];
  }

  header(h: ScanHeader): void {
    Object.assign(this, { scannr: h.scannr, status: "running", motors: h.motors, sums: [], latest: null });
    this.positions = Object.fromEntries(h.motors.map((m) => [m, []]));
  }

  point(p: ScanPoint): void {
    if (p.scannr !== this.scannr) return;
    for (const m of this.motors) {
      const v = p.data[m];
      this.positions[m][p.index] = typeof v === "number" ? v : null;
    }
  }

  footer(f: ScanFooter): void {
    if (f.scannr === this.scannr) this.status = f.status;
  }

  /** an integrated frame of series `series` (a 1-D profile, or sectors × bins summed over sectors) */
  frame(series: number, frame: number, intensity: Float64Array): void {
    if (series !== this.scannr) return;
    const bins = this.radial.length;
    const profile = new Float64Array(bins);
    for (let i = 0; i < intensity.length; i++) profile[i % bins] += intensity[i];
    let sum = 0;
    for (let b = this.first; b <= this.last; b++) sum += profile[b];
    this.sums[frame] = sum;
    if (!this.latest || frame >= this.latest.frame) this.latest = { frame, intensity: profile };
  }

  state(scannr: number | null, since: number): IntegrationViewState {
    const points = Math.max(this.sums.length, ...this.motors.map((m) => this.positions[m].length));
    const from = scannr === this.scannr ? Math.max(0, Math.min(since, points)) : 0;
    const fill = <T>(a: (T | null)[]) => Array.from({ length: points - from }, (_, i) => a[from + i] ?? null);
    return {
      scannr: this.scannr, status: this.status, radial: Array.from(this.radial), unit: this.unit, range: this.range,
      latestFrame: this.latest?.frame ?? null, latest: Array.from(this.latest?.intensity ?? []), motors: this.motors, since: from,
      positions: Object.fromEntries(this.motors.map((m) => [m, fill(this.positions[m])])), sums: fill(this.sums),
    };
  }
}
