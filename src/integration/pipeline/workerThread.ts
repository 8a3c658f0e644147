/**
 * A local worker: a thread of the receiver's process. The receiver copies each
 * frame into this thread's slot of shared memory and posts its description;
 * the thread integrates it there and posts back the intensities.
 */
import { parentPort, workerData } from "node:worker_threads";
import { prepareIntegration, type IntegrationOptions } from "../setup.ts";
import { framePixels } from "./image.ts";

export interface ThreadData { options: IntegrationOptions; slot: SharedArrayBuffer }
/** receiver → thread: the frame now in the slot */
export interface SlotFrame { type: string; pixels: number }
/** thread → receiver */
export type ThreadReply =
  | { kind: "ready"; fromCache: boolean; setupSeconds: number }
  | { kind: "integrated"; intensity: Float64Array; badPixels: number };

const { options, slot } = workerData as ThreadData;
const port = parentPort!;
const prepared = await prepareIntegration(options);
port.on("message", ({ type, pixels }: SlotFrame) => {
  const { intensity, badPixels } = prepared.integrator.integrate(framePixels(type, slot, 0, pixels));
  // copied, not transferred: detaching any buffer makes V8 check every typed array access of this thread from then on (twice the time per frame)
  port.postMessage({ kind: "integrated", intensity, badPixels } satisfies ThreadReply);
});
port.postMessage({ kind: "ready", fromCache: prepared.fromCache, setupSeconds: prepared.setupSeconds } satisfies ThreadReply);
