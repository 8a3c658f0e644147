/**
 * A small Python pickle (protocol 2) writer, for the stream format that the
 * original Contrast's consumers read with `pickle.loads` (pyzmq's `recv_pyobj`).
 *
 *   null -> None, boolean -> bool, number -> float, bigint -> int, string -> str,
 *   JS array -> list, plain object -> dict,
 *   TypedArray / NdArray -> numpy.ndarray (rebuilt by numpy.core.multiarray._reconstruct,
 *   exactly as numpy pickles itself at protocol 2)
 *
 * Numbers are floats because JavaScript cannot tell 1 from 1.0; say `BigInt(n)`
 * where Python should see an int. No memo is written: loading needs none.
 */
import { isNdArray, isTypedArray, type TypedArray } from "../../data/values.ts";
import { dtypeOf } from "./wire.ts";

export type Picklable = null | boolean | number | bigint | string | TypedArray | { shape: number[]; data: TypedArray }
  | Picklable[] | { [key: string]: Picklable };

const OP = {
  PROTO: 0x80, STOP: 0x2e, NONE: 0x4e, TRUE: 0x88, FALSE: 0x89, BINFLOAT: 0x47, BININT1: 0x4b, BININT2: 0x4d,
  BININT: 0x4a, LONG1: 0x8a, BINUNICODE: 0x58, GLOBAL: 0x63, MARK: 0x28, TUPLE: 0x74, TUPLE1: 0x85, TUPLE2: 0x86,
  TUPLE3: 0x87, EMPTY_LIST: 0x5d, APPENDS: 0x65, EMPTY_DICT: 0x7d, SETITEMS: 0x75, REDUCE: 0x52, BUILD: 0x62,
} as const;

class Writer {
  private readonly parts: Buffer[] = [];
  op(...bytes: number[]): void { this.parts.push(Buffer.from(bytes)); }
  raw(b: Buffer): void { this.parts.push(b); }
  result(): Buffer { return Buffer.concat(this.parts); }

  float(x: number): void {
    const b = Buffer.alloc(9);
    b[0] = OP.BINFLOAT;
    b.writeDoubleBE(x, 1);
    this.raw(b);
  }

  int(n: bigint | number): void {
    const v = BigInt(n);
    if (v >= 0n && v < 256n) return this.op(OP.BININT1, Number(v));
    if (v >= 0n && v < 65536n) return this.op(OP.BININT2, Number(v) & 0xff, Number(v) >> 8);
    if (v >= -(2n ** 31n) && v < 2n ** 31n) {
      const b = Buffer.alloc(5);
      b[0] = OP.BININT;
      b.writeInt32LE(Number(v), 1);
      return this.raw(b);
    }
    // LONG1: little-endian two's complement, as few bytes as keep the sign
    const bytes: number[] = [];
    let rest = v;
    for (;;) {
      const byte = Number(rest & 0xffn);
      bytes.push(byte);
      rest >>= 8n;
      if ((rest === 0n && byte < 0x80) || (rest === -1n && byte >= 0x80)) break;
    }
    this.op(OP.LONG1, bytes.length, ...bytes);
  }

  str(s: string): void {
    const utf8 = Buffer.from(s, "utf8");
    const head = Buffer.alloc(5);
    head[0] = OP.BINUNICODE;
    head.writeUInt32LE(utf8.length, 1);
    this.raw(head);
    this.raw(utf8);
  }

  global(module: string, name: string): void {
    this.op(OP.GLOBAL);
    this.raw(Buffer.from(`${module}\n${name}\n`, "latin1"));
  }

  /** Protocol 2 has no bytes type: Python writes `_codecs.encode(<latin-1 text>, 'latin1')`. */
  bytes(b: Buffer): void {
    this.global("_codecs", "encode");
    this.str(b.toString("latin1"));
    this.str("latin1");
    this.op(OP.TUPLE2, OP.REDUCE);
  }

  tuple(items: (() => void)[]): void {
    if (items.length <= 3) {
      items.forEach((f) => f());
      this.op([0x29, OP.TUPLE1, OP.TUPLE2, OP.TUPLE3][items.length]); // 0x29: EMPTY_TUPLE
      return;
    }
    this.op(OP.MARK);
    items.forEach((f) => f());
    this.op(OP.TUPLE);
  }

  ndarray(data: TypedArray, shape: number[]): void {
    const dtype = dtypeOf(data); // "<u2", "|u1", ...
    this.global("numpy.core.multiarray", "_reconstruct");
    this.tuple([() => this.global("numpy", "ndarray"), () => this.tuple([() => this.int(0)]), () => this.bytes(Buffer.from("b", "latin1"))]);
    this.op(OP.REDUCE);
    // state: (version 1, shape, dtype, fortran order?, raw bytes)
    this.tuple([
      () => this.int(1),
      () => this.tuple(shape.map((n) => () => this.int(n))),
      () => {
        this.global("numpy", "dtype");
        this.tuple([() => this.str(dtype.slice(1)), () => this.op(OP.FALSE), () => this.op(OP.TRUE)]);
        this.op(OP.REDUCE);
        // dtype state: (3, byte order, subarray, names, fields, itemsize, alignment, flags)
        this.tuple([() => this.int(3), () => this.str(dtype[0]), () => this.op(OP.NONE), () => this.op(OP.NONE),
          () => this.op(OP.NONE), () => this.int(-1), () => this.int(-1), () => this.int(0)]);
        this.op(OP.BUILD);
      },
      () => this.op(OP.FALSE),
      () => this.bytes(Buffer.from(data.buffer, data.byteOffset, data.byteLength)),
    ]);
    this.op(OP.BUILD);
  }

  value(v: Picklable): void {
    if (v === null || v === undefined) return this.op(OP.NONE);
    if (typeof v === "boolean") return this.op(v ? OP.TRUE : OP.FALSE);
    if (typeof v === "number") return this.float(v);
    if (typeof v === "bigint") return this.int(v);
    if (typeof v === "string") return this.str(v);
    if (isTypedArray(v)) return this.ndarray(v, [v.length]);
    if (isNdArray(v)) return this.ndarray(v.data, v.shape);
    if (Array.isArray(v)) {
      this.op(OP.EMPTY_LIST);
      if (v.length === 0) return;
      this.op(OP.MARK);
      v.forEach((x) => this.value(x));
      return this.op(OP.APPENDS);
    }
    this.op(OP.EMPTY_DICT);
    const entries = Object.entries(v);
    if (entries.length === 0) return;
    this.op(OP.MARK);
    for (const [k, x] of entries) {
      this.str(k);
      this.value(x);
    }
    this.op(OP.SETITEMS);
  }
}

/** `pickle.dumps(value, protocol=2)` as Python would load it. */
export function pickle(value: Picklable): Buffer {
  const w = new Writer();
  w.op(OP.PROTO, 2);
  w.value(value);
  w.op(OP.STOP);
  return w.result();
}
