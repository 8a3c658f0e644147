/**
 * Peak statistics of a scan (as in Bluesky's PeakStats, BLISS's scan tools,
 * Sardana's pic/cen): where the maximum and minimum are, the centre of the
 * half-maximum crossings, the centre of mass and the full width at half
 * maximum. Quantities that a scan does not define (a peak cut off by the end
 * of the range has no second crossing) are null, never a guess.
 */
import type { Value } from "../data/values.ts";

export interface PeakStats {
  /** position of the maximum */
  peak: number;
  /** position of the minimum */
  min: number;
  /** middle of the two half-maximum crossings around the maximum (linear interpolation) */
  cen: number | null;
  /** centre of mass with the minimum as background */
  com: number | null;
  /** distance between the two half-maximum crossings */
  fwhm: number | null;
  maxValue: number;
  minValue: number;
}

/** The statistics names `goto` and the file use, in print order. */
export const STAT_NAMES = ["peak", "min", "cen", "com", "fwhm"] as const;
export type StatName = (typeof STAT_NAMES)[number];

/** Per detector, per axis (the first motor first): the statistics. */
export type ScanStats = Record<string, Record<string, PeakStats>>;

/** What `peak`, `cen`, `goto` ... work on: the statistics of the last scan. */
export interface LastScanStats {
  scannr: number;
  description: string;
  /** the scan's axes: its motors, or ["point"] for a scan without motors */
  axes: string[];
  /** the detector whose statistics are printed (first scalar one, or the one `plotselect` chose) */
  detector: string | null;
  stats: ScanStats;
}

/** The detector `plotselect` chose; null: the first scalar detector of each scan. */
export const plotSelection: { detector: string | null } = { detector: null };

/** Statistics of y against x; null when fewer than one finite point. */
export function peakStats(xs: ArrayLike<number>, ys: ArrayLike<number>): PeakStats | null {
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    if (Number.isFinite(xs[i]) && Number.isFinite(ys[i])) {
      x.push(xs[i]);
      y.push(ys[i]);
    }
  }
  if (!x.length) return null;
  let top = 0;
  let bottom = 0;
  for (let i = 1; i < y.length; i++) {
    if (y[i] > y[top]) top = i;
    if (y[i] < y[bottom]) bottom = i;
  }
  const maxValue = y[top];
  const minValue = y[bottom];
  // the top of the parabola through the highest three points: a peak between two points is not cut short
  const half = minValue + (Math.max(maxValue, vertex(x, y, top)) - minValue) / 2;
  const left = crossing(x, y, half, top, -1);
  const right = crossing(x, y, half, top, 1);
  let mass = 0;
  let moment = 0;
  for (let i = 0; i < x.length; i++) {
    mass += y[i] - minValue;
    moment += (y[i] - minValue) * x[i];
  }
  const both = left !== null && right !== null;
  return {
    peak: x[top], min: x[bottom],
    cen: both ? (left + right) / 2 : null,
    com: mass > 0 ? moment / mass : null,
    fwhm: both ? Math.abs(right - left) : null,
    maxValue, minValue,
  };
}

/** The height of the parabola through points i-1, i, i+1 at its vertex; y[i] at the ends or when it is not a peak. */
function vertex(x: number[], y: number[], i: number): number {
  if (i < 1 || i + 1 >= y.length) return y[i];
  const [x0, x1, x2, y0, y1, y2] = [x[i - 1], x[i], x[i + 1], y[i - 1], y[i], y[i + 1]];
  const denom = (x0 - x1) * (x0 - x2) * (x1 - x2);
  const a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / denom;
  const b = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / denom;
  const c = y1 - a * x1 * x1 - b * x1;
  return a < 0 && Number.isFinite(a) ? c - (b * b) / (4 * a) : y[i];
}

/** Where y first falls to `level` walking from `from` in direction `dir`, interpolated; null if it never does. */
function crossing(x: number[], y: number[], level: number, from: number, dir: 1 | -1): number | null {
  for (let i = from; i + dir >= 0 && i + dir < y.length; i += dir) {
    const j = i + dir;
    if (y[j] <= level && y[i] > level) return x[i] + ((x[j] - x[i]) * (y[i] - level)) / (y[i] - y[j]);
  }
  return null;
}

/**
 * Statistics of a grid scan (last axis fastest), one per axis: along the line
 * through the map's maximum parallel to that axis. `points[k]` is the flat
 * index of the k-th value; missing points (an interrupted scan) are skipped.
 */
