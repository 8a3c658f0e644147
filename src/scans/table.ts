import chalk from "chalk";
import { isLink, isNdArray, isTypedArray, isDict, type Value } from "../data/values.ts";

/** The table a scan prints: one row per point, with a time-left estimate. */
export class ScanTable {
  private widths: number[] = [];
  private names: string[] = [];

  constructor(private readonly precision = 4) {}

  /** The header lines, sized for this point's columns. */
  header(point: Record<string, Value>): string {
    this.names = Object.keys(point);
    const cols = ["#", ...this.names, "left"];
    // wide enough for the first row's cells too (a fly scan's line of images: "(100,128,128)")
    this.widths = cols.map((c, i) => Math.max(i === 0 ? 6 : 11, c.length + 2, i > 0 && i <= this.names.length ? formatValue(point[c], this.precision).length + 2 : 0));
    const line = cols.map((c, i) => c.padStart(this.widths[i])).join("");
    return chalk.bold(line) + "\n" + chalk.dim("-".repeat(line.length));
  }

  row(index: number, point: Record<string, Value>, secondsLeft: number): string {
    let s = String(index).padStart(this.widths[0]);
    for (let i = 0; i < this.names.length; i++) s += formatValue(point[this.names[i]], this.precision).padStart(this.widths[i + 1]);
    return s + formatDuration(secondsLeft).padStart(this.widths[this.widths.length - 1]);
  }

}

/** A reading as a short table cell: numbers in full, arrays as their shape. */
export function formatValue(v: Value | undefined, precision = 4): string {
  if (typeof v === "number") return Number.isInteger(v) && Math.abs(v) < 1e9 ? String(v) : fmtNumber(v, precision);
  if (typeof v === "string") return v.length > 10 ? v.slice(0, 9) + "…" : v;
  if (typeof v === "boolean") return String(v);
  if (isTypedArray(v)) return `(${v.length},)`;
  if (isNdArray(v)) return `(${v.shape.join(",")})`;
  if (isLink(v)) return "link";
  if (isDict(v)) return "{…}";
  return "-";
}

export function fmtNumber(v: number, precision: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(precision - 1);
  return v.toFixed(precision);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${h}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`;
}
