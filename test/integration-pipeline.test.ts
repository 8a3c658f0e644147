/**
 * The live pipeline end to end over real sockets: simulated Eiger → receiver →
 * two local workers (threads) → collector → scan_NNNNNN_integrated.h5, read
 * back with h5py; worker processes that joined over the network, one killed
 * mid-series, lose no frame; a frame of the wrong shape is skipped and counted.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Push } from "zeromq";
import { SimulatedEiger } from "../src/detectors/eiger/SimulatedEiger.ts";
import { imageMessage, seriesEnd, seriesHeader } from "../src/detectors/eiger/streamV1.ts";
import { formatPoni } from "../src/integration/poni.ts";
import { namedDetector } from "../src/integration/detector.ts";
import { DEFAULT_OPTIONS, prepareIntegration } from "../src/integration/setup.ts";
import { SeriesCollector } from "../src/integration/pipeline/collector.ts";
import { LocalWorkers } from "../src/integration/pipeline/localWorkers.ts";
import type { ImageMessage } from "../src/integration/pipeline/image.ts";
import { RECEIVER, type Integrated } from "../src/integration/pipeline/results.ts";
import { runNode, ROOT } from "./helpers/cli.ts";
import { needsH5py, PY_PLAIN_VALUES, runPython } from "./helpers/system.ts";
import { freePort } from "./helpers/tango.ts";

const GEOMETRY = { distance: 0.2, poni1: 0.04, poni2: 0.04, rot1: 0, rot2: 0, rot3: 0, wavelength: 1e-10 };

/** A child's output as it comes, and waits for a pattern in it that fail when the child ends first (or after 4 minutes). */
function watch(child: ChildProcess, what: string) {
  let err = "";
  let out = "";
  child.stderr?.on("data", (d) => (err += d));
  child.stdout?.on("data", (d) => (out += d));
  const waitFor = (text: () => string, re: RegExp) => new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => { clearInterval(poll); reject(new Error(`timed out waiting for ${re}; log:\n${err}`)); }, 240_000);
    const poll = setInterval(() => {
      if (re.test(text())) { clearInterval(poll); clearTimeout(deadline); resolve(); }
      if (child.exitCode !== null) { clearInterval(poll); clearTimeout(deadline); reject(new Error(`${what} ended: ${err}`)); }
    }, 50);
  });
  return { err: () => err, out: () => out, waitFor };
}

interface Pipeline { child: ChildProcess; log: () => string; waitFor(re: RegExp): Promise<void>; addresses(): Promise<{ frames: string; results: string }> }