export function gridStats(shape: number[], points: number[], axes: number[][], ys: number[]): (PeakStats | null)[] {
  let best = -1;
  for (let k = 0; k < ys.length; k++) if (Number.isFinite(ys[k]) && (best < 0 || ys[k] > ys[best])) best = k;
  if (best < 0) return shape.map(() => null);
  const at = gridIndex(shape, points[best]);
  return shape.map((_, j) => {
    const line = points.map((_, k) => k).filter((k) => {
      const idx = gridIndex(shape, points[k]);
      return idx.every((v, a) => a === j || v === at[a]);
    });
    return peakStats(line.map((k) => axes[j][k]), line.map((k) => ys[k]));
  });
}

function gridIndex(shape: number[], flat: number): number[] {
  const out = new Array<number>(shape.length);
  for (let j = shape.length - 1; j >= 0; j--) {
    out[j] = flat % shape[j];
    flat = Math.floor(flat / shape[j]);
  }
  return out;
}

/**
 * Collects the scalar readings as the points of a scan pass, and gives the
 * statistics of every scalar detector at the end.
 */
export class PeakCollector {
  private readonly points: number[] = [];
  private readonly axisValues: number[][];
  private readonly readings = new Map<string, number[]>();
  /** `dt` of the last point: seconds since the first point started */
  elapsed = 0;

  /**
   * @param axes the scan's motors (an empty list: the point index is the axis)
   * @param detectors the active detectors, in order
   * @param grid points per motor for grid scans (last fastest)
   */
  constructor(readonly axes: string[], readonly detectors: string[], readonly grid?: number[]) {
    this.axisValues = (axes.length ? axes : ["point"]).map(() => []);
  }

  add(index: number, data: Record<string, Value>): void {
    if (!this.points.length) {
      for (const d of this.detectors) if (typeof data[d] === "number") this.readings.set(d, []);
    }
    this.points.push(index);
    if (this.axes.length) this.axes.forEach((m, j) => this.axisValues[j].push(num(data[m])));
    else this.axisValues[0].push(index);
    for (const [d, ys] of this.readings) ys.push(num(data[d]));
    if (typeof data.dt === "number") this.elapsed = data.dt;
  }

  get count(): number {
    return this.points.length;
  }

  /** The names of the detectors that gave numbers, in order. */
  get scalars(): string[] {
    return [...this.readings.keys()];
  }

  /** The statistics, the detector to show (see `plotSelection`) and its line, or null when no scalar detector took part. */
  finish(scannr: number, description: string): { last: LastScanStats; line: string | null } {
    const stats = this.result();
    const chosen = plotSelection.detector;
    const detector = chosen !== null && stats[chosen] ? chosen : Object.keys(stats)[0] ?? null;
    const last: LastScanStats = { scannr, description, axes: this.axes.length ? [...this.axes] : ["point"], detector, stats };
    return { last, line: detector === null ? null : statsLine(detector, stats[detector]) };
  }

  result(): ScanStats {
    const names = this.axes.length ? this.axes : ["point"];
    const grid = this.grid && this.grid.length === this.axes.length && this.grid.length > 1 ? this.grid : undefined;
    const out: ScanStats = {};
    for (const [d, ys] of this.readings) {
      const per = grid ? gridStats(grid, this.points, this.axisValues, ys) : [peakStats(this.axisValues[0], ys)];
      const entry: Record<string, PeakStats> = {};
      per.forEach((s, j) => s && (entry[names[j]] = s));
      if (Object.keys(entry).length) out[d] = entry;
    }
    return out;
  }
}

function num(v: Value | undefined): number {
  return typeof v === "number" ? v : NaN;
}

/** A statistic as a short number for printing. */
export function showStat(v: number | null, precision = 4): string {
  if (v === null) return "-";
  return Number.isInteger(v) && Math.abs(v) < 1e9 ? String(v) : v.toFixed(precision);
}

/** One line: `det vs samx:  peak 0.5  min 0  cen 0.5  com 0.5  fwhm 0.47`; several axes are joined with "; ". */
export function statsLine(detector: string, perAxis: Record<string, PeakStats>, precision = 4): string {
  return `${detector} ` + Object.entries(perAxis).map(([axis, s]) =>
    `vs ${axis}:  ` + STAT_NAMES.map((k) => `${k} ${showStat(s[k], precision)}`).join("  ")).join(";  ");
}
