/**
 * The growing contents of `entry/measurement`: one "sink" per key of a point's
 * data, chosen by the first non-null value seen for that key.
 *
 *   number  -> float64 (N,)          boolean -> uint8 (N,)
 *   string  -> fixed-length ASCII string (N,), as the original wrote them (h5py reads bytes);
 *              at least 256 bytes wide, or as wide as the longest string of the first slab;
 *              a later string too long for the column fails that point with a clear message
 *   only null -> the string "None" at every point, as the original wrote None
 *   TypedArray -> (N, len) of its dtype;  NdArray -> (N, ...shape) of its dtype
 *   dict    -> subgroup, same rules recursively
 *   Link, universal -> one external link;  Link per point -> group of links 000000, 000001, ...
 *
 * Rows are buffered in memory and written as one slab (resize + one write)
 * when a column holds >= 1 MiB or when the writer flushes, so a dataset is
 * opened a few times per second rather than a few times per point. A missing
 * or null value leaves a gap: NaN for float64, 0 for other numbers, "None" for
 * strings, no link for per-point links.
 */
import path from "node:path";
import type { Group } from "h5wasm/node";
import { isDict, isLink, isNdArray, isTypedArray, type Link, type TypedArray, type Value, type ValueDict } from "../../data/values.ts";
import {
  bytesOf, createDataset, createFixedStrings, createGroup, externalLink, fixedStrings, h5dtype, h5name, longestBytes, resize,
  writeBytes,
} from "./h5lib.ts";

/** Where (scan file directory, compression choice) the sinks write. */
export interface SinkContext {
  fileId: bigint;
  /** directory of the scan file: link targets are made relative to it */
  dir: string;
  gzip: (name: string) => boolean;
}

interface Sink {
  /** JS kind this sink accepts, for error messages */
  readonly kind: string;
  /** numeric sinks describe their layout (used to pick the NXdata signal) */
  readonly rowShape?: number[];
  append(row: number, v: Exclude<Value, null>): void;
  /** write anything buffered */
  drain(): void;
  /** pad to `rows` rows, then drain */
  finish(rows: number): void;
}

const SLAB_BYTES = 1 << 20;
const CHUNK_BYTES = 256 << 10; // below HDF5's 1 MiB chunk cache: partial writes stay cached

function kindOf(v: Exclude<Value, null>): string {
  if (typeof v === "number") return "number";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "string") return "string";
  if (isTypedArray(v)) return `${h5dtype(v)} array`;
  if (isNdArray(v)) return `${h5dtype(v.data)} ndarray`;
  if (isLink(v)) return v.universal ? "universal link" : "per-point link";
  return "dict";
}

class NumericColumn implements Sink {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private onDisk = 0;
  private rows = 0;
  private readonly rowBytes: number;
  private readonly fill: Uint8Array;

  constructor(private ctx: SinkContext, private path: string, readonly kind: string,
    readonly rowShape: number[], dtype: string, elemBytes: number, gzip: boolean, parent: Group, name: string) {
    this.rowBytes = elemBytes * rowShape.reduce((a, b) => a * b, 1);
    const n = rowShape.reduce((a, b) => a * b, 1);
    this.fill = dtype === "<d" ? bytesOf(new Float64Array(n).fill(NaN))
      : dtype === "<f" ? bytesOf(new Float32Array(n).fill(NaN)) : new Uint8Array(this.rowBytes);
    const chunkRows = this.rowBytes >= CHUNK_BYTES ? 1 : Math.min(1000, Math.floor(CHUNK_BYTES / Math.max(1, this.rowBytes)));
    createDataset(parent, name, {
      data: emptyOf(dtype), dtype, shape: [0, ...rowShape], maxshape: [null, ...rowShape.map((n) => n || null)],
      chunks: [chunkRows, ...rowShape.map((n) => Math.max(1, n))], gzip,
    });
  }