function startPipeline(dir: string, stream: string, workers: number): Pipeline {
  const child = spawn(process.execPath, ["bin/contrast-integrate-workers.js", "--poni", join(dir, "g.poni"), "--stream", stream, "--workers", String(workers),
    "--dir", dir, "--bins", "200", "--cache", join(dir, "cache"), "--resend-after", "5"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const output = watch(child, "the pipeline");
  return {
    child, log: output.err,
    waitFor: (re) => output.waitFor(output.err, re),
    // the pipeline prints the addresses workers on other machines connect to
    addresses: async () => {
      await output.waitFor(output.out, /\n/);
      return JSON.parse(output.out().split("\n")[0]) as { frames: string; results: string };
    },
  };
}

/** A worker process joining a running pipeline at its addresses, as one on another machine would; settles once it has its table. */
async function joinWorker(dir: string, addresses: { frames: string; results: string }, id: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["bin/contrast-integrate-workers.js", "worker", "--frames", addresses.frames, "--results", addresses.results, "--id", String(id),
    "--poni", join(dir, "g.poni"), "--bins", "200", "--cache", join(dir, "cache")], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  const output = watch(child, "a worker");
  try {
    await output.waitFor(output.err, /table loaded/);
  } catch (e) {
    child.kill("SIGTERM");
    throw e;
  }
  return child;
}

/** A pipeline for an Eiger 500k fed by a PUSH socket of the test's own, to send it any message. */
async function pipelineOnOwnSocket(workers: number): Promise<{ dir: string; push: Push; pipeline: Pipeline }> {
  const dir = mkdtempSync(join(tmpdir(), "contrast-pipeline-"));
  writeFileSync(join(dir, "g.poni"), formatPoni({ ...GEOMETRY, detector: namedDetector("Eiger500k")! }));
  const address = `tcp://127.0.0.1:${await freePort()}`;
  const push = new Push({ linger: 2000, sendTimeout: 60_000 });
  await push.bind(address);
  return { dir, push, pipeline: startPipeline(dir, address, workers) };
}

const eiger500kHeader = (series: number, nimages: number): Buffer[] => seriesHeader(series, { x_pixels_in_detector: 1030, y_pixels_in_detector: 514,
  beam_center_x: 0, beam_center_y: 0, detector_distance: 0.2, wavelength: 1, count_time: 0.1, frame_time: 0.1, nimages, ntrigger: 1 });

/** The simulated Eiger 1M streams scan 5, 24 frames, into `pipeline`; `afterFrame(i)` runs after each frame. */
async function eiger1mScan(dir: string, address: string, pipeline: Pipeline, afterFrame: (i: number) => void = () => {}): Promise<void> {
  const eiger = new SimulatedEiger({ name: "e1m", address, poni: { ...GEOMETRY, detector: "Eiger1M" }, cycle: 3 });
  try {
    await eiger.open();
    while (eiger.receivers === 0) await new Promise((r) => setTimeout(r, 20));
    await eiger.prepare(0.001, { scannr: 5, path: dir }, 24);
    for (let i = 0; i < 24; i++) {
      await eiger.start();
      await eiger.done();
      afterFrame(i);
    }
    await eiger.finish();
    await pipeline.waitFor(/series 5: 24 frames integrated \(\d+ by the receiver\), 0 skipped/);
  } finally {
    await eiger.close();
    eiger.dispose();
  }
}

/** The live file of scan 5 holds its 24 frames in order, equal to what the offline command makes of the detector's own file. */
async function assertSameAsOffline(dir: string): Promise<void> {
  const offline = await runNode(["bin/contrast-integrate.js", "--poni", join(dir, "g.poni"), "--input", `${join(dir, "scan_000005_e1m.h5")}:/entry/data/data`,
    "--bins", "200", "--cache", join(dir, "cache"), "--out", join(dir, "offline.h5")]);
  assert.equal(offline.code, 0, offline.err);
  const r = runPython<{ shape: number[]; frames: number[]; integrated: number; skipped: number; same: boolean; signal: number }>(PY_PLAIN_VALUES + `
live = h5py.File("${join(dir, "scan_000005_integrated.h5")}", "r")["entry/integrated"]
off = h5py.File("${join(dir, "offline.h5")}", "r")["entry/integrated"]
print(json.dumps({"shape": list(live["I"].shape), "frames": clean(live["frame"][()]), "integrated": clean(live.attrs["frames_integrated"]),
  "skipped": clean(live.attrs["frames_skipped"]), "same": bool(np.array_equal(live["I"][()], off["I"][()])), "signal": float(live["I"][()].max())}))`);
  assert.deepEqual(r.shape, [24, 200]);
  assert.deepEqual(r.frames, Array.from({ length: 24 }, (_, i) => i), "rows in frame order");
  assert.equal(r.integrated, 24);
  assert.equal(r.skipped, 0);
  assert.ok(r.same, "the live results equal the offline command's on the detector's own file");
  assert.ok(r.signal > 0);
}

async function eiger1mPipeline(workers: number): Promise<{ dir: string; address: string; pipeline: Pipeline }> {
  const dir = mkdtempSync(join(tmpdir(), "contrast-pipeline-"));
  writeFileSync(join(dir, "g.poni"), formatPoni({ ...GEOMETRY, detector: namedDetector("Eiger1M")! }));
  const address = `tcp://127.0.0.1:${await freePort()}`;
  return { dir, address, pipeline: startPipeline(dir, address, workers) };
}

test("frames from the simulated Eiger are integrated in order by the local workers", { skip: needsH5py() }, async () => {
  const { dir, address, pipeline } = await eiger1mPipeline(2);
  try {
    await pipeline.waitFor(/workers pull from/);
    assert.match(pipeline.log(), /(worker \d: table loaded in [\d.]+ s \(a thread of the receiver\)[\s\S]*){2}/);
    await eiger1mScan(dir, address, pipeline);
    assert.match(pipeline.log(), /series 5: 24 frames integrated \(0 by the receiver\)/, "the local workers integrated every frame");
    await assertSameAsOffline(dir);
  } finally {
    pipeline.child.kill("SIGTERM");
  }
});

test("worker processes that joined at the pipeline's address integrate; one killed mid-scan loses no frame", { skip: needsH5py() }, async () => {
  const { dir, address, pipeline } = await eiger1mPipeline(0);
  const joined: ChildProcess[] = [];
  try {
    const addresses = await pipeline.addresses();
    await Promise.all([0, 1].map(async (id) => joined.push(await joinWorker(dir, addresses, id))));
    const killed = new Promise<string | null>((resolve) => joined[0].once("exit", (_code, signal) => resolve(signal)));
    await eiger1mScan(dir, address, pipeline, (i) => { if (i === 8) joined[0].kill("SIGKILL"); });
    assert.equal(await killed, "SIGKILL");
    const byReceiver = Number(/series 5: 24 frames integrated \((\d+) by the receiver\)/.exec(pipeline.log())![1]);
    assert.ok(byReceiver < 24, "the joined workers integrated frames");
    await assertSameAsOffline(dir);
  } finally {
    pipeline.child.kill("SIGTERM");
    for (const w of joined) w.kill("SIGTERM");
  }
});

test("a frame whose shape is not the geometry's is skipped and counted", { skip: needsH5py() }, async () => {
  const { dir, push, pipeline } = await pipelineOnOwnSocket(1);
  try {
    await pipeline.waitFor(/worker 0: table/);
    const good = new Uint32Array(514 * 1030).fill(3);
    const t = process.hrtime.bigint();
    await push.send(eiger500kHeader(9, 3));
    await push.send(imageMessage(9, 0, good, 1030, 514, t, t));
    await push.send(imageMessage(9, 1, new Uint32Array(100 * 100), 100, 100, t, t));
    await push.send(imageMessage(9, 2, good, 1030, 514, t, t));
    await push.send(seriesEnd(9));
    await pipeline.waitFor(/series 9: 2 frames integrated \(\d+ by the receiver\), 1 skipped/);
    assert.match(pipeline.log(), /frame 1 of series 9 skipped: shape 100x100 \(width x height\) is not the geometry's 1030x514/);
    const r = runPython<{ rows: number[]; skipped: number }>(PY_PLAIN_VALUES + `
g = h5py.File("${join(dir, "scan_000009_integrated.h5")}", "r")["entry/integrated"]
print(json.dumps({"rows": clean(g["frame"][()]), "skipped": clean(g.attrs["frames_skipped"])}))`);
    assert.deepEqual(r.rows, [0, 2]);
    assert.equal(r.skipped, 1);
  } finally {
    pipeline.child.kill("SIGTERM");
    push.close();
  }
});

test("with no worker connected the receiver integrates the frames itself", { skip: needsH5py() }, async () => {
  const { dir, push, pipeline } = await pipelineOnOwnSocket(0);
  try {
    await pipeline.waitFor(/workers pull from/);
    const t = process.hrtime.bigint();
    await push.send(eiger500kHeader(3, 3));
    for (let f = 0; f < 3; f++) await push.send(imageMessage(3, f, new Uint32Array(514 * 1030).fill(f + 1), 1030, 514, t, t));
    await push.send(seriesEnd(3));
    await pipeline.waitFor(/series 3: 3 frames integrated \(3 by the receiver\), 0 skipped/);
    const r = runPython<{ rows: number[]; levels: number[] }>(PY_PLAIN_VALUES + `
g = h5py.File("${join(dir, "scan_000003_integrated.h5")}", "r")["entry/integrated"]
I = g["I"][()]
print(json.dumps({"rows": clean(g["frame"][()]), "levels": [float(np.nanmax(row)) for row in I]}))`);
    assert.deepEqual(r.rows, [0, 1, 2]);
    // flat frames of 1, 2 and 3 counts: each profile's highest bin grows with its frame's level
    assert.ok(r.levels[0] > 0 && r.levels[0] < r.levels[1] && r.levels[1] < r.levels[2], `levels ${r.levels.join(", ")}`);
  } finally {
    pipeline.child.kill("SIGTERM");
    push.close();
  }
});

test("a frame's late second result, after its series' file was closed, leaves the file as it was", { skip: needsH5py() }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "contrast-pipeline-"));
  writeFileSync(join(dir, "g.poni"), formatPoni({ ...GEOMETRY, detector: namedDetector("Eiger500k")! }));
  const options = { ...DEFAULT_OPTIONS, poni: join(dir, "g.poni"), bins: 50, cache: join(dir, "cache") };
  const prepared = await prepareIntegration(options);
  const collector = new SeriesCollector(dir, prepared, options);
  const frame = new Uint32Array(514 * 1030).fill(4);
  const result = () => prepared.integrator.integrate(frame).intensity;
  collector.begin(7);
  for (const f of [0, 1]) await collector.add({ series: 7, frame: f, skipped: null, badPixels: 0, worker: 0 }, result());
  await collector.end(7, 2);
  assert.equal(await collector.add({ series: 7, frame: 1, skipped: null, badPixels: 0, worker: 1 }, result()), false);
  const r = runPython<{ rows: number[]; integrated: number }>(PY_PLAIN_VALUES + `
g = h5py.File("${join(dir, "scan_000007_integrated.h5")}", "r")["entry/integrated"]
print(json.dumps({"rows": clean(g["frame"][()]), "integrated": clean(g.attrs["frames_integrated"])}))`);
  assert.deepEqual(r, { rows: [0, 1], integrated: 2 });
});

