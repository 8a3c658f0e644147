/**
 * An image message of the detector's stream, checked against the geometry and
 * integrated: the same steps in the receiver, a worker thread and a worker
 * process.
 */
import type { StreamMessage } from "../../detectors/eiger/streamV1.ts";
import type { NumericArray } from "../npy.ts";
import type { PreparedIntegration } from "../setup.ts";
import type { FrameOutcome, Integrated } from "./results.ts";

/** The element types read, by their names in the stream's image header, with their arrays. */
const ARRAYS = {
  uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array,
  uint32: Uint32Array, int32: Int32Array, float32: Float32Array, float64: Float64Array,
} as const;
type ElementType = keyof typeof ARRAYS;
const isElementType = (type: string): type is ElementType => Object.hasOwn(ARRAYS, type);

/** the most bytes a pixel of any type read takes */
export const MAX_PIXEL_BYTES = 8;

/** The name of a frame's element type, as an image header gives it. */
export function elementType(frame: NumericArray): ElementType {
  const name = (Object.keys(ARRAYS) as ElementType[]).find((t) => frame instanceof ARRAYS[t]);
  if (!name) throw new Error("not a numeric frame");
  return name;
}

export type ImageMessage = Extract<StreamMessage, { kind: "image" }>;

/** Why a frame cannot be integrated with this geometry, or null when it can. */
export function imageProblem(m: ImageMessage, prepared: PreparedIntegration): string | null {
  const [rows, cols] = prepared.shape;
  if (m.shape[0] !== cols || m.shape[1] !== rows) return `shape ${m.shape.join("x")} (width x height) is not the geometry's ${cols}x${rows}`;
  if (m.encoding !== "<" || !isElementType(m.type)) return `encoding '${m.encoding}' of ${m.type} is not read`;
  const bytes = rows * cols * ARRAYS[m.type].BYTES_PER_ELEMENT;
  if (m.data.byteLength !== bytes) return `${m.data.byteLength} bytes of data, not the ${bytes} of ${m.shape.join("x")} ${m.type}`;
  return null;
}

/** A frame's pixels as its element type, over memory that may be shared with the thread that wrote it. */
export function framePixels(type: string, memory: ArrayBufferLike, byteOffset: number, pixels: number): NumericArray {
  if (!isElementType(type)) throw new Error(`element type ${type} is not read`);
  return new ARRAYS[type](memory as ArrayBuffer, byteOffset, pixels);
}

/** One image message integrated, or the reason it was skipped. */
export function integrateImage(m: ImageMessage, prepared: PreparedIntegration, worker: number): Integrated {
  const [rows, cols] = prepared.shape;
  const outcome: FrameOutcome = { series: m.series, frame: m.frame, skipped: imageProblem(m, prepared), badPixels: 0, worker };
  if (outcome.skipped) return { outcome, intensity: null };
  // an aligned copy when the message's bytes are not aligned for the element type
  const bytes = m.data.byteOffset % 8 === 0 ? m.data : Buffer.from(m.data);
  // a new array per frame: zeromq may still be reading the last one's memory after send() resolves
  const result = prepared.integrator.integrate(framePixels(m.type, bytes.buffer, bytes.byteOffset, rows * cols));
  outcome.badPixels = result.badPixels;
  return { outcome, intensity: result.intensity };
}
