/** Reads NumPy .npy files (versions 1–3, C order, little-endian or byte-sized types). */
import { readFileSync } from "node:fs";

export type NumericArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

export interface NdArray {
  shape: number[];
  data: NumericArray;
}

const TYPES: Record<string, (b: ArrayBuffer, o: number, n: number) => NumericArray> = {
  b1: (b, o, n) => new Uint8Array(b, o, n), u1: (b, o, n) => new Uint8Array(b, o, n), i1: (b, o, n) => new Int8Array(b, o, n),
  u2: (b, o, n) => new Uint16Array(b, o, n), i2: (b, o, n) => new Int16Array(b, o, n),
  u4: (b, o, n) => new Uint32Array(b, o, n), i4: (b, o, n) => new Int32Array(b, o, n),
  f4: (b, o, n) => new Float32Array(b, o, n), f8: (b, o, n) => new Float64Array(b, o, n),
};

export function readNpy(path: string): NdArray {
  const bytes = readFileSync(path);
  if (bytes.length < 10 || bytes.toString("latin1", 0, 6) !== "\x93NUMPY") throw new Error(`${path} is not a .npy file`);
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = bytes.toString("latin1", start, start + headerLength);
  const descr = /'descr':\s*'([<>|=])([a-z]\d)'/.exec(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !shapeText) throw new Error(`${path}: unreadable .npy header ${header.trim()}`);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${path}: Fortran-ordered arrays are not read`);
  const make = TYPES[descr[2]];
  if (!make || descr[1] === ">") throw new Error(`${path}: element type '${descr[1]}${descr[2]}' is not read`);
  const shape = shapeText[1].split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLength;
  // copy so the typed array is aligned whatever the header length
  const body = new Uint8Array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + bytes.length));
  if (body.byteLength < count * Number(descr[2][1])) throw new Error(`${path}: file is shorter than its shape ${shape.join("×")}`);
  return { shape, data: make(body.buffer, 0, count) };
}
