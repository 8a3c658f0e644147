/**
 * Turning detector readings into what the live plot draws: a number for the
 * curve and the map, a spectrum, or a small greyscale frame.
 */
import { isDict, isNdArray, isTypedArray, type TypedArray, type Value } from "../../data/values.ts";

/**
 * Finds `path` in a point's data: "det" is a detector, "det/key/sub" walks
 * into a dict reading. A name that itself contains "/" is tried first.
 */
export function resolvePath(data: Record<string, Value>, path: string): Value | undefined {
  if (Object.hasOwn(data, path)) return data[path];
  let v: Value | undefined = data;
  for (const part of path.split("/")) {
    if (v === undefined || !isDict(v) || !Object.hasOwn(v, part)) return undefined;
    v = v[part];
  }
  return v;
}

function sum(a: TypedArray): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Number(a[i]);
  return s;
}

/**
 * The number plotted for a reading: numbers as they are, booleans as 0/1,
 * arrays (spectra, images) as the sum of their elements, anything else NaN
 * (a gap in the curve).
 */
export function toNumber(v: Value | undefined): number {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (isTypedArray(v)) return sum(v);
  if (isNdArray(v)) return sum(v.data);
  return NaN;
}

/** The shape without its length-1 axes: [1, 512, 640] → [512, 640]. */
function squeeze(shape: number[]): number[] {
  return shape.filter((n) => n !== 1);
}

/** A 1-D reading (a TypedArray, or an NdArray with one non-trivial axis), else null. */
export function asSpectrum(v: Value | undefined): TypedArray | null {
  if (isTypedArray(v)) return v;
  if (isNdArray(v) && squeeze(v.shape).length === 1) return v.data;
  return null;
}

export interface ImageSource {
  data: TypedArray;
  /** the detector's own shape, e.g. [1, 512, 640] */
  shape: number[];
  height: number;
  width: number;
}

/** A 2-D reading (an NdArray with two non-trivial axes), else null. */
export function asImage(v: Value | undefined): ImageSource | null {
  if (!isNdArray(v)) return null;
  const s = squeeze(v.shape);
  if (s.length !== 2) return null;
  return { data: v.data, shape: [...v.shape], height: s[0]!, width: s[1]! };
}

export interface Found<T> {
  path: string;
  value: T;
}

/**
 * The first 1-D and the first 2-D reading in a point, walking into dicts
 * (paths like "xspress3/ch0"); the keys in `skip` (the motors) are left out.
 */
export function findArrays(data: Record<string, Value>, skip: readonly string[]): { spectrum: Found<TypedArray> | null; image: Found<ImageSource> | null } {
  let spectrum: Found<TypedArray> | null = null;
  let image: Found<ImageSource> | null = null;
  const walk = (v: Value, path: string, depth: number): void => {
    if (typeof v !== "object" || v === null) return; // the common case: a number
    if (!spectrum) {
      const sp = asSpectrum(v);
      if (sp) { spectrum = { path, value: sp }; return; }
    }
    if (!image) {
      const im = asImage(v);
      if (im) { image = { path, value: im }; return; }
    }
    if (depth < 4 && isDict(v)) for (const k in v) walk(v[k]!, `${path}/${k}`, depth + 1);
  };
  for (const k in data) {
    if (!skip.includes(k)) walk(data[k]!, k, 0);
    if (spectrum && image) break;
  }
  return { spectrum, image };
}

export interface GreyFrame {
  width: number;
  height: number;
  /** row-major, one byte per pixel, 0 = black */
  pixels: Uint8Array;
  /** the raw values drawn as black and as white */
  black: number;
  white: number;
}

/**
 * Shrinks an image to at most `maxSide` pixels per side by averaging blocks
 * of pixels, then maps it to 0..255. Black and white are the 0.5 % and 99.5 %
 * percentiles, so a few hot pixels do not turn the rest of the frame black.
 */
export function downsampleFrame(img: ImageSource, maxSide = 256): GreyFrame {
  const { data, height: h, width: w } = img;
  const f = Math.max(1, Math.ceil(Math.max(h, w) / maxSide));
  const oh = Math.ceil(h / f);
  const ow = Math.ceil(w / f);
  const acc = new Float64Array(oh * ow);
  const cnt = new Uint32Array(oh * ow);
  for (let r = 0; r < h; r++) {
    const orow = Math.floor(r / f) * ow;
    const irow = r * w;
    for (let c = 0; c < w; c++) {
      const v = Number(data[irow + c]);
      if (Number.isFinite(v)) {
        const o = orow + Math.floor(c / f);
        acc[o]! += v;
        cnt[o]!++;
      }
    }
  }
  const finite: number[] = [];
  for (let i = 0; i < acc.length; i++) {
    if (cnt[i]! > 0) {
      acc[i] = acc[i]! / cnt[i]!;
      finite.push(acc[i]!);
    } else acc[i] = NaN;
  }
  finite.sort((a, b) => a - b);
  const at = (q: number): number => finite.length ? finite[Math.min(finite.length - 1, Math.floor(q * finite.length))]! : 0;
  let black = at(0.005);
  let white = at(0.995);
  if (!(white > black)) { black = finite[0] ?? 0; white = finite[finite.length - 1] ?? 0; }
  const span = white > black ? white - black : 1;
  const pixels = new Uint8Array(oh * ow);
  for (let i = 0; i < acc.length; i++) {
    const v = acc[i]!;
    pixels[i] = Number.isNaN(v) ? 0 : Math.round(255 * Math.min(1, Math.max(0, (v - black) / span)));
  }
  return { width: ow, height: oh, pixels, black, white };
}
