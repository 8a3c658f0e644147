/**
 * A thin, *checked* layer over h5wasm for the scan writer.
 *
 * h5wasm reports most failures silently (a failed open gives a negative file
 * id, creating an existing dataset returns the old one, a failed write only
 * prints to stderr), so every call here checks its result and throws an Error
 * that names the object. Writes go straight to h5wasm's Module so that we can
 * reuse one staging buffer in the wasm heap and write variable-length strings
 * by hyperslab (h5wasm's `write_slice` cannot).
 */
import h5wasm from "h5wasm/node";
import type { Group, Dataset } from "h5wasm/node";
import type { TypedArray } from "../../data/values.ts";

export type H5Module = Awaited<typeof h5wasm.ready>;

let mod: H5Module | undefined;
/**
 * Loads the wasm HDF5 library once. HDF5's errors then throw (see h5error)
 * instead of printing a stack of 30 lines to stderr and going on: h5wasm
 * ignores, for one, a failed write of the chunk cache when it closes a
 * dataset, so a full disk went unnoticed.
 */
export async function h5ready(): Promise<H5Module> {
  if (!mod) {
    mod = await h5wasm.ready;
    mod.activate_throwing_error_handler();
  }
  return mod;
}

/**
 * One line for an error HDF5 threw: its stack of `#NNN: file line N in
 * function(): what` entries boiled down to the system's reason (e.g. "No
 * space left on device") or else the innermost entry's words.
 */
