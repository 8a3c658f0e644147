/**
 * The live integration pipeline: a receiver PULLs the detector's stream and
 * PUSHes image messages round-robin to the workers; the collector PULLs their
 * outcomes and writes them in frame order. When every worker's queue is
 * full, or no worker is connected, the receiver integrates the frame itself
 * rather than wait. Frames not yet acknowledged are
 * kept and sent again when a worker disconnects (or has sat on them for
 * `resendAfterMs`), so a worker that dies loses no frame.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { rmSync } from "node:fs";
import { PACKAGE_ROOT } from "../../util/layout.ts";
import { Pull, Push } from "zeromq";
import { parseStreamMessage } from "../../detectors/eiger/streamV1.ts";
import { prepareIntegration, type IntegrationOptions } from "../setup.ts";
import { SeriesCollector } from "./collector.ts";
import { decodeOutcome, type FrameOutcome } from "./results.ts";
import { integrateImage } from "./worker.ts";

export interface PipelineOptions {
  /** the detector's stream, e.g. tcp://127.0.0.1:9998 */
  stream: string;
  /** where workers PULL frames from and PUSH results to (port * for any free port) */
  framesBind: string;
  resultsBind: string;
  /** output directory for scan_NNNNNN_integrated.h5 */
  directory: string;
  /** local worker processes to start (others may connect from other machines) */
  workers: number;
  resendAfterMs: number;
}

export interface RunningPipeline {
  framesAddress: string;
  resultsAddress: string;
  collector: SeriesCollector;
  /** the radial bin centres, in the unit of the options */
  radial: Float64Array;
  workers: ChildProcess[];
  /** frames sent again after a worker left */
  resent(): number;
  stop(): Promise<void>;
}

const WORKERS_BIN = join(PACKAGE_ROOT, "bin", "contrast-integrate-workers.js");

/** The worker number of frames the receiver integrated itself. */
export const RECEIVER = -1;

/**
 * Node options for the receiver's and the workers' processes. Each 18 MB frame
 * that zeromq hands over counts as external memory, so V8 collects every few
 * frames; its helper threads then compete with the other processes for the
 * cores. Collecting on the process's own thread gave 47–55 frames/s end to end
 * against 43–45 on this 2-core machine.
 */
export const PIPELINE_NODE_FLAGS = ["--single-threaded-gc"];

export function workerArguments(framesAddress: string, resultsAddress: string, options: IntegrationOptions, id: number): string[] {
  const args = ["worker", "--frames", framesAddress, "--results", resultsAddress, "--id", String(id), "--poni", options.poni, "--bins", String(options.bins),
    "--unit", options.unit, "--split", options.split];
  if (options.mask) args.push("--mask", options.mask);
  if (options.radialRange) args.push("--radial-range", String(options.radialRange[0]), String(options.radialRange[1]));
  if (options.sectors) args.push("--sectors", String(options.sectors));
  if (!options.solidAngle) args.push("--no-solid-angle");
  if (options.polarization !== null) args.push("--polarization", String(options.polarization));
  args.push("--bad-pixel", options.badPixel === null ? "none" : String(options.badPixel));
  if (options.cache) args.push("--cache", options.cache);
  else args.push("--no-cache");
  return args;
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
  // local workers use Unix sockets, which move a frame for less CPU than loopback TCP; others connect over TCP
  const local = join(tmpdir(), `contrast-integrate-${process.pid}-${Date.now().toString(36)}`);
  const localFrames = `${local}-frames`;
  const localResults = `${local}-results`;
  await frames.bind(`ipc://${localFrames}`);
  await results.bind(`ipc://${localResults}`);
  detector.connect(p.stream);

  const unacknowledged = new Map<string, { parts: Buffer[]; sentAt: number }>();
  const received = new Map<number, number>();
  let resent = 0;
  let stopping = false;
  // zeromq allows one send at a time on a socket: the receiver and the re-sending share this queue
  let sending: Promise<void> = Promise.resolve();
  const send = (parts: Buffer[]): Promise<void> => (sending = sending.catch(() => {}).then(() => frames.send(parts)));
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
        if (!frames.writable) {
          // every worker's queue is full (or none is connected): integrating here costs less than the frame's next socket
          const { outcome, intensity } = integrateImage(m, prepared, RECEIVER);
          byReceiver.set(m.series, (byReceiver.get(m.series) ?? 0) + 1);
          await collect(outcome, intensity);
          continue;
        }
        unacknowledged.set(`${m.series}:${m.frame}`, { parts, sentAt: Date.now() });
        await send(parts);
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

  const workers: ChildProcess[] = [];
  for (let id = 0; id < p.workers; id++) {
    const child = spawn(process.execPath, [...PIPELINE_NODE_FLAGS, WORKERS_BIN, ...workerArguments(`ipc://${localFrames}`, `ipc://${localResults}`, options, id)], { stdio: ["ignore", "inherit", "inherit"] });
    child.on("exit", (code, signal) => { if (!stopping) log(`worker ${id} (pid ${child.pid}) ended: ${signal ?? `exit ${code}`}`); });
    workers.push(child);
  }
  log(`receiving ${p.stream}; workers pull from ${framesAddress} and push to ${resultsAddress}`);

  return {
    framesAddress, resultsAddress, collector, radial: prepared.table.radial, workers, resent: () => resent,
    async stop() {
      stopping = true;
      clearInterval(timer);
      for (const w of workers) if (w.exitCode === null) w.kill();
      detector.close();
      frames.close();
      results.close();
      for (const socketFile of [localFrames, localResults]) rmSync(socketFile, { force: true });
      await Promise.allSettled([receiving, collecting, watching]);
      const incomplete = await collector.closeAll();
      if (incomplete.length) log(`closed incomplete series ${incomplete.join(", ")}`);
    },
  };
}
