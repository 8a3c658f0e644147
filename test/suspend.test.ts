/** Suspend and re-take on beam loss, pause and resume recorded like a suspension, deadlines: the scan file read back by h5py. */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import {
  env, runCommand, AbortError, Hdf5Recorder, SimulatedBeamScheduler, Scheduler, InjectionScheduler, MemoryRecorder,
} from "../src/index.ts";
import type { ScanMessage, ScanSuspension } from "../src/index.ts";
import { StreamRecorder } from "../src/index.ts";
import { PickleFormat } from "../src/recorders/stream/pickleFormat.ts";
import { StreamListener } from "./helpers/recorders.ts";
import { resetBeamline, takeOutput } from "./helpers/beamline.ts";
import { needsH5py, SYSTEM_PYTHON } from "./helpers/system.ts";

const skip = needsH5py();
const BACKGROUND = 10;
const waitUntil = async (ok: () => boolean): Promise<void> => {
  while (!ok()) await new Promise((r) => setTimeout(r, 5));
};

interface FileView { samx: number[]; det: number[]; status: string; suspensions: { start: number[]; end: number[]; reason: string[]; point: number[] } | null }
function readBack(scannr: number): FileView {
  const py = String.raw`
import h5py, json, sys
f = h5py.File(sys.argv[1], "r")
e = f["entry"]
s = None
if "suspensions" in e:
    g = e["suspensions"]
    s = {k: [x.decode() if isinstance(x, bytes) else float(x) for x in g[k][()]] for k in ("start", "end", "reason", "point")}
print(json.dumps({"samx": e["measurement/samx"][()].tolist(), "det": e["measurement/det"][()].tolist(),
  "status": e["status"][()].decode(), "suspensions": s}))`;
  return JSON.parse(execFileSync(SYSTEM_PYTHON, ["-c", py, join(env.paths.directory, `${String(scannr).padStart(6, "0")}.h5`)], { encoding: "utf8" })) as FileView;
}

let h5: Hdf5Recorder | undefined;
after(async () => { await h5?.stop(); });

/** The test beamline with a beam that can be lost: det reads 1000/s with beam, its background without. */
async function beamline() {
  await h5?.stop();
  const g = resetBeamline();
  h5 = new Hdf5Recorder({ name: "h5test" });
  await h5.start();
  const beam = new SimulatedBeamScheduler();
  env.scheduler = beam;
  env.scan.settleSeconds = 0.05;
  g.det.signal = () => (beam.beamUp ? 1000 + g.samx.now() : 0) + BACKGROUND;
  g.spec.active = false;
  return { ...g, beam };
}
const kinds = (rec: MemoryRecorder) => rec.messages.map((m: ScanMessage) => (m.kind === "suspension" ? m.status : m.kind));

test("a beam loss in the middle of an ascan: every point once, in order, none without beam, one suspension", { skip }, async () => {
  const { beam, rec } = await beamline();
  const points = () => rec.messages.filter((m) => m.kind === "data").length;
  const scan = runCommand("ascan samx 0 1 10 0.05");
  await waitUntil(() => points() >= 4);
  beam.beamloss(0.02, 0.3);
  const result = (await scan) as { scannr: number };
  const f = readBack(result.scannr);
  assert.deepEqual(f.samx, Array.from({ length: 11 }, (_, i) => i / 10));
  for (const [i, v] of f.det.entries()) assert.ok(v > 1000 * 0.05, `point ${i} has beam (${v})`);
  assert.equal(f.status, "finished");
  assert.equal(f.suspensions?.reason.length, 1);
  assert.equal(f.suspensions?.reason[0], "beam lost (simulated)");
  assert.ok(f.suspensions.end[0] > f.suspensions.start[0]);
  assert.ok(f.suspensions.point[0] >= 4 && f.suspensions.point[0] <= 10);
  const k = kinds(rec);
  assert.equal(k.filter((x) => x === "suspended").length, 1);
  assert.ok(k.indexOf("resumed") > k.indexOf("suspended"));
  assert.match(takeOutput(), /suspended at point \d+: beam lost \(simulated\)[\s\S]*resumed after [\d.]+ s: taking point \d+ again/);
});

test("a beam loss during the last point still ends with every point", { skip }, async () => {
  const { beam, rec } = await beamline();
  const points = () => rec.messages.filter((m) => m.kind === "data").length;
  const scan = runCommand("ascan samx 0 1 4 0.3");
  await waitUntil(() => points() >= 4);
  beam.beamloss(0.1, 0.2);
  const result = (await scan) as { scannr: number; points: number };
  assert.equal(result.points, 5);
  const f = readBack(result.scannr);
  assert.deepEqual(f.samx, [0, 0.25, 0.5, 0.75, 1]);
  for (const v of f.det) assert.ok(v > 1000 * 0.3);
  assert.deepEqual(f.suspensions?.point, [4]);
});

