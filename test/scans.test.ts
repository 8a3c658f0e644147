import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import {
  runCommand, env, Mesh, DMesh, Scheduler, InjectionScheduler, LimitError, Recorder, PseudoDetector, DummyDictDetector,
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
  await runCommand("loopscan 2 0");
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

test("listscan, loopscan and spiralscan", async () => {
  await runCommand("listscan samx 0,0.5,3 samy 1,2,3 0");
  assert.deepEqual(points().map((p) => [p.data.samx, p.data.samy]), [[0, 1], [0.5, 2], [3, 3]]);
  env.scope.xs = [4, 5];
  await runCommand("listscan samx xs 0");
  assert.deepEqual(points().slice(3).map((p) => p.data.samx), [4, 5]);
  bl.rec.clear();
  await runCommand("loopscan 3 0");
  assert.equal(points().length, 4, "intervals + 1 exposures");
  assert.deepEqual(headers()[0].motors, []);
  bl.rec.clear();
  await runCommand("mv samx 1 samy 1");
  await runCommand("spiralscan samx samy 0.1 20 0");
  const spiral = points();
  assert.equal(spiral.length, 20);
  const radii = spiral.map((p) => Math.hypot((p.data.samx as number) - 1, (p.data.samy as number) - 1));
  assert.ok(radii.every((r, i) => i === 0 || r >= radii[i - 1] - 1e-12), "the spiral grows outwards");
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
  const result = (await runCommand("loopscan 19 0.02")) as { points: number };
  assert.equal(result.points, 20);
  assert.ok(readyAtStart.length >= 20, "a point an injection cut is started again");
  // the scheduler says ready a moment before the point starts: on a busy machine an injection can
  // begin in between, and that point is cut and taken again, so no kept point started inside one
  const startedInside = readyAtStart.filter((ready) => !ready).length;
  assert.ok(startedInside <= readyAtStart.length - 20, `${startedInside} of ${readyAtStart.length} starts inside an injection, not all taken again`);
});

test("hooks run at their moments, in order", async () => {
  const seen: string[] = [];
  const hook = (name: string) => (s: SoftwareScan) => void seen.push(`${name}:${s.scannr}`);
  env.hooks = { beforeScan: hook("scan"), beforeMove: hook("move"), beforeArm: hook("arm"), beforeStart: hook("start"), whileAcquiring: hook("acq"), afterScan: hook("after") };
  await runCommand("ascan samx 0 1 1 0");
  assert.deepEqual(seen, ["scan:-1", "move:1", "arm:1", "start:1", "acq:1", "move:1", "arm:1", "start:1", "acq:1", "after:1"], "beforeScan comes before the scan number");
});

test("beforeScan runs before anything is prepared or sent; one that throws refuses the scan and uses no scan number", async () => {
  bl.det.acqTime = 7;
  const seen: string[] = [];
  env.hooks.beforeScan = () => void seen.push(`acqTime ${bl.det.acqTime}, ${bl.rec.messages.length} messages`);
  await runCommand("ascan samx 0 1 1 0.01");
  assert.deepEqual(seen, ["acqTime 7, 0 messages"]);
  const next = env.nextScanId;
  const after: string[] = [];
  env.hooks.beforeScan = () => { throw new Error("the fast shutter does not open"); };
  env.hooks.afterScan = () => void after.push("after");
  bl.rec.messages.length = 0;
  await assert.rejects(runCommand("ascan samx 0 1 1 0.01"), /the fast shutter does not open/);
  assert.equal(env.nextScanId, next, "no scan number used up");
  assert.equal(bl.rec.messages.length, 0, "nothing sent");
  assert.equal(await bl.samx.position(), 1, "nothing moved");
  assert.deepEqual(after, []);
  // a hook on a scan that the limits refuse is not called
  seen.length = 0;
  env.hooks.beforeScan = () => void seen.push("called");
  await assert.rejects(runCommand("ascan samy 0 10 1 0.01"), LimitError);
  assert.deepEqual(seen, []);
});

test("whileAcquiring is called repeatedly while the detectors acquire, each call awaited, none after they are done", async () => {
  env.whileAcquiringInterval = 0.01;
  const perPoint: number[] = [];
  let running = 0;
  let overlapped = false;
  env.hooks.whileAcquiring = async (scan) => {
    if (running++) overlapped = true;
    perPoint[scan.pointsDone] = (perPoint[scan.pointsDone] ?? 0) + 1;
    await new Promise((r) => setTimeout(r, 5));
    running--;
  };
  try {
    await runCommand("loopscan 1 0.4");
  } finally {
    env.whileAcquiringInterval = 0.1;
  }
  assert.equal(perPoint.length, 2);
  assert.ok(perPoint.every((n) => n >= 2), `called ${perPoint.join(", ")} times per point`);
  assert.equal(overlapped, false);
  const total = perPoint[0] + perPoint[1];
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(perPoint[0] + perPoint[1], total, "no call after the scan");
  // a hook that throws fails the scan, with a footer
  env.hooks.whileAcquiring = () => { throw new Error("shutter closed"); };
  await assert.rejects(runCommand("loopscan 1 0.05"), /shutter closed/);
  assert.equal(footers().at(-1)?.status, "failed");
});

test("a hook can be given per scan class: the nearest class wins over env.hooks", async (t) => {
  const seen: string[] = [];
  t.after(() => {
    delete (Mesh as { hooks?: unknown }).hooks;
    delete (DMesh as { hooks?: unknown }).hooks;
  });
  env.hooks.beforeScan = (s) => void seen.push(`global ${s.constructor.name}`);
  env.hooks.afterScan = (s) => void seen.push(`global after ${s.constructor.name}`);
  Mesh.hooks = { beforeScan: (s) => void seen.push(`mesh ${s.constructor.name}`) };
  await runCommand("ascan samx 0 1 1 0");
  await runCommand("mesh samx 0 1 1 samy 0 1 1 0");
  await runCommand("dmesh samx 0 1 1 samy 0 1 1 0");
  DMesh.hooks = { beforeScan: (s) => void seen.push(`dmesh ${s.constructor.name}`) };
  await runCommand("dmesh samx 0 1 1 samy 0 1 1 0");
  assert.deepEqual(seen, ["global AScan", "global after AScan", "mesh Mesh", "global after Mesh", "mesh DMesh", "global after DMesh", "dmesh DMesh", "global after DMesh"]);
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
  await assert.rejects(runCommand("fermatscan samx 0 1 samy 0 1 1e-300 0"), /too many/);
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

test("loopscan takes intervals + 1 exposures, of 1 s when no exposure time is given", async () => {
  await runCommand("loopscan 0");
  const [p] = points();
  assert.equal(points().length, 1);
  assert.ok(Math.abs((p.data.det as number) - 100) < 1e-6, `det counts 100/s for 1 s: ${p.data.det}`);
  for (const bad of ["loopscan", "loopscan -1 0", "loopscan 1.5 0", "loopscan 2 0 0", "loopscan 2 -1"])
    await assert.rejects(runCommand(bad), (e: Error) => /loopscan <intervals> \[<exp_time>\]/.test(e.message), bad);
});

test("fermatscan covers an absolute rectangle: points strictly inside, sorted along motor1, motors left at the last point", async () => {
  await runCommand("mv samx 5 samy 3");
  await runCommand("fermatscan samx 0 1 samy 0 2 0.2 0");
  const xy = points().map((p) => [p.data.samx as number, p.data.samy as number]);
  assert.ok(xy.length > 30 && xy.length < 200, `${xy.length} points`);
  assert.ok(xy.every(([x, y]) => x > 0 && x < 1 && y > 0 && y < 2), "strictly inside the rectangle");
  assert.ok(xy.every(([x], i) => i === 0 || x >= xy[i - 1][0]), "sorted along samx");
  // evenly dense: each quarter of the rectangle holds about a quarter of the points
  const quarter = xy.filter(([x, y]) => x < 0.5 && y < 1).length;
  assert.ok(Math.abs(quarter / xy.length - 0.25) < 0.08, `${quarter} of ${xy.length} in one quarter`);
  // nearest neighbours about a step apart
  const nearest = xy.map(([x, y], i) => Math.min(...xy.filter((_, j) => j !== i).map(([u, v]) => Math.hypot(u - x, v - y))));
  const mean = nearest.reduce((a, b) => a + b, 0) / nearest.length;
  assert.ok(mean > 0.1 && mean < 0.2, `mean nearest-neighbour distance ${mean}`);
  assert.deepEqual([await bl.samx.position(), await bl.samy.position()], xy.at(-1));
  for (const bad of ["fermatscan samx samy 1 0.5 0.1 0", "fermatscan samx 0 1 samx 0 1 0.1 0", "fermatscan samx 0 1 samy 0 1 0 0"])
    await assert.rejects(runCommand(bad), (e: Error) => /fermatscan <motor1> <start1> <stop1> <motor2>/.test(e.message), bad);
});

test("mesh jitter=f moves each coordinate within +-0.5*f*step and says so; a bad jitter is refused with the usage", async () => {
  await runCommand("mesh samx 0 1 4 samy 0 2 4 0 jitter=0.4");
  assert.match(takeOutput(), /jittered: each position moved at random by up to \+-0\.2 of a step/);
  const xy = points().map((p) => [p.data.samx as number, p.data.samy as number]);
  assert.equal(xy.length, 25);
  const dx = xy.map(([x], i) => x - 0.25 * Math.floor(i / 5));
  const dy = xy.map(([, y], i) => y - 0.5 * (i % 5));
  assert.ok(dx.every((d) => Math.abs(d) <= 0.2 * 0.25 + 1e-12), `samx moved up to ${Math.max(...dx.map(Math.abs))}`);
  assert.ok(dy.every((d) => Math.abs(d) <= 0.2 * 0.5 + 1e-12), `samy moved up to ${Math.max(...dy.map(Math.abs))}`);
  assert.ok(Math.max(...dx.map(Math.abs)) > 0.25 * 0.1, "the jitter uses most of its range");
  assert.equal(headers()[0].tags.jitter, 0.4);
  bl.rec.clear();
  for (const bad of ["mesh samx 0 1 2 0 jitter=abc", "mesh samx 0 1 2 0 jitter=-0.1", "dmesh samx 0 1 2 0 jitter=samy"])
    await assert.rejects(runCommand(bad), (e: Error) => /jitter must be a number >= 0/.test(e.message) && /mesh <motor1> <start> <stop> <intervals>/.test(e.message), bad);
  assert.equal(bl.rec.messages.length, 0);
  assert.equal(env.nextScanId, 2, "no scan number is used up");
});

test("meshjmesh: a fine mesh around each point of a coarse one, each jittered within +-0.5 of its own step", async () => {
  await runCommand("meshjmesh samx 0 2 1 0.2 -0.1 0.1 1 0.5 samy 0 4 2 0 0 0.3 3 0 0");
  const xy = points().map((p) => [p.data.samx as number, p.data.samy as number]);
  assert.equal(xy.length, 2 * 3 * 2 * 4);
  assert.equal(headers()[0].npoints, 48);
  // point k: coarse (i, j), fine (a, b); samy is fast in both and not jittered
  xy.forEach(([x, y], k) => {
    const [i, j, a, b] = [Math.floor(k / 24), Math.floor(k / 8) % 3, Math.floor(k / 4) % 2, k % 4];
    assert.ok(Math.abs(y - (2 * j + 0.1 * b)) < 1e-9, `point ${k}: samy ${y}`);
    // samx: coarse step 2 (jitter 0.2 -> +-0.2), fine step 0.2 (jitter 0.5 -> +-0.05)
    assert.ok(Math.abs(x - (2 * i - 0.1 + 0.2 * a)) <= 0.2 + 0.05 + 1e-9, `point ${k}: samx ${x}`);
  });
  // one coarse jitter for all the fine points around a coarse point: they differ by the fine jitter only
  for (const [i, j] of [[0, 0], [1, 2]]) {
    const f = xy.slice(i * 24 + j * 8, i * 24 + j * 8 + 8).map(([x], n) => x - 0.2 * (Math.floor(n / 4) % 2));
    assert.ok(Math.max(...f) - Math.min(...f) <= 0.1 + 1e-9, "fine jitter only within one coarse point");
  }
  await assert.rejects(runCommand("meshjmesh samx 0 2 1 0.2 -0.1 0.1 1 0.5 samy 0 4 2 0 0 0.3 3 -1 0"),
    (e: Error) => /subjitter2 must be a number >= 0/.test(e.message) && /meshjmesh <motor1>/.test(e.message));
  await assert.rejects(runCommand("meshjmesh samx 0 2 1 0.2 0"), /meshjmesh <motor1>/);
});

test("listscan takes Python lists, several motors each with its list, besides comma lists and variables; bad lists show the usage", async () => {
  await runCommand("listscan samx [0,0.5,1] 0.01");
  await runCommand("listscan samx [0, 0.25, 10**-2] samy [1,2, 3,] 0");
  await runCommand("listscan samx 0,1 samy [pi/2, 2**0.5] 0");
  assert.deepEqual(points().map((p) => [p.data.samx, p.data.samy ?? null]),
    [[0, null], [0.5, null], [1, null], [0, 1], [0.25, 2], [0.01, 3], [0, Math.PI / 2], [1, Math.SQRT2]]);
  bl.rec.clear();
  for (const bad of ["listscan samx 0,1,,2 0", "listscan samx [0,,1] 0", "listscan samx [0,abc] 0", "listscan samx [] 0",
    "listscan samx [0,1] samy [0] 0", "listscan samx 0,1,"])
    await assert.rejects(runCommand(bad), (e: Error) => /listscan <motor1> <positions1>/.test(e.message), bad);
  assert.equal(bl.rec.messages.length, 0);
});

test("Python's ** works in expressions besides mathjs syntax; a zero step in spiralscan is refused with the usage", async () => {
  await runCommand("ascan samx 0 10**-2 2 2**-10");
  assert.deepEqual(points().map((p) => p.data.samx), [0, 0.005, 0.01]);
  assert.equal(headers()[0].description, "ascan samx 0 10**-2 2 2**-10");
  await runCommand("ascan samx 0 10^-2 1 0");
  assert.deepEqual(points().slice(3).map((p) => p.data.samx), [0, 0.01]);
  await assert.rejects(runCommand("spiralscan samx samy 0 10 0"), (e: Error) => /stepsize must be above 0/.test(e.message) && /spiralscan <motor1>/.test(e.message));
});
