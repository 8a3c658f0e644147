/**
 * What the live plot knows: the last few scans as (x, y) lists, the latest
 * spectrum and the latest image. Fed with the recorder's messages; knows
 * nothing about HTTP.
 */
import type { ScanMessage, ScanPoint } from "../messages.ts";
import { isTypedArray, type TypedArray } from "../../data/values.ts";
import { asImage, asSpectrum, findArrays, resolvePath, toNumber, type ImageSource } from "./reduce.ts";
import type { PeakMarks, ScanMeta, TraceStatus } from "./protocol.ts";

export interface Trace {
  meta: ScanMeta;
  status: TraceStatus;
  error: string | null;
  endTime: number | null;
  /** from the footer's statistics of y against x */
  marks: PeakMarks | null;
  xs: number[];
  ys: number[];
  /** positions of the two motors of a 2-D scan; null for other scans */
  a: number[] | null;
  b: number[] | null;
  /** a fly scan's map coordinates (slow, fast) in its records: each line adds a point per trigger */
  fly: [string, string] | null;
  /** null: not decided yet (first point); true: x is the point index */
  xIsIndex: boolean | null;
  /** bumped when `meta` changes after the scan started */
  metaVersion: number;
}

interface Latest<T> {
  uid: number;
  scannr: number;
  index: number;
  name: string;
  value: T;
}

export class ScanState {
  readonly traces: Trace[] = [];
  spectrum: Latest<TypedArray> | null = null;
  /** bumped whenever `spectrum` changes */
  spectrumVersion = 0;
  frame: Latest<ImageSource> | null = null;
  frameVersion = 0;
  private nextUid = 1;

  constructor(readonly x: string | undefined, readonly y: string, readonly keepScans: number) {
    if (!(keepScans >= 1)) throw new Error(`keepScans must be at least 1, got ${keepScans}`);
  }

  get current(): Trace | undefined {
    return this.traces[this.traces.length - 1];
  }

  /** Takes one recorder message. */
  handle(msg: ScanMessage): void {
    if (msg.kind === "header") {
      const t = this.start({
        scannr: msg.scannr, description: msg.description, npoints: msg.npoints,
        motors: [...msg.motors], startTime: msg.startTime,
      });
      if (msg.map) {
        // a fly scan: x is the fast coordinate, and the lines draw a map whatever the number of motors
        t.fly = msg.map;
        t.meta = { ...t.meta, xLabel: msg.map[1], map: true };
        t.a ??= [];
        t.b ??= [];
        t.xIsIndex = false;
      }
    } else if (msg.kind === "data") {
      this.point(msg);
    } else if (msg.kind === "footer") {
      const t = this.current;
      if (!t || t.meta.scannr !== msg.scannr) return;
      t.status = msg.status;
      t.error = msg.error ?? null;
      t.endTime = msg.endTime;
      const s = msg.stats?.[this.y]?.[t.meta.xLabel];
      t.marks = s ? { peak: s.peak, cen: s.cen, com: s.com } : null;
    }
  }

  private start(h: Pick<ScanMeta, "scannr" | "description" | "npoints" | "motors" | "startTime">): Trace {
    // a repeated scan number replaces the old scan of that number
    const same = this.traces.findIndex((t) => t.meta.scannr === h.scannr);
    if (same >= 0) this.traces.splice(same, 1);
    const map = h.motors.length === 2;
    const t: Trace = {
      meta: { ...h, uid: this.nextUid++, xLabel: this.x ?? "point", yLabel: this.y, map },
      status: "started", error: null, endTime: null, marks: null,
      xs: [], ys: [], a: map ? [] : null, b: map ? [] : null, fly: null, xIsIndex: this.x === undefined ? true : null, metaVersion: 0,
    };
    this.traces.push(t);
    while (this.traces.length > this.keepScans) this.traces.shift();
    return t;
  }

  private point(p: ScanPoint): void {
    let t = this.current;
    if (!t || t.meta.scannr !== p.scannr) {
      // we missed the header (the recorder started mid-scan): carry on without it
      t = this.start({ scannr: p.scannr, description: "", npoints: null, motors: [], startTime: Date.now() / 1000 });
    }
    if (t.status !== "started" && t.status !== "running") return; // late point after the footer
    t.status = "running";
    const data = p.data;
    if (t.fly) this.line(t, data);
    else this.onePoint(t, p);

    // the latest spectrum and image: y's own reading first, else the first one in the point
    const yv = resolvePath(data, this.y);
    let spec: { path: string; value: TypedArray } | null = null;
    let img: { path: string; value: ImageSource } | null = null;
    const ys = t.fly ? null : asSpectrum(yv);
    const yi = ys ? null : asImage(yv);
    if (ys) spec = { path: this.y, value: ys };
    if (yi) img = { path: this.y, value: yi };
    if (!spec || !img) {
      const found = findArrays(data, t.meta.motors);
      spec ??= found.spectrum;
      img ??= found.image;
    }
    if (spec) {
      this.spectrum = { uid: t.meta.uid, scannr: p.scannr, index: p.index, name: spec.path, value: spec.value };
      this.spectrumVersion++;
    }
    if (img) {
      this.frame = { uid: t.meta.uid, scannr: p.scannr, index: p.index, name: img.path, value: img.value };
      this.frameVersion++;
    }
  }

  private onePoint(t: Trace, p: ScanPoint): void {
    const data = p.data;
    if (t.xIsIndex === null) {
      t.xIsIndex = resolvePath(data, this.x!) === undefined;
      if (t.xIsIndex) {
        // the scan does not have the x motor: plot against the point index
        t.meta = { ...t.meta, xLabel: "point" };
        t.metaVersion++;
      }
    }
    t.xs.push(t.xIsIndex ? p.index : toNumber(resolvePath(data, this.x!)));
    t.ys.push(toNumber(resolvePath(data, this.y)));
    if (t.a && t.b) {
      t.a.push(toNumber(data[t.meta.motors[0]!]));
      t.b.push(toNumber(data[t.meta.motors[1]!]));
    }
  }

  /** A fly scan's line (ScanHeader.map): one point per trigger, x the fast coordinate, the map at (fast, slow). */
  private line(t: Trace, data: ScanPoint["data"]): void {
    const at = (path: string, k: number) => {
      const v = resolvePath(data, path);
      return isTypedArray(v) ? Number(v[k]) : toNumber(v);
    };
    const [slow, fast] = t.fly!;
    const y = resolvePath(data, this.y);
    const n = isTypedArray(y) ? y.length : 1;
    for (let k = 0; k < n; k++) {
      t.xs.push(at(fast, k));
      t.ys.push(at(this.y, k));
      t.a?.push(at(fast, k));
      t.b?.push(at(slow, k));
    }
  }
}
