/**
 * recorder.image_MBps: `loopscan 499 0` (500 frames) with the 2-D dummy at 1024x1024 uint16
 *   (2 MiB a frame, 1 GiB in all) and an Hdf5Recorder; bytes over the time
 *   runCommand takes, i.e. from the scan's start until the recorder has
 *   acknowledged the footer (file closed).
 * stream.points_per_s: `ascan samx 0 1 19999 0` with a 100-channel spectrum
 *   (Dummy1dDetector) per point through a StreamRecorder, timed from the
 *   scan's start until a SUB socket (in a worker thread of this process,
 *   decoding every message) has the footer.
 * stream.pickle_encode_MBps: pickling 1024x1024 uint16 frames as the original's
 *   stream format (StreamRecorder format "pickle"; the JSON format sends arrays
 *   as they are, without encoding).
 * scan.dead_time_per_point_ms_with_recorders: as scan.dead_time_per_point_ms
 *   in bench/scan.ts (`ascan samx 0 1 200 0.01`, scalar and 1-D dummies),
 *   with the HDF5 and the stream recorders running.
 *
 *   node --import tsx bench/recorders.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import {
  env, runCommand, Gadget, Recorder, DummyMotor, Dummy1dDetector, Dummy2dDetector, Hdf5Recorder, StreamRecorder,
} from "../src/index.ts";
import { setupScanBench, timePerPoint, type Figure } from "./scan.ts";
import { PickleFormat } from "../src/recorders/stream/pickleFormat.ts";

async function clearGadgets(): Promise<void> {
  await Promise.all(Recorder.getInstances().map((r) => r.stop()));
  for (const g of Gadget.getInstances()) g.dispose();
}

function freshDirectory(): string {
  env.paths.directory = mkdtempSync(join(tmpdir(), "contrast-bench-rec-"));
  return env.paths.directory;
}

async function deadTime(): Promise<Figure> {
  await clearGadgets();
  await setupScanBench();
  const without = (await timePerPoint(0.01)) - 10;
  const h5rec = new Hdf5Recorder({ name: "h5rec" });
  const stream = new StreamRecorder({ name: "stream", address: "tcp://127.0.0.1:0" });
  await Promise.all([h5rec.start(), stream.start()]);
  const dead = (await timePerPoint(0.01)) - 10;
  rmSync(env.paths.directory, { recursive: true, force: true });
  return {
    name: "scan.dead_time_per_point_ms_with_recorders", value: +dead.toFixed(4), unit: "ms",
    note: `${without.toFixed(3)} ms without recorders in the same run`,
  };
}

/** A SUB socket in a worker thread (so that decoding does not slow the scan's thread): decodes every message. */
const SUBSCRIBER = `
const { parentPort, workerData } = require("node:worker_threads");
(async () => {
  (await import("tsx/esm/api")).register();
  const { Subscriber } = await import("zeromq");
  const { decodeMessage } = await import(workerData.wire);
  const sub = new Subscriber({ linger: 0, receiveHighWaterMark: 0 });
  sub.connect(workerData.address);
  sub.subscribe();
  parentPort.once("message", () => sub.close());
  let points = 0;
  for await (const frames of sub) {
    const m = decodeMessage(frames);
    if (m.kind === "data") points++;
    else if (m.kind === "header") points = 0;
    else parentPort.postMessage({ kind: m.kind, scannr: m.scannr, points });
  }
})().catch(() => {}).finally(() => parentPort.close());`;

