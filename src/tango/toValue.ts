import type { NdArray, Value } from "../data/values.ts";
import type { TangoValue } from "./types.ts";

/**
 * A Tango attribute value as a detector reading: scalars stay scalars (null, which the
 * REST API sends for NaN and infinities, becomes NaN), spectra become Float64Array and
 * images an NdArray of float64.
 */
export function toValue(v: TangoValue): Value {
  if (v === null) return NaN;
  if (!Array.isArray(v)) return v;
  if (v.length > 0 && v.every(Array.isArray)) {
    const rows = v as TangoValue[][];
    const cols = rows[0].length;
    if (rows.some((r) => r.length !== cols)) throw new Error("image rows differ in length");
    const image: NdArray = { shape: [rows.length, cols], data: numbers(rows.flat()) };
    return image;
  }
  return numbers(v);
}

function numbers(items: TangoValue[]): Float64Array {
  const out = new Float64Array(items.length);
  items.forEach((x, i) => {
    if (typeof x === "number") out[i] = x;
    else if (typeof x === "boolean") out[i] = x ? 1 : 0;
    else if (x === null) out[i] = NaN;
    else throw new Error(`only numeric spectra and images can be read, got ${JSON.stringify(x)}`);
  });
  return out;
}
