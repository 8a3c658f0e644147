/**
 * The stream recorder's language-neutral wire format (ZeroMQ multipart):
 *
 *   frame 0    UTF-8 JSON of the message
 *   frame 1..  raw little-endian array buffers
 *
 * Every TypedArray or NdArray anywhere in the message is replaced in the JSON
 * by `{"__array__": <frame index, from 1>, "dtype": "<u2", "shape": [512, 512]}`
 * (numpy dtype strings), so Python rebuilds it with
 * `numpy.frombuffer(frames[i], dtype).reshape(shape)`. Links stay plain JSON.
 * Decoding gives 1-D arrays back as TypedArrays and other shapes as NdArrays.
 * Non-finite numbers (NaN, Infinity) outside arrays become null, as in any JSON.
 */
import { isNdArray, isTypedArray, type NdArray, type TypedArray } from "../../data/values.ts";
import type { ScanMessage } from "../messages.ts";

export interface Heartbeat { kind: "heartbeat"; status: "heartbeat"; time: number }
export type WireMessage = ScanMessage | Heartbeat;

type TypedArrayCtor = { new (buffer: ArrayBuffer, byteOffset?: number, length?: number): TypedArray; BYTES_PER_ELEMENT: number };

/** numpy dtype string -> typed array constructor */
export const DTYPES: Readonly<Record<string, TypedArrayCtor>> = {
  "|i1": Int8Array, "|u1": Uint8Array, "<i2": Int16Array, "<u2": Uint16Array, "<i4": Int32Array, "<u4": Uint32Array,
  "<i8": BigInt64Array, "<u8": BigUint64Array, "<f4": Float32Array, "<f8": Float64Array,
};

/** numpy dtype string of a typed array, e.g. "<u2" for Uint16Array */
export function dtypeOf(a: TypedArray): string {
  for (const [dtype, ctor] of Object.entries(DTYPES)) if (a instanceof ctor) return dtype;
  throw new Error(`no numpy dtype for ${Object.prototype.toString.call(a)}`);
}

interface ArrayRef { __array__: number; dtype: string; shape: number[] }

function isArrayRef(v: unknown): v is ArrayRef {
  return typeof v === "object" && v !== null && typeof (v as ArrayRef).__array__ === "number"
    && typeof (v as ArrayRef).dtype === "string" && Array.isArray((v as ArrayRef).shape);
}

/** Message -> [JSON frame, array frames...]. Array frames share memory with the message's arrays. */
export function encodeMessage(msg: WireMessage): Buffer[] {
  const frames: Buffer[] = [Buffer.alloc(0)];
  const ref = (a: TypedArray, shape: number[]): ArrayRef => {
    frames.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
    return { __array__: frames.length - 1, dtype: dtypeOf(a), shape };
  };
  const json = JSON.stringify(msg, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key]; // before toJSON (a Buffer has one)
    return isTypedArray(raw) ? ref(raw, [raw.length]) : isNdArray(v) ? ref(v.data, v.shape) : v;
  });
  frames[0] = Buffer.from(json, "utf8");
  return frames;
}

/** [JSON frame, array frames...] -> message, with arrays copied into aligned memory when needed. */
export function decodeMessage(frames: Buffer[]): WireMessage {
  if (frames.length === 0) throw new Error("empty message");
  const msg = JSON.parse(frames[0].toString("utf8"), (_key, v: unknown): unknown => {
    if (!isArrayRef(v)) return v;
    // accept "u2", "=u2", "<u1" as well as numpy's canonical "<u2", "|u1"
    const bare = v.dtype.replace(/^[<|=]/, "");
    const ctor = DTYPES[(bare.endsWith("1") ? "|" : "<") + bare];
    if (!ctor) throw new Error(`unsupported dtype ${v.dtype}`);
    const frame = frames[v.__array__];
    const n = v.shape.reduce((a, b) => a * b, 1);
    if (!frame || frame.byteLength !== n * ctor.BYTES_PER_ELEMENT)
      throw new Error(`array frame ${v.__array__} missing or not ${n} x ${v.dtype}`);
    const aligned = frame.byteOffset % ctor.BYTES_PER_ELEMENT === 0
      ? frame : new Uint8Array(frame); // copy
    const data = new ctor(aligned.buffer as ArrayBuffer, aligned.byteOffset, n);
    return v.shape.length === 1 ? data : ({ shape: v.shape, data } satisfies NdArray);
  }) as WireMessage;
  return msg;
}
