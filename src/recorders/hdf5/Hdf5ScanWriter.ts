/**
 * Writes one scan into one HDF5 file (`<dir>/<scannr, 6 digits>.h5`), fed by
 * the header, data and footer messages of ../messages.ts. Layout:
 *
 *   /                       attr default="entry"
 *   entry/                  NXentry, attr default="plot"
 *     description           the command line, as the original stored it: one fixed-length
 *                           ASCII string in a 1-D dataset (h5py: f["entry/description"][0] is bytes)
 *     start_time, end_time  ISO 8601
 *     status                "running" until the footer says otherwise
 *     error                 only when the scan failed
 *     tags/<key>            keyword arguments from the command line
 *     snapshots/pre_scan/<name>, snapshots/post_scan/<name>
 *     snapshot/<name>       the pre-scan snapshot once more as the original stored it, for its
 *                           readers: one-element datasets (f["entry/snapshot/samx"][0]), None as "None"
 *     measurement/<name>    NXcollection, one entry per key of the points (see columns.ts)
 *     plot/                 NXdata: soft links to the first motor and first scalar detector
 *     stats/<det>/          peak statistics (see writeStats), written with the footer
 *     suspensions/          start, end (seconds since the epoch), reason, point: one row per
 *                           time the scan waited with a point to take (beam lost, paused);
 *                           only when there were any; each row is written (and flushed) as
 *                           its wait begins, with end NaN until it ends
 *     <name>                external links the header announces (ScanHeader.links, e.g. xrf)
 *
 * Crash safety — readers need NEITHER SWMR mode NOR `h5clear` after a crash.
 * Tested (test/hdf5-writer.test.ts): a writer at 100 points/s (scalars,
 * strings, spectra, 256x256 images; also tried with 1024x1024) SIGKILLed after
 * 2.5 s leaves a file that plain `h5py.File(path, "r")` (HDF5 1.10.8) opens,
 * with every point up to the last flush, all values intact.
 * How: the file uses HDF5's default format. h5wasm bundles HDF5 2.0, whose
 * default lower bound is 1.8: superblock v2, which HDF5 1.10 reads and which
 * has no "file is open for writing" flag. Everything is flushed (H5Fflush)
 * at least every `flushIntervalMs`, on the first write after the interval or
 * by a timer, and at close. Rows reach HDF5 only at a flush or in >= 1 MiB
 * slabs, so between flushes the library seldom touches the file. What we
 * measured for the alternatives (same kill test, h5py 3.7 / HDF5 1.10.8):
 *   libver "v110", no SWMR: "file is already open for write (may use <h5clear
 *     file> ...)" in both plain and SWMR read mode: needs `h5clear -s`;
 *   libver "v110" + start_swmr_write(): opens only with `swmr=True`, and SWMR
 *     forbids creating objects once started (per-point links, late keys).
 * Residual risk: if HDF5's metadata cache evicts dirty entries between two
 * flushes (it has room for far more than a second of appends), a kill right
 * then could leave metadata that disagrees with the superblock.
 *
 * A full disk: the writer refuses to open a file, and fails a point, when
 * less than `reserveBytes` would be left free (statfs at every flush, and
 * sooner when what it wrote since may have used up the room), so that the
 * footer and the close always have room; a spare file (SPARE_BYTES) is given
 * back at close for when another writer filled the disk in between. A
 * file whose name is gone (its directory deleted) fails at the next flush.
 *
 * All h5wasm calls are synchronous and block the event loop while they run.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statfsSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import h5wasm from "h5wasm/node";
import type { File, Group } from "h5wasm/node";
import { isDict, isLink, isNdArray, isTypedArray, type Value, type ValueDict } from "../../data/values.ts";
import type { ScanFooter, ScanHeader, ScanPoint, ScanSuspension, Suspension } from "../messages.ts";
import type { ScanStats } from "../../scans/stats.ts";
import { GroupSink, linkTarget, type SinkContext } from "./columns.ts";
import {
  bytesOf, createDataset, createFixedStrings, createGroup, externalLink, flushFile, group, h5dtype, h5name, h5ready, longestBytes, resize,
  setAttr, softLink, writeBytes, writeStrings,
} from "./h5lib.ts";

export interface Hdf5WriterOptions {
  /** names of detectors (keys of the points' data) whose datasets are gzip-compressed */
  gzip?: string[];
  /** flush to disk at least this often while points arrive (default 1000 ms) */
  flushIntervalMs?: number;
  /**
   * the scan fails once the data directory's file system has less than this
   * many bytes free (default 16 MB): room left to write the footer and close the file
   */
  reserveBytes?: number;
}