test("a detector that calls the point bad gets it taken again", { skip }, async () => {
  const { det, rec } = await beamline();
  let starts = 0;
  const start = det.start.bind(det);
  det.start = async () => {
    await start();
    if (++starts === 3) setTimeout(() => det.pointIsBad("own beam check failed"), 5);
  };
  const result = (await runCommand("ascan samx 0 1 5 0.05")) as { scannr: number };
  const f = readBack(result.scannr);
  assert.equal(f.samx.length, 6);
  assert.deepEqual(f.suspensions?.reason, ["det: own beam check failed"]);
  assert.deepEqual(f.suspensions?.point, [2]);
  assert.equal(rec.messages.filter((m) => m.kind === "data").length, 6);
});

test("pause then resume gives the data of a scan not paused; the pause is listed like a suspension", { skip }, async () => {
  const { rec } = await beamline();
  const plain = readBack(((await runCommand("ascan samx 0 1 10 0.02")) as { scannr: number }).scannr);
  rec.clear();
  const scan = runCommand("ascan samx 0 1 10 0.02");
  await waitUntil(() => rec.messages.filter((m) => m.kind === "data").length >= 3);
  env.scan.pause();
  await waitUntil(() => env.scan.paused);
  await new Promise((r) => setTimeout(r, 100));
  env.scan.resume();
  const paused = readBack(((await scan) as { scannr: number }).scannr);
  assert.deepEqual(paused.samx, plain.samx);
  assert.deepEqual(paused.det, plain.det);
  assert.equal(plain.suspensions, null);
  assert.deepEqual(paused.suspensions?.reason, ["paused"]);
});

test("a suspension is in the file as soon as it ends: the recorder killed later leaves it listed", { skip }, async () => {
  const { beam, rec } = await beamline();
  const points = () => rec.messages.filter((m) => m.kind === "data").length;
  const scan = runCommand("ascan samx 0 1 40 0.02");
  scan.catch(() => {}); // the recorder's death fails it
  await waitUntil(() => points() >= 4);
  beam.beamloss(0.02, 0.2);
  await waitUntil(() => rec.messages.some((m) => m.kind === "suspension" && m.status === "resumed"));
  const resumedAt = rec.messages.length;
  // a point taken after the resumption: every recorder has handled the resumed message
  await waitUntil(() => rec.messages.slice(resumedAt).some((m) => m.kind === "data"));
  const scannr = rec.messages[0].scannr;
  process.kill(h5!.pid!, "SIGKILL");
  await assert.rejects(scan, /h5test/);
  const f = readBack(scannr);
  assert.equal(f.status, "running", "the footer never reached the file");
  assert.deepEqual(f.suspensions?.reason, ["beam lost (simulated)"]);
  assert.ok(f.suspensions.end[0] > f.suspensions.start[0], `ended ${f.suspensions.end[0]} after it began ${f.suspensions.start[0]}`);
  const resumed = rec.messages.find((m): m is ScanSuspension => m.kind === "suspension" && m.status === "resumed")!;
  assert.equal(f.suspensions.end[0], resumed.time);
});

test("pause then abort: the file says interrupted, lists the pause, and dscan returns", { skip }, async () => {
  const { samx, rec } = await beamline();
  await samx.move(3);
  const line = new AbortController();
  env.scan.abortRunning = () => (line.abort(), true);
  const scan = runCommand("dscan samx 0 1 20 0.02", { signal: line.signal });
  await waitUntil(() => rec.messages.filter((m) => m.kind === "data").length >= 3);
  env.scan.pause();
  await waitUntil(() => env.scan.paused);
  env.scan.abort();
  await assert.rejects(scan, AbortError);
  env.scan.abortRunning = () => false;
  const footer = rec.messages.at(-1);
  assert.equal(footer?.kind === "footer" && footer.status, "interrupted");
  const f = readBack(footer?.scannr ?? -1);
  assert.equal(f.status, "interrupted");
  assert.deepEqual(f.suspensions?.reason, ["paused"]);
  assert.equal(await samx.position(), 3);
});

/** A deadline `at` (performance.now() ms): limit() counts down to it, then there is none. */
class DeadlineScheduler extends Scheduler {
  constructor(readonly at: number) { super(); }
  override limit(): number | null {
    const left = (this.at - performance.now()) / 1000;
    return left > 0 ? left : null;
  }
}

