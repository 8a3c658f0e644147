/**
 * What a detector reading or a snapshot value can be. These are plain
 * structured-clone-able values, so they cross process boundaries unchanged.
 */
export type TypedArray =
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** An N-dimensional array stored in C order. */
export interface NdArray {
  shape: number[];
  data: TypedArray;
}

/** Where a detector that writes its own files put this point's (or scan's) data. */
export interface Link {
  file: string;
  path: string;
  /** true when the one file holds every point of the scan */
  universal: boolean;
}

export type Value = number | string | boolean | null | TypedArray | NdArray | Link | ValueDict;
export interface ValueDict { [key: string]: Value }

export function isTypedArray(v: unknown): v is TypedArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

export function isNdArray(v: unknown): v is NdArray {
  return typeof v === "object" && v !== null && !isTypedArray(v)
    && Array.isArray((v as NdArray).shape) && isTypedArray((v as NdArray).data)
    && Object.keys(v).length === 2;
}

export function isLink(v: unknown): v is Link {
  return typeof v === "object" && v !== null
    && typeof (v as Link).file === "string" && typeof (v as Link).path === "string"
    && typeof (v as Link).universal === "boolean" && Object.keys(v).length === 3;
}

export function isDict(v: unknown): v is ValueDict {
  return typeof v === "object" && v !== null && !isTypedArray(v) && !isNdArray(v) && !isLink(v);
}

export function ndarray(data: TypedArray, shape: number[]): NdArray {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new Error(`shape ${JSON.stringify(shape)} does not fit ${data.length} elements`);
  return { shape, data };
}