  append(row: number, v: Exclude<Value, null>): void {
    const kind = kindOf(v);
    if (kind !== this.kind) throw new Error(`${this.path}: point ${row} gives a ${kind}, earlier points gave a ${this.kind}`);
    let bytes: Uint8Array;
    if (typeof v === "number") bytes = bytesOf(new Float64Array([v]));
    else if (typeof v === "boolean") bytes = new Uint8Array([v ? 1 : 0]);
    else {
      const nd = isNdArray(v) ? v : { shape: [(v as TypedArray).length], data: v as TypedArray };
      if (nd.shape.length !== this.rowShape.length || nd.shape.some((n, i) => n !== this.rowShape[i]))
        throw new Error(`${this.path}: point ${row} has shape ${JSON.stringify(nd.shape)}, earlier points ${JSON.stringify(this.rowShape)}`);
      bytes = bytesOf(nd.data);
      // small rows are copied (the caller may reuse its buffer); big ones are written before we return
      if (bytes.byteLength < SLAB_BYTES) bytes = bytes.slice();
    }
    this.padTo(row);
    this.push(bytes);
  }

  private push(bytes: Uint8Array): void {
    this.pending.push(bytes);
    this.pendingBytes += bytes.byteLength;
    this.rows++;
    if (this.pendingBytes >= SLAB_BYTES) this.drain();
  }

  private padTo(row: number): void {
    if (row < this.rows) throw new Error(`${this.path}: point ${row} arrived after point ${this.rows - 1}`);
    while (this.rows < row) this.push(this.fill);
  }

  drain(): void {
    const n = this.pending.length;
    if (n === 0) return;
    resize(this.ctx.fileId, this.path, [this.onDisk + n, ...this.rowShape]);
    writeBytes(this.ctx.fileId, this.path, [this.onDisk, ...this.rowShape.map(() => 0)], [n, ...this.rowShape], this.pending);
    this.onDisk += n;
    this.pending = [];
    this.pendingBytes = 0;
  }

  finish(rows: number): void {
    this.padTo(rows);
    this.drain();
  }
}

function emptyOf(dtype: string): TypedArray {
  const ctors: Record<string, new (n: number) => TypedArray> = {
    "<d": Float64Array, "<f": Float32Array, "<B": Uint8Array, "<b": Int8Array, "<H": Uint16Array, "<h": Int16Array,
    "<I": Uint32Array, "<i": Int32Array, "<q": BigInt64Array, "<Q": BigUint64Array,
  };
  return new ctors[dtype](0);
}

const NONE = "None";
const MIN_STRING_WIDTH = 256;

/** Fixed-length strings; the dataset is created at the first drain, as wide as that slab needs. */
class StringColumn implements Sink {
  readonly kind = "string";
  private pending: string[] = [];
  private onDisk = 0;
  private width = 0;
  constructor(private ctx: SinkContext, private path: string, private parent: Group, private name: string) {}
  append(row: number, v: Exclude<Value, null>): void {
    if (typeof v !== "string") throw new Error(`${this.path}: point ${row} gives a ${kindOf(v)}, earlier points gave a string`);
    const bytes = Buffer.byteLength(v, "utf8");
    if (this.width && bytes > this.width)
      throw new Error(`${this.path}: point ${row} gives a string of ${bytes} bytes; the column's fixed length is ${this.width}`);
    this.padTo(row);
    this.pending.push(v);
  }
  private padTo(row: number): void {
    const rows = this.onDisk + this.pending.length;
    if (row < rows) throw new Error(`${this.path}: point ${row} arrived after point ${rows - 1}`);
    for (let i = rows; i < row; i++) this.pending.push(NONE);
  }
  drain(): void {
    if (this.pending.length === 0) return;
    if (!this.width) {
      this.width = Math.max(MIN_STRING_WIDTH, longestBytes(this.pending) + 1);
      createFixedStrings(this.parent, this.name, this.pending, this.width);
    } else {
      resize(this.ctx.fileId, this.path, [this.onDisk + this.pending.length]);
      writeBytes(this.ctx.fileId, this.path, [this.onDisk], [this.pending.length], [fixedStrings(this.pending, this.width)]);
    }
    this.onDisk += this.pending.length;
    this.pending = [];
  }
  finish(rows: number): void { this.padTo(rows); this.drain(); }
}

/** A link target as stored in the scan file: relative to the scan file's directory. */
export function linkTarget(ctx: SinkContext, link: Link): string {
  // relative paths are taken as relative to the scan directory already
  const abs = path.resolve(ctx.dir, link.file);
  return path.relative(ctx.dir, abs).split(path.sep).join("/");
}

