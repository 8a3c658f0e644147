/**
 * An integration worker: PULLs detector image messages (Eiger stream v1) from
 * the receiver, integrates them, PUSHes the outcome to the collector. It may
 * run on another machine: it only connects to the two addresses.
 */
import { Pull, Push } from "zeromq";
import { parseStreamMessage } from "../../detectors/eiger/streamV1.ts";
import { prepareIntegration, type IntegrationOptions } from "../setup.ts";
import { encodeOutcome } from "./results.ts";
import { integrateImage } from "./image.ts";

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