test("a local worker thread that fails hands its frame to another thread, and the last one's to the receiver", async () => {
  const dir = mkdtempSync(join(tmpdir(), "contrast-pipeline-"));
  writeFileSync(join(dir, "g.poni"), formatPoni({ ...GEOMETRY, detector: namedDetector("Eiger500k")! }));
  const options = { ...DEFAULT_OPTIONS, poni: join(dir, "g.poni"), bins: 50, cache: join(dir, "cache") };
  const prepared = await prepareIntegration(options);
  const lines: string[] = [];
  const pool = await LocalWorkers.start(2, options, prepared, { log: (line) => lines.push(line) });
  try {
    const frame = new Uint32Array(514 * 1030).map((_, i) => i % 7);
    const expected = Array.from(prepared.integrator.integrate(frame).intensity);
    const image = (f: number): ImageMessage => ({ kind: "image", series: 1, frame: f, shape: [1030, 514], type: "uint32", encoding: "<", data: Buffer.from(frame.buffer) });
    const outcomes: Integrated[] = [];
    let arrived = () => {};
    const done = (r: Integrated) => { outcomes.push(r); arrived(); };
    const next = () => new Promise<Integrated>((resolve) => (arrived = () => resolve(outcomes.at(-1)!)));

    const first = pool.tryIntegrate(image(0), done);
    assert.notEqual(first, null);
    const other = 1 - first!;
    let coming = next();
    pool.kill(first!);
    const r0 = await coming;
    assert.equal(r0.outcome.worker, other, "the killed thread's frame was integrated by the other");
    assert.deepEqual(Array.from(r0.intensity!), expected);

    assert.equal(pool.tryIntegrate(image(1), done), other);
    coming = next();
    pool.kill(other);
    const r1 = await coming;
    assert.equal(r1.outcome.worker, RECEIVER, "with no thread left the frame is integrated where it was received");
    assert.deepEqual(Array.from(r1.intensity!), expected);
    assert.equal(pool.size, 0);
    assert.equal(await pool.integrateWhenFree(image(2), done), false);
    assert.deepEqual(lines, [`worker ${first} (a thread) ended: stopped`, `worker ${other} (a thread) ended: stopped`]);
  } finally {
    await pool.stop();
  }
});