class UniversalLink implements Sink {
  readonly kind = "universal link";
  private first?: Link;
  constructor(private ctx: SinkContext, private path: string, private parent: Group, private name: string) {}
  append(row: number, v: Exclude<Value, null>): void {
    if (!isLink(v) || !v.universal) throw new Error(`${this.path}: point ${row} gives a ${kindOf(v)}, earlier points gave a universal link`);
    if (!this.first) {
      this.first = v;
      externalLink(this.parent, linkTarget(this.ctx, v), v.path, this.name);
    } else if (v.file !== this.first.file || v.path !== this.first.path) {
      throw new Error(`${this.path}: universal link changed at point ${row} (${v.file}:${v.path}, was ${this.first.file}:${this.first.path})`);
    }
  }
  drain(): void {}
  finish(): void {}
}

class PointLinks implements Sink {
  readonly kind = "per-point link";
  private readonly group: Group;
  constructor(private ctx: SinkContext, private path: string, parent: Group, name: string) {
    this.group = createGroup(parent, name, "NXcollection");
  }
  append(row: number, v: Exclude<Value, null>): void {
    if (!isLink(v) || v.universal) throw new Error(`${this.path}: point ${row} gives a ${kindOf(v)}, earlier points gave a per-point link`);
    externalLink(this.group, linkTarget(this.ctx, v), v.path, String(row).padStart(6, "0"));
  }
  drain(): void {}
  finish(): void {}
}

/** A group of sinks: `entry/measurement` itself, or a dict detector's subgroup. */
export class GroupSink implements Sink {
  readonly kind = "dict";
  readonly sinks = new Map<string, Sink>();
  /** keys seen only as null so far */
  private nullOnly = new Set<string>();

  /** `gzipAll`: compress everything below (the group is a detector listed for compression) */
  constructor(private ctx: SinkContext, readonly group: Group, private gzipAll = false) {}

  append(row: number, v: Exclude<Value, null>): void {
    if (!isDict(v)) throw new Error(`${this.group.path}: point ${row} gives a ${kindOf(v)}, earlier points gave a dict`);
    this.appendAll(row, v);
  }

  appendAll(row: number, data: ValueDict): void {
    for (const [key, value] of Object.entries(data)) {
      const name = h5name(key);
      if (value === null || value === undefined) {
        if (!this.sinks.has(name)) this.nullOnly.add(name);
        continue;
      }
      let sink = this.sinks.get(name);
      if (!sink) {
        sink = this.create(name, value, key);
        this.sinks.set(name, sink);
        this.nullOnly.delete(name);
      }
      sink.append(row, value);
    }
  }

  private create(name: string, v: Exclude<Value, null>, key: string): Sink {
    const p = `${this.group.path}/${name}`;
    const gz = this.gzipAll || this.ctx.gzip(key);
    const kind = kindOf(v);
    if (typeof v === "number") return new NumericColumn(this.ctx, p, kind, [], "<d", 8, gz, this.group, name);
    if (typeof v === "boolean") return new NumericColumn(this.ctx, p, kind, [], "<B", 1, gz, this.group, name);
    if (typeof v === "string") return new StringColumn(this.ctx, p, this.group, name);
    if (isTypedArray(v)) return new NumericColumn(this.ctx, p, kind, [v.length], h5dtype(v), v.BYTES_PER_ELEMENT, gz, this.group, name);
    if (isNdArray(v)) return new NumericColumn(this.ctx, p, kind, [...v.shape], h5dtype(v.data), v.data.BYTES_PER_ELEMENT, gz, this.group, name);
    if (isLink(v)) return v.universal ? new UniversalLink(this.ctx, p, this.group, name) : new PointLinks(this.ctx, p, this.group, name);
    return new GroupSink(this.ctx, createGroup(this.group, name, "NXcollection"), gz);
  }

  drain(): void { for (const s of this.sinks.values()) s.drain(); }

  finish(rows: number): void {
    for (const name of this.nullOnly) {
      // never saw a value: "None" at every point, as the original wrote None
      this.sinks.set(name, new StringColumn(this.ctx, `${this.group.path}/${name}`, this.group, name));
    }
    this.nullOnly.clear();
    for (const s of this.sinks.values()) s.finish(rows);
  }
}
