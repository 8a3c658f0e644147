/**
 * An integration worker: PULLs detector image messages (Eiger stream v1) from
 * the receiver, integrates them, PUSHes the outcome to the collector. It may
 * run on another machine: it only connects to the two addresses.
 */
import { Pull, Push } from "zeromq";
import { parseStreamMessage, type StreamMessage } from "../../detectors/eiger/streamV1.ts";
import type { NumericArray } from "../npy.ts";
import { prepareIntegration, type IntegrationOptions, type PreparedIntegration } from "../setup.ts";
import { encodeOutcome, type FrameOutcome } from "./results.ts";

const ELEMENTS: Record<string, (b: ArrayBuffer, o: number, n: number) => NumericArray> = {
  uint32: (b, o, n) => new Uint32Array(b, o, n), uint16: (b, o, n) => new Uint16Array(b, o, n),
  uint8: (b, o, n) => new Uint8Array(b, o, n), float32: (b, o, n) => new Float32Array(b, o, n),
};

export interface WorkerAddresses {
  frames: string;
  results: string;
  id: number;
}

export async function runWorker(addresses: WorkerAddresses, options: IntegrationOptions, log: (line: string) => void): Promise<void> {
  const prepared = await prepareIntegration(options);
  log(`worker ${addresses.id}: table ${prepared.fromCache ? "loaded" : "built"} in ${prepared.setupSeconds.toFixed(2)} s`);
  const frames = new Pull({ linger: 0, receiveHighWaterMark: 2 });
  const results = new Push({ linger: 5000, sendTimeout: 60_000, sendHighWaterMark: 1000 });
  frames.connect(addresses.frames);
  results.connect(addresses.results);
  for await (const parts of frames) {
    const m = parseStreamMessage(parts);
    if (m.kind !== "image") continue;
    const { outcome, intensity } = integrateImage(m, prepared, addresses.id);
    await results.send(encodeOutcome(outcome, intensity));
  }
}

/** One image message integrated, or the reason it was skipped. */
export function integrateImage(m: Extract<StreamMessage, { kind: "image" }>, prepared: PreparedIntegration, worker: number): { outcome: FrameOutcome; intensity: Float64Array | null } {
  const [rows, cols] = prepared.shape;
  const outcome: FrameOutcome = { series: m.series, frame: m.frame, skipped: null, badPixels: 0, worker };
  const make = ELEMENTS[m.type];
  if (m.shape[0] !== cols || m.shape[1] !== rows) outcome.skipped = `shape ${m.shape.join("x")} (width x height) is not the geometry's ${cols}x${rows}`;
  else if (m.encoding !== "<" || !make) outcome.skipped = `encoding '${m.encoding}' of ${m.type} is not read`;
  if (outcome.skipped || !make) return { outcome, intensity: null };
  // an aligned copy when the message's bytes are not aligned for the element type
  const bytes = m.data.byteOffset % 4 === 0 ? m.data : Buffer.from(m.data);
  const pixels = make(bytes.buffer as ArrayBuffer, bytes.byteOffset, rows * cols);
  // a new array per frame: zeromq may still be reading the last one's memory after send() resolves
  const result = prepared.integrator.integrate(pixels);
  outcome.badPixels = result.badPixels;
  return { outcome, intensity: result.intensity };
}