async function streamRate(n = 20_000): Promise<Figure> {
  await clearGadgets();
  const dir = freshDirectory();
  env.print = () => {};
  new DummyMotor({ name: "samx" });
  new Dummy1dDetector({ name: "spec" });
  const stream = new StreamRecorder({ name: "stream", address: "tcp://127.0.0.1:0", heartbeatSeconds: 0.05 });
  await stream.start();
  // for comparison: nobody listening (runCommand returns once the recorder has published the footer)
  await runCommand("ascan samx 0 1 999 0");
  const alone = performance.now();
  await runCommand(`ascan samx 0 1 ${n - 1} 0`);
  const aloneRate = n / ((performance.now() - alone) / 1000);
  const worker = new Worker(SUBSCRIBER, {
    eval: true,
    workerData: { address: stream.address, wire: new URL("../src/recorders/stream/wire.ts", import.meta.url).href },
  });
  const heard: { kind: string; scannr?: number; points: number }[] = [];
  const waiters: (() => void)[] = [];
  worker.on("message", (m: { kind: string; scannr?: number; points: number }) => {
    heard.push(m);
    for (const w of waiters.splice(0)) w();
  });
  const until = async (test: () => boolean) => {
    while (!test()) await new Promise<void>((r) => waiters.push(r));
  };
  const footer = (scannr: number) => heard.find((m) => m.kind === "footer" && m.scannr === scannr);
  try {
    await until(() => heard.some((m) => m.kind === "heartbeat")); // subscribed
    await runCommand("ascan samx 0 1 999 0"); // warm-up
    await until(() => !!footer(3));
    const t0 = performance.now();
    await runCommand(`ascan samx 0 1 ${n - 1} 0`);
    const scanned = performance.now();
    await until(() => !!footer(4));
    const seconds = (performance.now() - t0) / 1000;
    const points = footer(4)?.points ?? 0;
    return {
      name: "stream.points_per_s", value: Math.round(points / seconds), unit: "points/s",
      note: `${points}/${n} points received; the scan loop itself took ${((scanned - t0) / 1000).toFixed(2)} s of the ${seconds.toFixed(2)} s;`
        + ` ${Math.round(aloneRate)} points/s with nobody subscribed`,
    };
  } finally {
    // closing its socket ends the worker (terminate() with a live zeromq socket aborts the process)
    worker.postMessage("stop");
    await new Promise((r) => worker.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function imageRate(frames = 500): Promise<Figure> {
  await clearGadgets();
  const dir = freshDirectory();
  env.print = () => {};
  const cam = new Dummy2dDetector({ name: "cam", shape: [1024, 1024] });
  const h5rec = new Hdf5Recorder({ name: "h5rec" });
  await h5rec.start();
  await runCommand("loopscan 20 0"); // warm-up
  let loopDone = 0;
  env.progress = (p) => void (p.done === frames && (loopDone = performance.now()));
  const t0 = performance.now();
  await runCommand(`loopscan ${frames - 1} 0`); // intervals + 1 = frames
  const seconds = (performance.now() - t0) / 1000;
  env.progress = undefined;
  const bytes = frames * cam.shape[0] * cam.shape[1] * 2;
  rmSync(dir, { recursive: true, force: true });
  return {
    name: "recorder.image_MBps", value: Math.round(bytes / 1e6 / seconds), unit: "MB/s",
    note: `${frames} frames of 2 MiB in ${seconds.toFixed(2)} s; the scan loop was done after ${((loopDone - t0) / 1000).toFixed(2)} s`,
  };
}

export function pickleRate(frames = 100): Figure {
  const cam = { shape: [1024, 1024], data: new Uint16Array(1024 * 1024).map((_, i) => i) };
  const format = new PickleFormat();
  const point = (index: number) => ({ kind: "data" as const, status: "running" as const, scannr: 1, index, data: { samx: index, cam, dt: 0 } });
  format.encode(point(0));
  const t0 = performance.now();
  for (let i = 0; i < frames; i++) format.encode(point(i));
  const seconds = (performance.now() - t0) / 1000;
  return { name: "stream.pickle_encode_MBps", value: Math.round((frames * cam.data.byteLength) / 1e6 / seconds), unit: "MB/s",
    note: `${frames} frames of 2 MiB pickled in ${seconds.toFixed(2)} s` };
}

export async function benchRecorders(): Promise<Figure[]> {
  try {
    return [await imageRate(), await streamRate(), pickleRate(), await deadTime()];
  } finally {
    await clearGadgets();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const f of await benchRecorders()) console.log(JSON.stringify(f));
  process.exit();
}
