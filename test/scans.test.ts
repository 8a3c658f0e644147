import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import {
  runCommand, env, Scheduler, InjectionScheduler, LimitError, Recorder, PseudoDetector, DummyDictDetector,
  type ScanMessage, type ScanHeader, type ScanPoint, type ScanFooter, type SoftwareScan,
} from "../src/index.ts";
import { resetBeamline, takeOutput } from "./helpers/beamline.ts";

let bl: ReturnType<typeof resetBeamline>;
beforeEach(() => (bl = resetBeamline()));

const headers = () => bl.rec.messages.filter((m): m is ScanHeader => m.kind === "header");
const points = () => bl.rec.messages.filter((m): m is ScanPoint => m.kind === "data");
const footers = () => bl.rec.messages.filter((m): m is ScanFooter => m.kind === "footer");

test("ascan sends header, one record per point and a footer, and prints a table", async () => {
  const r = await runCommand("ascan samx 0 1 4 0.01 sample=gold")
  assert.deepEqual(r, { scannr: 1, status: "finished", points: 5 });
  const [h] = headers();
  assert.equal(h.description, "ascan samx 0 1 4 0.01 sample=gold");
  assert.deepEqual(h.motors, ["samx"]);
  assert.deepEqual(h.detectors, ["det", "spec"]);
  assert.deepEqual(h.tags, { sample: "gold" });
  assert.equal(h.snapshot.samx, 0);
  assert.deepEqual(points().map((p) => p.data.samx), [0, 0.25, 0.5, 0.75, 1]);
  for (const p of points()) {
    assert.ok(Math.abs((p.data.det as number) - 1) < 1e-9, "det counts 100/s for 0.01 s");
    assert.ok(p.data.spec instanceof Float64Array && p.data.spec.length === 100);
    assert.equal(typeof p.data.dt, "number");
  }
  assert.deepEqual(points().map((p) => p.index), [0, 1, 2, 3, 4]);
  assert.equal(footers()[0].status, "finished");
  assert.equal(footers()[0].snapshot.samx, 1);
  const out = takeOutput();
  assert.match(out, /#\s+samx\s+det\s+spec\s+dt\s+left/);
  assert.match(out, /^\s+4\s+1\s+1\s+\(100,\)/m);
  assert.match(out, /scan #1 finished \(5 points\)/);
});

test("ascan with several motors moves them together", async () => {
  await runCommand("ascan samx 0 1 samy 0 -2 2 0");
  assert.deepEqual(points().map((p) => [p.data.samx, p.data.samy]), [[0, 0], [0.5, -1], [1, -2]]);
});

test("a scan that would cross a limit moves nothing and sends nothing", async () => {
  await runCommand("mv samy 1");
  await assert.rejects(runCommand("ascan samy 0 6 6 0"), (e: Error) => e instanceof LimitError && /point 6: samy: target 6 is outside the limits \[-5, 5\]; nothing moved/.test(e.message));
  await assert.rejects(runCommand("dscan samy -2 5 7 0"), /point 7: samy: target 6/);
  assert.equal(await bl.samy.position(), 1);
  assert.equal(bl.rec.messages.length, 0);
  assert.equal(env.nextScanId, 1, "no scan number is used up");
});

test("dscan is relative and returns its motor to the start", async () => {
  await runCommand("mv samx 2");
  await runCommand("dscan samx -1 1 2 0");
  assert.deepEqual(points().map((p) => p.data.samx), [1, 2, 3]);
  assert.equal(await bl.samx.position(), 2);
});

test("dscan returns its motor after an interrupt, with footer 'interrupted'", async () => {
  await runCommand("mv samx 2");
  bl.samx.velocity = 50;
  const ctl = new AbortController();
  let n = 0;
  env.hooks.beforeMove = () => void (++n === 4 && ctl.abort());
  await assert.rejects(runCommand("dscan samx -1 1 20 0.01", { signal: ctl.signal }), /interrupted/);
  assert.equal(points().length, 3);
  assert.equal(footers()[0].status, "interrupted");
  assert.equal(await bl.samx.position(), 2);
  assert.equal(await bl.samx.busy(), false);
  assert.match(takeOutput(), /scan #1 interrupted \(3 points\)/);
});

test("dscan returns its motor after a detector failure, with footer 'failed' naming the detector", async () => {
  await runCommand("mv samx 2");
  let n = 0;
  env.hooks.beforeStart = () => void (++n === 3 && (bl.det.failNext = 10));
  await assert.rejects(runCommand("dscan samx -1 1 4 0"), /det: simulated failure to start/);
  assert.equal(points().length, 2);
  const [f] = footers();
  assert.equal(f.status, "failed");
  assert.match(f.error ?? "", /det: simulated failure to start/);
  assert.equal(await bl.samx.position(), 2);
});

test("a start that fails once is retried and the scan goes on", async () => {
  bl.det.failNext = 2;
  await runCommand("loopscan 3 0");
  assert.equal(points().length, 3);
  assert.equal(footers()[0].status, "finished");
});

test("mesh visits a grid with the last motor fastest", async () => {
  await runCommand("mesh samx 0 1 1 samy 0 2 2 0");
  assert.deepEqual(points().map((p) => [p.data.samx, p.data.samy]), [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]);
  assert.equal(headers()[0].npoints, 6);
});

test("dmesh is relative and returns both motors", async () => {
  await runCommand("mv samx 1 samy 1");
  await runCommand("dmesh samy -1 1 1 samx 0 1 1 0");
  assert.deepEqual(points().map((p) => [p.data.samy, p.data.samx]), [[0, 1], [0, 2], [2, 1], [2, 2]]);
  assert.deepEqual([await bl.samx.position(), await bl.samy.position()], [1, 1]);
});

test("listscan, loopscan, spiralscan and fermatscan", async () => {
  await runCommand("listscan samx 0,0.5,3 samy 1,2,3 0");
  assert.deepEqual(points().map((p) => [p.data.samx, p.data.samy]), [[0, 1], [0.5, 2], [3, 3]]);
  env.scope.xs = [4, 5];
  await runCommand("listscan samx xs 0");
  assert.deepEqual(points().slice(3).map((p) => p.data.samx), [4, 5]);
  bl.rec.clear();
  await runCommand("loopscan 4 0");
  assert.equal(points().length, 4);
  assert.deepEqual(headers()[0].motors, []);
  bl.rec.clear();
  await runCommand("mv samx 1 samy 1");
  await runCommand("spiralscan samx samy 0.1 20 0");
  const spiral = points();
  assert.equal(spiral.length, 20);
  const radii = spiral.map((p) => Math.hypot((p.data.samx as number) - 1, (p.data.samy as number) - 1));
  assert.ok(radii.every((r, i) => i === 0 || r >= radii[i - 1] - 1e-12), "the spiral grows outwards");
  assert.deepEqual([await bl.samx.position(), await bl.samy.position()], [1, 1]);
  bl.rec.clear();
  await runCommand("fermatscan samx samy 1 0.5 0.1 0");
  const f = points();
  assert.ok(f.length > 20, `${f.length} points`);
  assert.ok(f.every((p) => Math.abs((p.data.samx as number) - 1) <= 0.5 + 1e-9 && Math.abs((p.data.samy as number) - 1) <= 0.25 + 1e-9));
  assert.deepEqual([await bl.samx.position(), await bl.samy.position()], [1, 1]);
});

test("scans wait while the scheduler is not ready, saying why once per reason", async () => {
  class Gate extends Scheduler {
    open = false;
    why = "waiting: shutter closed";
    override async ready() { return this.open; }
    override describe() { return this.why; }
  }
  const gate = new Gate();
  gate.recheckSeconds = 0.01;
  env.scheduler = gate;
  const scan = runCommand("ascan samx 0 1 2 0");
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(points().length, 0, "no point while not ready");
  gate.why = "waiting: injection";
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(takeOutput().match(/waiting: .*/g), ["waiting: shutter closed", "waiting: injection"]);
  gate.open = true;
  await scan;
  assert.equal(points().length, 3);
});

test("with an injection scheduler no point starts inside an injection", async () => {
  const inj = new InjectionScheduler(0.2, 0.08);
  env.scheduler = inj;
  const readyAtStart: boolean[] = [];
  env.hooks.beforeStart = async () => void readyAtStart.push(await inj.ready());
  await runCommand("loopscan 20 0.02");
  assert.equal(readyAtStart.length, 20);
  assert.ok(readyAtStart.every(Boolean));
});

test("hooks run at their moments, in order", async () => {
  const seen: string[] = [];
  const hook = (name: string) => (s: SoftwareScan) => void seen.push(`${name}:${s.scannr}`);
  env.hooks = { beforeScan: hook("scan"), beforeMove: hook("move"), beforeArm: hook("arm"), beforeStart: hook("start"), whileAcquiring: hook("acq"), afterScan: hook("after") };
  await runCommand("ascan samx 0 1 1 0");
  assert.deepEqual(seen, ["scan:1", "move:1", "arm:1", "start:1", "acq:1", "move:1", "arm:1", "start:1", "acq:1", "after:1"]);
});

test("a busy detector or a dead recorder refuses the scan before anything moves", async () => {
  await bl.det.prepare(5, null, 1);
  await bl.det.start();
  await assert.rejects(runCommand("ascan samx 0 1 2 0"), /scan not started: det busy/);
  await bl.det.stop();
  class DeadRecorder extends Recorder {
    async send(_m: ScanMessage) {}
    isAlive() { return false; }
    override deathReason() { return "exit code 1"; }
  }
  new DeadRecorder({ name: "dead" });
  await assert.rejects(runCommand("ascan samx 0 1 2 0"), /recorder dead is not running \(exit code 1\)/);
  assert.equal(await bl.samx.position(), 0);
  assert.equal(bl.rec.messages.length, 0);
});

test("a recorder that refuses the header fails the scan before the first move", async () => {
  class Refusing extends Recorder {
    async send(m: ScanMessage) { if (m.kind === "header") throw new Error("file exists"); }
    isAlive() { return true; }
  }
  new Refusing({ name: "refusing" });
  await assert.rejects(runCommand("ascan samx 1 2 2 0"), /file exists/);
  assert.equal(await bl.samx.position(), 0);
  assert.equal(footers()[0].status, "failed");
  assert.equal(points().length, 0);
});

test("inactive detectors are left out; a pseudo detector is computed from the others", async () => {
  new DummyDictDetector({ name: "dict" });
  new PseudoDetector({ name: "ratio", expression: "det / dict.monitor" });
  await runCommand("deactivate spec");
  await runCommand("ascan samx 0 1 1 0.1");
  const [h] = headers();
  assert.deepEqual(h.detectors, ["det", "dict", "ratio"]);
  const p = points()[0].data;
  assert.equal(p.spec, undefined);
  assert.deepEqual(p.dict, { counts: 10, monitor: 100, ratio: 0.1 });
  assert.ok(Math.abs((p.ratio as number) - 0.1) < 1e-9);
});

test("a pseudo detector over an array reading uses that reading", async () => {
  new PseudoDetector({ name: "total", expression: "sum(spec) / 2" });
  await runCommand("ascan samx 0 1 1 0.1");
  const p = points()[0].data;
  const spec = Array.from(p.spec as ArrayLike<number>);
  assert.ok(spec.length > 0);
  assert.ok(Math.abs((p.total as number) - spec.reduce((a, b) => a + b, 0) / 2) < 1e-6);
});

test("a pseudo detector with a bad expression fails before the scan starts", async () => {
  new PseudoDetector({ name: "bad", expression: "det / (" });
  await assert.rejects(runCommand("ascan samx 0 1 1 0"), /bad: bad expression/);
  assert.equal(bl.rec.messages.length, 0);
});

test("absurd point counts are refused at once instead of hanging", async () => {
  await assert.rejects(runCommand("ascan samx 0 1 1e308 0.1"), /intervals must be a whole number/);
  await assert.rejects(runCommand("fermatscan samx samy 1 1 1e-300 0"), /too many/);
  const saved = (await import("../src/scans/SoftwareScan.ts")).SoftwareScan;
  const before = saved.maxPoints;
  saved.maxPoints = 100;
  try {
    await assert.rejects(runCommand("loopscan 101 0"), /more than 100 points: scan not started/);
  } finally {
    saved.maxPoints = before;
  }
  assert.equal(bl.rec.messages.length, 0);
});