test("a deadline closer than a point needs is waited for, and said so", async () => {
  const { rec } = resetBeamline();
  const when: number[] = [];
  const send = rec.send.bind(rec);
  rec.send = async (m) => { if (m.kind === "data") when.push(performance.now()); return send(m); };
  const deadline = performance.now() + 300;
  env.scheduler = new DeadlineScheduler(deadline);
  await runCommand("ascan samx 0 1 2 0.01");
  assert.equal(when.length, 3);
  assert.ok(when[0] >= deadline, "the first point comes after the deadline");
  assert.match(takeOutput(), /waiting 0\.\d s for the scheduler's deadline to pass \(a point needs 5\.\d s\)/);
});

test("the margin is configurable: a deadline far enough away is not waited for", async () => {
  resetBeamline();
  const margin = env.scan.deadlineMargin;
  env.scan.deadlineMargin = (exposure) => exposure * 2;
  const deadline = performance.now() + 5000;
  env.scheduler = new DeadlineScheduler(deadline);
  try {
    await runCommand("ascan samx 0 1 2 0.01");
  } finally {
    env.scan.deadlineMargin = margin;
  }
  assert.doesNotMatch(takeOutput(), /deadline/);
});

test("injections more often than a point needs: one wait, said so, then the scan goes on; an injection during a point re-takes it", async () => {
  const { rec } = resetBeamline();
  env.scheduler = new InjectionScheduler(0.3, 0.05, 0.1);
  env.scan.settleSeconds = 0;
  // points take a third of the period: injections (every 0.3 s) start while points are taken
  const result = (await runCommand("loopscan 9 0.1")) as { points: number };
  assert.equal(result.points, 10);
  const out = takeOutput();
  assert.equal(out.match(/waiting [\d.]+ s for the scheduler's deadline/g)?.length, 1, out);
  assert.match(out, /deadlines come too often to wait for, this scan goes on without/);
  const footer = rec.messages.at(-1);
  const indices = rec.messages.flatMap((m) => (m.kind === "data" ? [m.index] : []));
  assert.deepEqual(indices, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "every point once, in order");
  const suspensions = (footer?.kind === "footer" && footer.suspensions) || [];
  assert.ok(suspensions.length >= 1, "an injection during a point suspended the scan");
  for (const s of suspensions) assert.equal(s.reason, "waiting for the injection to end");
});

test("the stream (a real SUB socket) gets suspended and resumed between the points, each point once", { skip }, async () => {
  const { beam } = await beamline();
  const stream = new StreamRecorder({ name: "stream", address: "tcp://127.0.0.1:0", heartbeatSeconds: 0.1 });
  await stream.start();
  const sub = new StreamListener(stream.address);
  try {
    await sub.waitFor((m) => m.kind === "heartbeat");
    const scan = runCommand("ascan samx 0 1 8 0.05");
    await sub.waitFor((m) => m.kind === "data" && m.index === 2);
    beam.beamloss(0, 0.2);
    const { scannr } = (await scan) as { scannr: number };
    await sub.waitFor((m) => m.kind === "footer");
    const seen = sub.scan(scannr).map((m) => (m.kind === "data" ? `data:${m.index}` : `${m.kind}:${m.status}`));
    const i = seen.indexOf("suspension:suspended");
    assert.ok(i > 0 && seen[i + 1] === "suspension:resumed", seen.join(" "));
    assert.deepEqual(seen.filter((x) => x.startsWith("data:")), Array.from({ length: 9 }, (_, k) => `data:${k}`));
    const msg = sub.scan(scannr)[i] as ScanSuspension;
    assert.equal(msg.reason, "beam lost (simulated)");
  } finally {
    await sub.close();
    await stream.stop();
  }
});

test("in the original's pickle format a suspension is a dict Python reads", { skip }, () => {
  const frames = new PickleFormat().encode({ kind: "suspension", status: "suspended", scannr: 3, index: 7, reason: "beam lost", time: 1.5 });
  const out = execFileSync(SYSTEM_PYTHON, ["-c", "import pickle, sys, json; print(json.dumps(pickle.loads(sys.stdin.buffer.read())))"], { input: frames[0], encoding: "utf8" });
  assert.deepEqual(JSON.parse(out), { status: "suspended", scannr: 3, index: 7, reason: "beam lost", time: 1.5 });
});

test("the time left leaves out the time spent suspended", { skip }, async () => {
  const { beam, rec } = await beamline();
  const progress: { done: number; total: number; elapsed: number; left: number }[] = [];
  env.progress = (p) => void progress.push(p);
  try {
    const scan = runCommand("ascan samx 0 1 10 0.05");
    await waitUntil(() => progress.length >= 3);
    beam.beamloss(0.01, 0.4);
    await scan;
  } finally {
    env.progress = undefined;
  }
  const footer = rec.messages.at(-1);
  const s = (footer?.kind === "footer" && footer.suspensions) || [];
  assert.equal(s.length, 1);
  const waited = s[0].end - s[0].start;
  const after = progress.filter((p) => p.done > s[0].index && p.done < p.total);
  assert.ok(after.length > 0);
  for (const p of after) {
    const naive = (p.elapsed / p.done) * (p.total - p.done); // counting the wait as if points had been slow
    assert.ok(naive - p.left > 0.9 * waited * (p.total - p.done) / p.done, `point ${p.done}: left ${p.left} s, naive ${naive} s`);
  }
});
