/**
 * Big arrays (camera frames) skip the IPC channel: V8's serializer copies a
 * 2 MB frame through a growing buffer (about 5 ms a frame). The shell copies
 * each point's big arrays into a shared spool file instead (Spool.ts) and
 * sends the message with nulls in their place, plus BlobRefs saying where
 * each one went and where it belongs in the point.
 */
import { isDict, isNdArray, isTypedArray, type TypedArray, type Value } from "../../data/values.ts";
import type { ScanPoint } from "../messages.ts";
import { DTYPES, dtypeOf } from "../stream/wire.ts";

/** Arrays at least this big go through the pipe. */
export const BLOB_MIN_BYTES = 64 * 1024;

export interface BlobRef {
  /** keys from `point.data` down to the array */
  path: string[];
  dtype: string;
  byteLength: number;
  /** where in the spool file */
  offset: number;
}

export interface PackedPoint {
  point: ScanPoint;
  refs: BlobRef[];
  arrays: TypedArray[];
  /** rough size of the point in memory, for the backlog limit */
  bytes: number;
}

/** Roughly how many bytes a value holds. */
export function sizeOf(v: Value | undefined): number {
  if (v === null || v === undefined || typeof v === "number" || typeof v === "boolean") return 8;
  if (typeof v === "string") return 16 + 2 * v.length;
  if (isTypedArray(v)) return 64 + v.byteLength;
  if (isNdArray(v)) return 96 + v.data.byteLength;
  let n = 32;
  for (const [k, x] of Object.entries(v)) n += 16 + k.length + sizeOf(x);
  return n;
}

/** Takes the big arrays out of a point (copying only the objects on their way). */
export function packPoint(point: ScanPoint): PackedPoint {
  const refs: BlobRef[] = [];
  const arrays: TypedArray[] = [];
  let bytes = 0;
  const take = (a: TypedArray, path: string[]): null => {
    refs.push({ path, dtype: dtypeOf(a), byteLength: a.byteLength, offset: -1 }); // the spool fills in the offset
    arrays.push(a);
    return null;
  };
  const walk = (v: Value, path: string[]): Value => {
    if (isTypedArray(v)) return v.byteLength >= BLOB_MIN_BYTES ? take(v, path) : v;
    if (isNdArray(v)) {
      if (v.data.byteLength < BLOB_MIN_BYTES) return v;
      // a placeholder NdArray whose data arrives on the pipe
      return { shape: v.shape, data: take(v.data, [...path, "data"]) } as unknown as Value;
    }
    if (!isDict(v)) return v;
    let out: Record<string, Value> | undefined;
    for (const [k, x] of Object.entries(v)) {
      const y = walk(x, [...path, k]);
      if (y !== x) (out ??= { ...v })[k] = y;
    }
    return out ?? v;
  };
  const data: Record<string, Value> = {};
  let changed = false;
  for (const [k, v] of Object.entries(point.data)) {
    bytes += 16 + k.length + sizeOf(v);
    data[k] = walk(v, [k]);
    if (data[k] !== v) changed = true;
  }
  return { point: changed ? { ...point, data } : point, refs, arrays, bytes };
}

/** Puts a packed point's arrays back, read with `read` (fresh, aligned memory). */
export function unpackPoint(point: ScanPoint, refs: BlobRef[], read: (ref: BlobRef) => Uint8Array): ScanPoint {
  for (const ref of refs) {
    const bytes = read(ref);
    const Ctor = DTYPES[ref.dtype];
    const array = new Ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, ref.byteLength / Ctor.BYTES_PER_ELEMENT);
    let at = point.data as Record<string, unknown>;
    for (const k of ref.path.slice(0, -1)) at = at[k] as Record<string, unknown>;
    at[ref.path[ref.path.length - 1]] = array;
  }
  return point;
}
