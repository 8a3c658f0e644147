import type { Link, Value, ValueDict } from "../data/values.ts";
import type { ScanStats } from "../scans/stats.ts";

/** Sent once when a scan starts. */
export interface ScanHeader {
  kind: "header";
  status: "started";
  scannr: number;
  /** the whole command line, e.g. "ascan samx 0 1 10 0.1" */
  description: string;
  /** directory where the scan's files go */
  path: string;
  /** seconds since the epoch */
  startTime: number;
  /** motor names in the order they appear in each point */
  motors: string[];
  /** names of the active detectors */
  detectors: string[];
  /** keyword arguments given on the command line (tags) */
  tags: Record<string, string | number | boolean>;
  snapshot: ValueDict;
  /** total number of points if known */
  npoints: number | null;
  /** files other processes write for this scan, linked from the scan file as entry/<name> (Recorder.scanLinks) */
  links?: Record<string, Link>;
  /**
   * A fly scan's map: where in the records its slow and fast coordinates are
   * (`"panda0/pzy"`: key `pzy` of the dict `panda0`). The default plot is then
   * the first detector with one value per trigger over these two.
   */
  map?: [string, string];
}

/** Sent once per point: motor positions, detector readings and dt. */
export interface ScanPoint {
  kind: "data";
  status: "running";
  scannr: number;
  /** 0-based point index */
  index: number;
  data: Record<string, Value>;
}

export type ScanStatus = "finished" | "interrupted" | "failed";

/** Sent once when a scan ends, whatever the reason. */
export interface ScanFooter {
  kind: "footer";
  status: ScanStatus;
  scannr: number;
  endTime: number;
  /** the error message when status is "failed" */
  error?: string;
  snapshot: ValueDict;
  /** peak statistics of every scalar detector, per axis (scans/stats.ts) */
  stats?: ScanStats;
  /** every time the scan waited with a point to take: beam lost, paused (HDF5: entry/suspensions) */
  suspensions?: Suspension[];
}

/** A wait before point `index`: `reason` says why ("paused", "beam lost"); times in seconds since the epoch. */
export interface Suspension {
  start: number;
  end: number;
  reason: string;
  index: number;
}

/**
 * Sent when a scan suspends (the scheduler turned not ready during a point,
 * which is then discarded and taken again) or is paused, and when it goes on.
 */
export interface ScanSuspension {
  kind: "suspension";
  status: "suspended" | "resumed";
  scannr: number;
  /** the point that is taken next */
  index: number;
  reason: string;
  /** seconds since the epoch */
  time: number;
}

export type ScanMessage = ScanHeader | ScanPoint | ScanFooter | ScanSuspension;
