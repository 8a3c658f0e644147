/**
 * What the live-plot server sends to the page over server-sent events (GET
 * /events). Every SSE event is one batch: its `data:` is a JSON array of
 * these messages, applied in order. Numbers that are not finite (a missing or
 * non-numeric reading) arrive as null.
 *
 * A page that (re)connects first gets "hello", then the whole current state
 * as ordinary messages, then only what changed, at most a few times a second.
 */

export type TraceStatus = "started" | "running" | "finished" | "interrupted" | "failed";

export interface ScanMeta {
  /** server-side id of this trace (scan numbers can repeat, these do not) */
  uid: number;
  scannr: number;
  description: string;
  npoints: number | null;
  motors: string[];
  /** what the horizontal axis shows: the x motor, or "point" */
  xLabel: string;
  yLabel: string;
  /** seconds since the epoch */
  startTime: number;
  /** true for scans over two motors: the page draws a map */
  map: boolean;
}

/** Where the finished scan's peak statistics put the y detector against x (scans/stats.ts); drawn as lines. */
export interface PeakMarks {
  peak: number;
  cen: number | null;
  com: number | null;
}

export type ToPage =
  /** first message on every connection: forget everything you had */
  | { type: "hello"; x: string | null; y: string; keepScans: number }
  /** a scan the page has not seen yet (its points follow in "points"), or new facts about one it has */
  | { type: "scan"; meta: ScanMeta }
  /** points `from`, `from + 1`, ... of a scan; a/b are the two map motors */
  | { type: "points"; uid: number; from: number; xs: number[]; ys: number[]; a?: number[]; b?: number[] }
  | { type: "status"; uid: number; status: TraceStatus; error: string | null; endTime: number | null; marks?: PeakMarks }
  /** a scan that fell off the end of the "last few scans" list */
  | { type: "drop"; uid: number }
  /** the latest 1-D reading */
  | { type: "spectrum"; uid: number; scannr: number; index: number; name: string; data: number[] }
  /** the latest 2-D reading, shrunk to at most 256 px a side, greyscale bytes in base64 */
  | {
    type: "frame"; uid: number; scannr: number; index: number; name: string;
    shape: number[]; width: number; height: number; black: number; white: number; pixels: string;
  };

/** `window.liveplot` on the page: what is plotted right now (tests read it). */
export interface LivePlotView {
  /** the current (latest) scan, or null before the first one */
  scannr: number | null;
  status: TraceStatus | "idle";
  description: string;
  npoints: number | null;
  /** number of points of the current scan on the plot */
  points: number;
  xs: (number | null)[];
  ys: (number | null)[];
  /** the current scan's peak statistics once it has ended, if it has them */
  marks: PeakMarks | null;
  /** how many scans are overlaid, the current one included */
  scans: number;
  /** points drawn on the 2-D map (0 when the scan is not a map) */
  mapPoints: number;
  /** the shape of the latest image as the detector gave it, or null */
  frameShape: number[] | null;
  /** [height, width] of the frame as sent (at most 256 a side) */
  frameSize: number[] | null;
  /** the latest 1-D reading drawn, its name and length */
  spectrumName: string | null;
  spectrumLength: number;
  spectrum: (number | null)[] | null;
  connected: boolean;
  /** SSE messages received, and batches (one per server flush) */
  messages: number;
  updates: number;
}