/** Bytes a point's values take (their arrays, 8 per number): to track the free space between two statfs. */
function valueBytes(v: Value): number {
  if (v === null) return 0;
  if (typeof v === "string") return v.length;
  if (typeof v !== "object") return 8;
  if (isTypedArray(v)) return v.byteLength;
  if (isNdArray(v)) return v.data.byteLength;
  if (isLink(v)) return 64;
  return Object.values(v).reduce((n: number, x) => n + valueBytes(x), 0);
}

/**
 * Bytes held in a spare file beside the scan file while it is written, given
 * back to close it: another writer (a detector's own files) may fill the disk
 * between two checks. Closing took 0.8 MB after 700 points of 5 columns.
 */
const SPARE_BYTES = 4e6;

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/** Bytes an unprivileged writer may still use on the file system of `dir` (Infinity when it cannot say). */
function freeBytes(dir: string): number {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return Infinity; // a deleted directory is found by checkFileThere()
  }
}

/** `<dir>/<scannr as 6 digits>.h5` */
export function scanFilePath(dir: string, scannr: number): string {
  return path.join(dir, `${String(scannr).padStart(6, "0")}.h5`);
}

/** `<dir>/.<scan file>.spare`, see SPARE_BYTES */
function spareFile(fileName: string): string {
  return path.join(path.dirname(fileName), `.${path.basename(fileName)}.spare`);
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

export class Hdf5ScanWriter {
  private readonly measurement: GroupSink;
  private readonly entry: Group;
  private rows = 0;
  private lastFlush = Date.now();
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private closing = false;
  private plotDone = false;
  /** an error from a timer-driven flush, rethrown by the next call */
  private failure: unknown;
  /** free bytes at the last statfs, and bytes given to HDF5 since (an upper bound of what it has used) */
  private free = Infinity;
  private sinceStatfs = 0;
  private sinceFlush = 0;
  private readonly inode: number;
  /** as told by the scan's suspension messages */
  private readonly suspensions: Suspension[] = [];

  private constructor(
    private readonly file: File,
    readonly fileName: string,
    private readonly header: ScanHeader,
    private readonly flushIntervalMs: number,
    gzip: string[],
    private readonly reserveBytes: number,
  ) {
    this.inode = statSync(fileName).ino;
    this.entry = group(file, "/entry");
    const ctx: SinkContext = { fileId: file.file_id, dir: path.dirname(fileName), gzip: (n) => gzip.includes(n) };
    this.measurement = new GroupSink(ctx, group(file, "/entry/measurement"));
  }

  /** Creates the scan file and writes everything the header knows. Never overwrites a file. */
  static async open(header: ScanHeader, opts: Hdf5WriterOptions = {}): Promise<Hdf5ScanWriter> {
    await h5ready();
    const dir = path.resolve(header.path);
    mkdirSync(dir, { recursive: true });
    const fileName = scanFilePath(dir, header.scannr);
    const reserve = opts.reserveBytes ?? 16e6;
    const free = freeBytes(dir);
    if (free < reserve) throw new Error(`only ${mb(free)} free in ${dir}, less than the ${mb(reserve)} kept in reserve: scan not started`);
    const refuse = () => new Error(`scan file ${fileName} already exists; refusing to overwrite it`);
    if (existsSync(fileName)) throw refuse();
    const file = new h5wasm.File(fileName, "x"); // H5F_ACC_EXCL: fails rather than truncates
    if (file.file_id < 0n) throw existsSync(fileName) ? refuse() : new Error(`HDF5 could not create ${fileName}`);
    try {
      setAttr(file, "default", "entry");
      const entry = createGroup(file, "entry", "NXentry");
      createFixedStrings(entry, "description", [header.description], Math.max(100, longestBytes([header.description]) + 1));
      createDataset(entry, "start_time", { data: iso(header.startTime) });
      createDataset(entry, "status", { data: "running" });
      const tags = createGroup(entry, "tags", "NXcollection");
      for (const [k, v] of Object.entries(header.tags)) writeValue(tags, h5name(k), v, dir);
      const snapshots = createGroup(entry, "snapshots", "NXcollection");
      writeDict(createGroup(snapshots, "pre_scan", "NXcollection"), header.snapshot, dir);
      writeOriginalDict(createGroup(entry, "snapshot", "NXcollection"), header.snapshot, dir);
      createGroup(entry, "measurement", "NXcollection");
      for (const [k, link] of Object.entries(header.links ?? {})) writeValue(entry, h5name(k), link, dir);
      // left by a writer that was killed
      for (const f of readdirSync(dir)) if (/^\.\d{6,}\.h5\.spare$/.test(f)) rmSync(path.join(dir, f), { force: true });
      writeFileSync(spareFile(fileName), Buffer.alloc(Math.min(reserve, SPARE_BYTES)));
      const writer = new Hdf5ScanWriter(file, fileName, header, opts.flushIntervalMs ?? 1000, opts.gzip ?? [], reserve);
      writer.flush();
      return writer;
    } catch (e) {
      try { file.close(); } catch { /* the first error is the one to tell */ }
      rmSync(spareFile(fileName), { force: true });
      throw e;
    }
  }

  /** Appends one point. Flushes if the last flush is `flushIntervalMs` old. */
  write(point: ScanPoint): void {
    this.check("write");
    if (point.scannr !== this.header.scannr) throw new Error(`point of scan ${point.scannr} sent to the file of scan ${this.header.scannr}`);
    if (!Number.isInteger(point.index) || point.index < this.rows)
      throw new Error(`${this.fileName}: point index ${point.index} after ${this.rows} points`);
    const bytes = valueBytes(point.data);
    if (this.free - this.sinceStatfs - bytes < this.reserveBytes) this.checkSpace(bytes);
    this.sinceStatfs += bytes;
    this.sinceFlush += bytes;
    try {
      this.measurement.appendAll(point.index, point.data);
    } finally {
      // even a point that failed half-way counts, so that close() can pad every column to the same length
      this.rows = point.index + 1;
      this.dirty = true;
    }
    if (!this.plotDone) this.tryPlot();
    const age = Date.now() - this.lastFlush;
    if (age >= this.flushIntervalMs) this.flush();
    else this.timer ??= setTimeout(() => this.timedFlush(), this.flushIntervalMs - age).unref();
  }

  /**
   * A suspension began (its end not yet known: NaN) or ended: entry/suspensions
   * is brought up to date and the file flushed at once, so a scan that dies
   * later still lists it.
   */
  suspension(s: ScanSuspension): void {
    this.check("suspension");
    if (s.status === "suspended") this.suspensions.push({ start: s.time, end: NaN, reason: s.reason, index: s.index });
    else {
      const open = this.suspensions.findLast((row) => Number.isNaN(row.end));
      if (open) open.end = s.time;
    }
    writeSuspensions(this.entry, this.suspensions);
    this.flush();
  }

  /** Writes buffered rows and flushes HDF5's caches to the file. */
  flush(): void {
    this.check("flush");
    clearTimeout(this.timer);
    this.timer = undefined;
    this.measurement.drain();
    flushFile(this.file.file_id);
    this.lastFlush = Date.now();
    this.dirty = false;
    this.sinceFlush = 0;
    if (!this.closing) this.checkSpace(0);
  }

  /**
   * Fails the scan while there is still room to close the file: less than the
   * reserve free, or the file gone (its directory deleted: the data would go
   * to a file nobody can open).
   */
  private checkSpace(more: number): void {
    this.checkFileThere();
    this.free = freeBytes(path.dirname(this.fileName));
    // what HDF5 has not yet written may still need room
    this.sinceStatfs = this.sinceFlush;
    if (this.free - this.sinceStatfs - more < this.reserveBytes)
      throw new Error(`the disk is nearly full: ${mb(this.free)} free in ${path.dirname(this.fileName)}, `
        + `${mb(this.reserveBytes)} kept in reserve to close the file; it holds the first ${this.rows} points`);
  }

  /** Writes the footer (status, end time, error, post-scan snapshot) and closes the file. */
  close(footer: ScanFooter): void {
    if (this.closed) throw new Error(`close: ${this.fileName} is already closed`);
    if (footer.scannr !== this.header.scannr) throw new Error(`footer of scan ${footer.scannr} sent to the file of scan ${this.header.scannr}`);
    const earlier = this.failure; // a failed timed flush: still try to finish and close the file
    this.failure = undefined;
    this.closing = true;
    rmSync(spareFile(this.fileName), { force: true });
    try {
      this.measurement.finish(this.rows);
      if (!this.plotDone) this.tryPlot();
      createDataset(this.entry, "end_time", { data: iso(footer.endTime) });
      writeStrings(this.file.file_id, "/entry/status", [], [footer.status]);
      if (footer.status === "failed" || footer.error !== undefined)
        createDataset(this.entry, "error", { data: footer.error ?? "(no message)" });
      writeDict(createGroup(group(this.entry, "snapshots"), "post_scan", "NXcollection"), footer.snapshot, path.dirname(this.fileName));
      if (footer.stats && Object.keys(footer.stats).length) writeStats(this.entry, footer.stats);
      // the footer's list is the whole one (a suspension still open when the scan ended ends there)
      if (footer.suspensions?.length) writeSuspensions(this.entry, footer.suspensions);
      this.flush();
    } finally {
      clearTimeout(this.timer);
      this.closed = true;
      if (this.file.close() < 0) throw new Error(`HDF5: closing ${this.fileName} failed`);
    }
    if (earlier !== undefined) throw earlier;
    this.checkFileThere();
  }

  private checkFileThere(): void {
    let ino: number | undefined;
    try { ino = statSync(this.fileName).ino; } catch { /* gone */ }
    if (ino !== this.inode) throw new Error(`${this.fileName} was deleted during the scan (or its directory was): its data are lost`);
  }

  /** Number of points (rows) received so far. */
  get points(): number { return this.rows; }

  private check(what: string): void {
    if (this.failure !== undefined) {
      const e = this.failure;
      this.failure = undefined;
      throw e;
    }
    if (this.closed) throw new Error(`${what}: ${this.fileName} is already closed`);
  }

  private timedFlush(): void {
    this.timer = undefined;
    if (this.closed || !this.dirty) return;
    try { this.flush(); } catch (e) { this.failure = e; }
  }

  /** NXdata `plot`: first detector with a numeric scalar column against the first motor (a fly scan: a map). */
  private tryPlot(): void {
    if (this.header.map) return this.tryMap(this.header.map);
    const sinks = this.measurement.sinks;
    const numeric = (name: string) => {
      const s = sinks.get(h5name(name));
      return s?.rowShape !== undefined && s.kind !== "boolean" ? s.rowShape : undefined;
    };
    const signal = this.header.detectors.find((d) => numeric(d)?.length === 0)
      ?? this.header.detectors.find((d) => numeric(d) !== undefined);
    if (signal === undefined) return;
    const motor = this.header.motors.find((m) => numeric(m)?.length === 0);
    const plot = createGroup(this.entry, "plot", "NXdata");
    softLink(plot, `/entry/measurement/${h5name(signal)}`, h5name(signal));
    setAttr(plot, "signal", h5name(signal));
    if (motor !== undefined && motor !== signal) {
      softLink(plot, `/entry/measurement/${h5name(motor)}`, h5name(motor));
      setAttr(plot, "axes", [h5name(motor)]);
      setAttr(plot, `${h5name(motor)}_indices`, 0);
    }
    setAttr(this.entry, "default", "plot");
    this.plotDone = true;
  }

  /**
   * A fly scan's NXdata `plot`: the first detector with one value per trigger,
   * `(lines, triggers)`, over the slow and fast coordinates; each `<axis>_indices`
   * says which dimensions of the signal the coordinate spans (NeXus coordinate arrays).
   */
  private tryMap([slow, fast]: [string, string]): void {
    const sinkAt = (p: string) => {
      const keys = p.split("/").map(h5name);
      let g: GroupSink | undefined = this.measurement;
      for (const k of keys.slice(0, -1)) {
        const sub = g?.sinks.get(k);
        g = sub instanceof GroupSink ? sub : undefined;
      }
      return g?.sinks.get(keys[keys.length - 1]);
    };
    const shapes = [sinkAt(slow)?.rowShape, sinkAt(fast)?.rowShape];
    if (!shapes[0] || shapes[1]?.length !== 1) return;
    const signal = this.header.detectors.find((d) => this.measurement.sinks.get(h5name(d))?.rowShape?.join() === shapes[1]!.join());
    if (signal === undefined) return;
    const names = [slow, fast].map((p) => h5name(p.split("/").pop()!));
    if (names[0] === names[1] || names.includes(h5name(signal))) return;
    const plot = createGroup(this.entry, "plot", "NXdata");
    softLink(plot, `/entry/measurement/${h5name(signal)}`, h5name(signal));
    setAttr(plot, "signal", h5name(signal));
    setAttr(plot, "axes", names);
    [slow, fast].forEach((p, i) => {
      softLink(plot, `/entry/measurement/${p.split("/").map(h5name).join("/")}`, names[i]);
      setAttr(plot, `${names[i]}_indices`, shapes[i]!.length ? [0, 1] : [0]);
    });
    setAttr(this.entry, "default", "plot");
    this.plotDone = true;
  }
}

/** A snapshot or tag value as a fixed dataset (null -> NaN), link or group. */
function writeValue(parent: Group, name: string, v: Value, dir: string): void {
  if (v === null || typeof v === "number") createDataset(parent, name, { data: new Float64Array([v ?? NaN]), shape: [] });
  else if (typeof v === "boolean") createDataset(parent, name, { data: new Uint8Array([v ? 1 : 0]), shape: [] });
  else if (typeof v === "string") createDataset(parent, name, { data: v });
  else if (isTypedArray(v)) createDataset(parent, name, { data: v, dtype: h5dtype(v), shape: [v.length] });
  else if (isNdArray(v)) createDataset(parent, name, { data: v.data, dtype: h5dtype(v.data), shape: v.shape });
  else if (isLink(v)) externalLink(parent, linkTarget({ fileId: parent.file_id, dir, gzip: () => false }, v), v.path, name);
  else writeDict(createGroup(parent, name, "NXcollection"), v, dir);
}

function writeDict(g: Group, d: ValueDict, dir: string): void {
  for (const [k, v] of Object.entries(d)) writeValue(g, h5name(k), v, dir);
}

/**
 * `entry/stats/<det>/`: `axis` (the first motor's name) and the statistics
 * along it as scalars (peak, min, cen, com, fwhm, max_value, min_value; NaN
 * where undefined); for grid scans also `<det>/<motor>/...` for every axis.
 */
function writeStats(entry: Group, stats: ScanStats): void {
  const top = createGroup(entry, "stats", "NXcollection");
  const fields = (g: Group, s: ScanStats[string][string]) => {
    const values: [string, number | null][] = [
      ["peak", s.peak], ["min", s.min], ["cen", s.cen], ["com", s.com], ["fwhm", s.fwhm], ["max_value", s.maxValue], ["min_value", s.minValue],
    ];
    for (const [k, v] of values) createDataset(g, k, { data: new Float64Array([v ?? NaN]), shape: [] });
  };
  for (const [det, perAxis] of Object.entries(stats)) {
    const axes = Object.keys(perAxis);
    const g = createGroup(top, h5name(det), "NXcollection");
    createDataset(g, "axis", { data: axes[0] });
    fields(g, perAxis[axes[0]]);
    if (axes.length > 1) for (const a of axes) fields(createGroup(g, h5name(a), "NXcollection"), perAxis[a]);
  }
}

/** entry/suspensions as `list`: growable columns, created on the first suspension, rewritten whole (a scan has few). */
function writeSuspensions(entry: Group, list: Suspension[]): void {
  const columns = { start: Float64Array.from(list, (s) => s.start), end: Float64Array.from(list, (s) => s.end), point: Int32Array.from(list, (s) => s.index) };
  const fileId = entry.file_id;
  const at = `${entry.path}/suspensions`;
  if (!entry.keys().includes("suspensions")) {
    const g = createGroup(entry, "suspensions", "NXcollection");
    for (const [name, data] of Object.entries(columns)) createDataset(g, name, { data: data.subarray(0, 0), shape: [0], maxshape: [null], chunks: [64] });
    createDataset(g, "reason", { data: [], dtype: "S", shape: [0], maxshape: [null], chunks: [64] });
  }
  for (const [name, data] of Object.entries(columns)) {
    resize(fileId, `${at}/${name}`, [list.length]);
    if (list.length) writeBytes(fileId, `${at}/${name}`, [0], [list.length], [bytesOf(data)]);
  }
  resize(fileId, `${at}/reason`, [list.length]);
  if (list.length) writeStrings(fileId, `${at}/reason`, [0], list.map((s) => s.reason));
}

/** The original's layout: a scalar or string as a one-element 1-D dataset, None as the string "None", arrays as they are. */
function writeOriginalDict(g: Group, d: ValueDict, dir: string): void {
  for (const [key, v] of Object.entries(d)) {
    const name = h5name(key);
    if (v === null || typeof v === "string") {
      const s = v ?? "None";
      createFixedStrings(g, name, [s], Math.max(100, longestBytes([s]) + 1));
    } else if (typeof v === "number") createDataset(g, name, { data: new Float64Array([v]), shape: [1] });
    else if (typeof v === "boolean") createDataset(g, name, { data: new Uint8Array([v ? 1 : 0]), shape: [1] });
    else if (isDict(v)) writeOriginalDict(createGroup(g, name, "NXcollection"), v, dir);
    else writeValue(g, name, v, dir);
  }
}
