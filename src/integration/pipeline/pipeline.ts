/**
 * The live integration pipeline: a receiver PULLs the detector's stream and
 * hands each image to an idle local worker (a thread of its own process), else
 * PUSHes it to the workers that connected (other processes, other machines),
 * round-robin; the collector takes the outcomes and writes them in frame
 * order. With no worker free and no local one to wait for, the receiver
 * integrates the frame itself. Frames sent and not yet acknowledged are kept
 * and sent again when a worker disconnects (or has sat on them for
 * `resendAfterMs`), so a worker that dies loses no frame.
 */
import { Pull, Push } from "zeromq";
import { parseStreamMessage } from "../../detectors/eiger/streamV1.ts";
import { prepareIntegration, type IntegrationOptions } from "../setup.ts";
import { SeriesCollector } from "./collector.ts";
import { decodeOutcome, RECEIVER, type FrameOutcome, type Integrated } from "./results.ts";
import { imageProblem, integrateImage, type ImageMessage } from "./image.ts";
import { LocalWorkers } from "./localWorkers.ts";

export interface PipelineOptions {
  /** the detector's stream, e.g. tcp://127.0.0.1:9998 */
  stream: string;
  /** where workers PULL frames from and PUSH results to (port * for any free port) */
  framesBind: string;
  resultsBind: string;
  /** output directory for scan_NNNNNN_integrated.h5 */
  directory: string;
  /** local workers to start, as threads (others may connect from other processes and machines) */
  workers: number;
  resendAfterMs: number;
}

export interface RunningPipeline {
  framesAddress: string;
  resultsAddress: string;
  collector: SeriesCollector;
  /** the radial bin centres, in the unit of the options */
  radial: Float64Array;
  /** frames sent again after a worker left */
  resent(): number;
  stop(): Promise<void>;
}

export async function startPipeline(p: PipelineOptions, options: IntegrationOptions, log: (line: string) => void): Promise<RunningPipeline> {
  // built (and cached) here once, so the workers load it instead of each building it
  const prepared = await prepareIntegration(options);
  log(`table ${prepared.fromCache ? "loaded" : "built"} in ${prepared.setupSeconds.toFixed(2)} s`);
  const collector = new SeriesCollector(p.directory, prepared, options);
  const byReceiver = new Map<number, number>();
  collector.onClosed = (series, path, integrated, skipped) =>
    log(`series ${series}: ${integrated} frames integrated (${byReceiver.get(series) ?? 0} by the receiver), ${skipped} skipped, ${path} closed`);

  const detector = new Pull({ linger: 0, receiveHighWaterMark: 8 });
  const frames = new Push({ linger: 0, sendHighWaterMark: 2, sendTimeout: -1 });
  const results = new Pull({ linger: 0 });
  await frames.bind(p.framesBind);
  await results.bind(p.resultsBind);
  const framesAddress = frames.lastEndpoint as string;
  const resultsAddress = results.lastEndpoint as string;
  const local = await LocalWorkers.start(p.workers, options, prepared, {
    log, ready: (id, fromCache, seconds) => log(`worker ${id}: table ${fromCache ? "loaded" : "built"} in ${seconds.toFixed(2)} s (a thread of the receiver)`),
  });
  detector.connect(p.stream);

  const unacknowledged = new Map<string, { parts: Buffer[]; sentAt: number }>();
  const received = new Map<number, number>();
  let resent = 0;
  let stopping = false;
  // zeromq allows one send at a time on a socket: the receiver and the re-sending share this queue
  let sending: Promise<void> = Promise.resolve();
  let sendsWaiting = 0;
  const send = (parts: Buffer[]): Promise<void> => {
    sendsWaiting++;
    return (sending = sending.catch(() => {}).then(() => frames.send(parts)).finally(() => void sendsWaiting--));
  };
  // asking a socket whether it is writable reads its events, which takes the wake-up that a send
  // waiting for room was due: that send then waits forever. So only ask when no send waits.
  const canSend = () => sendsWaiting === 0 && frames.writable;
  const resend = async (olderThanMs: number) => {
    const now = Date.now();
    for (const u of unacknowledged.values()) {
      if (now - u.sentAt < olderThanMs) continue;
      u.sentAt = now;
      resent++;
      await send(u.parts);
    }
  };

  const collect = (outcome: FrameOutcome, intensity: Float64Array | null): Promise<boolean> => {
    if (outcome.skipped) log(`frame ${outcome.frame} of series ${outcome.series} skipped: ${outcome.skipped}`);
    return collector.add(outcome, intensity);
  };
  const collectLater = (r: Integrated) => void collect(r.outcome, r.intensity).catch((e) => log(`frame ${r.outcome.frame} of series ${r.outcome.series} not written: ${(e as Error).message}`));

  const dispatch = async (m: ImageMessage, parts: Buffer[]): Promise<void> => {
    const skipped = imageProblem(m, prepared);
    if (skipped) {
      await collect({ series: m.series, frame: m.frame, skipped, badPixels: 0, worker: RECEIVER }, null);
      return;
    }
    if (local.tryIntegrate(m, collectLater) !== null) return;
    if (canSend()) {
      unacknowledged.set(`${m.series}:${m.frame}`, { parts, sentAt: Date.now() });
      await send(parts);
      return;
    }
    if (await local.integrateWhenFree(m, collectLater)) return;
    // no local worker left, and the others' queues are full (or none is connected)
    const { outcome, intensity } = integrateImage(m, prepared, RECEIVER);
    byReceiver.set(m.series, (byReceiver.get(m.series) ?? 0) + 1);
    await collect(outcome, intensity);
  };

  const receiving = (async () => {
    for await (const parts of detector) {
      let m;
      try {
        m = parseStreamMessage(parts);
      } catch (e) {
        log(`ignored a stream message: ${(e as Error).message}`);
        continue;
      }
      if (m.kind === "header") {
        collector.begin(m.series);
        received.set(m.series, 0);
      } else if (m.kind === "image") {
        received.set(m.series, (received.get(m.series) ?? 0) + 1);
        await dispatch(m, parts);
      } else {
        await collector.end(m.series, received.get(m.series) ?? 0);
      }
    }
  })().catch((e) => { if (!stopping) log(`receiver stopped: ${(e as Error).message}`); });

  const collecting = (async () => {
    for await (const parts of results) {
      const { outcome, intensity } = decodeOutcome(parts);
      unacknowledged.delete(`${outcome.series}:${outcome.frame}`);
      await collect(outcome, intensity);
    }
  })().catch((e) => { if (!stopping) log(`collector stopped: ${(e as Error).message}`); });

  const watching = (async () => {
    for await (const event of frames.events) {
      if (event.type === "disconnect" && unacknowledged.size) {
        log(`a worker left with frames unacknowledged: sending ${unacknowledged.size} again`);
        await resend(0);
      }
    }
  })().catch(() => {});
  const timer = setInterval(() => void resend(p.resendAfterMs).catch(() => {}), Math.max(100, p.resendAfterMs / 4));

  log(`receiving ${p.stream}; workers pull from ${framesAddress} and push to ${resultsAddress}`);

  return {
    framesAddress, resultsAddress, collector, radial: prepared.table.radial, resent: () => resent,
    async stop() {
      stopping = true;
      clearInterval(timer);
      await local.stop();
      detector.close();
      frames.close();
      results.close();
      await Promise.allSettled([receiving, collecting, watching]);
      const incomplete = await collector.closeAll();
      if (incomplete.length) log(`closed incomplete series ${incomplete.join(", ")}`);
    },
  };
}