export function h5error(e: unknown): string {
  const s = e instanceof Error ? e.message : String(e);
  if (!s.includes("HDF5-DIAG")) return s;
  const sys = /error message = '([^']*)'/.exec(s);
  if (sys) return sys[1];
  const entries = [...s.matchAll(/#\d+: .*? in [\w]+\(\): (.*)/g)].map((m) => m[1].trim());
  return entries.length ? `HDF5: ${entries[entries.length - 1]}` : s.split("\n")[0];
}
function M(): H5Module {
  if (!mod) throw new Error("h5wasm is not loaded yet: await h5ready() first");
  return mod;
}

/** h5wasm dtype strings (Python struct codes, not numpy's) for each typed array. */
export function h5dtype(a: TypedArray): string {
  if (a instanceof Float64Array) return "<d";
  if (a instanceof Float32Array) return "<f";
  if (a instanceof Uint8Array) return "<B";
  if (a instanceof Int8Array) return "<b";
  if (a instanceof Uint16Array) return "<H";
  if (a instanceof Int16Array) return "<h";
  if (a instanceof Uint32Array) return "<I";
  if (a instanceof Int32Array) return "<i";
  if (a instanceof BigInt64Array) return "<q";
  if (a instanceof BigUint64Array) return "<Q";
  throw new Error(`unsupported typed array ${Object.prototype.toString.call(a)}`);
}

export function bytesOf(a: TypedArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** HDF5 link names cannot contain "/" and cannot be "." or empty. */
export function h5name(key: string): string {
  const s = key.replaceAll("/", "_");
  return s === "" || s === "." || s === ".." ? `_${s}` : s;
}

function check(status: number, what: string): void {
  if (status < 0) throw new Error(`HDF5: ${what} failed (status ${status}; details on stderr)`);
}

/** Opens a group that must exist. */
export function group(root: Group, path: string): Group {
  const g = root.get(path);
  if (!(g instanceof h5wasm.Group)) throw new Error(`HDF5: group ${path} does not exist`);
  return g;
}

function mustBeNew(parent: Group, name: string): void {
  if (parent.get(name) !== null) throw new Error(`HDF5: ${parent.path}/${name} already exists`);
}

export function createGroup(parent: Group, name: string, nxClass?: string): Group {
  mustBeNew(parent, name);
  parent.create_group(name);
  const g = group(parent, name);
  if (nxClass) setAttr(g, "NX_class", nxClass);
  return g;
}

type AttrValue = string | number | string[] | number[];
/** Creates or replaces an attribute (strings are stored as variable-length UTF-8). */
export function setAttr(obj: Group | Dataset, name: string, value: AttrValue): void {
  if (name in obj.attrs) obj.delete_attribute(name);
  if (typeof value === "number") obj.create_attribute(name, value, [], Number.isInteger(value) ? "<q" : "<d");
  else if (typeof value[0] === "number") obj.create_attribute(name, value as number[], [value.length], "<q"); // integer arrays (_indices)
  else obj.create_attribute(name, value);
  if (!(name in obj.attrs)) throw new Error(`HDF5: could not write attribute ${name} on ${obj.path}`);
}

export interface DatasetSpec {
  data: TypedArray | string | string[];
  dtype?: string;
  shape?: number[];
  maxshape?: (number | null)[];
  chunks?: number[];
  gzip?: boolean;
}
export function createDataset(parent: Group, name: string, spec: DatasetSpec): Dataset {
  mustBeNew(parent, name);
  const ds = parent.create_dataset({
    name, data: spec.data, dtype: spec.dtype ?? null, shape: spec.shape ?? null,
    maxshape: spec.maxshape ?? null, chunks: spec.chunks ?? null,
    ...(spec.gzip ? { compression: "gzip" as const, compression_opts: 4 } : {}),
  });
  if (!(ds instanceof h5wasm.Dataset)) throw new Error(`HDF5: could not create dataset ${parent.path}/${name}`);
  return ds;
}

export function softLink(parent: Group, target: string, name: string): void {
  mustBeNew(parent, name);
  check(parent.create_soft_link(target, name), `soft link ${parent.path}/${name} -> ${target}`);
}

export function externalLink(parent: Group, file: string, target: string, name: string): void {
  mustBeNew(parent, name);
  check(parent.create_external_link(file, target, name), `external link ${parent.path}/${name} -> ${file}:${target}`);
}

export function resize(fileId: bigint, path: string, shape: number[]): void {
  check(M().resize_dataset(fileId, path, shape.map(BigInt)), `resizing ${path} to ${JSON.stringify(shape)}`);
}

export function flushFile(fileId: bigint): void {
  check(M().flush(fileId), "flush");
}

// One staging block in the wasm heap, grown as needed and reused.
let stagePtr = 0;
let stageSize = 0;
function stage(nbytes: number): number {
  if (nbytes > stageSize) {
    if (stagePtr) M()._free(stagePtr);
    stagePtr = 0;
    stageSize = 0;
    const size = Math.max(nbytes, 1 << 16);
    const ptr: unknown = M()._malloc(size);
    if (typeof ptr !== "number" || ptr === 0) throw new Error(`h5wasm: could not allocate ${size} bytes`);
    stagePtr = ptr;
    stageSize = size;
  }
  return stagePtr;
}

function hyperslab(offset: number[], count: number[]): [bigint[], bigint[], bigint[]] {
  return [count.map(BigInt), offset.map(BigInt), count.map(() => 1n)];
}

/** Writes rows (raw little-endian bytes, concatenated) into `count` at `offset`. */
export function writeBytes(fileId: bigint, path: string, offset: number[], count: number[], rows: Uint8Array[]): void {
  const total = rows.reduce((n, r) => n + r.byteLength, 0);
  const ptr = stage(total);
  const heap = M().HEAPU8; // re-read: the heap may have grown
  let at = ptr;
  for (const r of rows) { heap.set(r, at); at += r.byteLength; }
  const [c, o, s] = hyperslab(offset, count);
  check(M().set_dataset_data(fileId, path, c, o, s, BigInt(ptr)), `writing ${path}`);
}

/**
 * Fixed-length ASCII strings (HDF5 C strings of `width` bytes, NUL-padded), which
 * h5py reads as `bytes` of numpy dtype S<width>, as the original Contrast wrote
 * them. Text that is not ASCII is kept as its UTF-8 bytes.
 */
export function fixedStrings(strings: string[], width: number): Uint8Array {
  const out = new Uint8Array(strings.length * width);
  strings.forEach((s, i) => {
    const b = Buffer.from(s, "utf8");
    if (b.byteLength > width) throw new Error(`a string of ${b.byteLength} bytes does not fit ${width}`);
    out.set(b, i * width);
  });
  return out;
}

/** Bytes of a string's longest UTF-8 encoding among `strings` (0 for none). */
export function longestBytes(strings: string[]): number {
  return strings.reduce((n, s) => Math.max(n, Buffer.byteLength(s, "utf8")), 0);
}

/** A 1-D, growable dataset of fixed-length ASCII strings (see fixedStrings), holding `strings`. */
export function createFixedStrings(parent: Group, name: string, strings: string[], width: number): Dataset {
  const ds = createDataset(parent, name, {
    data: new Uint8Array(0), dtype: `A${width}`, shape: [0], maxshape: [null], chunks: [Math.max(1, Math.min(1000, Math.floor((64 << 10) / width)))],
  });
  if (strings.length) {
    resize(parent.file_id, ds.path, [strings.length]);
    writeBytes(parent.file_id, ds.path, [0], [strings.length], [fixedStrings(strings, width)]);
  }
  return ds;
}

/** Writes variable-length strings into a 1-D (or scalar, offset []) string dataset. */
export function writeStrings(fileId: bigint, path: string, offset: number[], strings: string[]): void {
  const enc = new TextEncoder();
  const encoded = strings.map((s) => enc.encode(s));
  const table = 4 * strings.length; // wasm32: a char* is 4 bytes
  const total = table + encoded.reduce((n, e) => n + e.byteLength + 1, 0);
  const ptr = stage(total);
  const heap = M().HEAPU8;
  const view = new DataView(heap.buffer);
  let at = ptr + table;
  encoded.forEach((e, i) => {
    view.setUint32(ptr + 4 * i, at, true);
    heap.set(e, at);
    heap[at + e.byteLength] = 0;
    at += e.byteLength + 1;
  });
  const [c, o, s] = offset.length ? hyperslab(offset, [strings.length]) : [null, null, null];
  check(M().set_dataset_data(fileId, path, c, o, s, BigInt(ptr)), `writing ${path}`);
}
