import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import {
  runCommand, env, PiezoStage, PseudoDetector, Dummy2dDetector, DummyDetector, Dummy1dDetector, LimitError,
  type PiezoAxis, type PandaBox, type ScanPoint, type ScanFooter, type ValueDict, type NdArray,
} from "../src/index.ts";
import { flyHardware } from "./helpers/fly.ts";
import { resetBeamline, takeOutput } from "./helpers/beamline.ts";

let bl: ReturnType<typeof resetBeamline>;
let pzx: PiezoAxis;
let pzy: PiezoAxis;
let box: PandaBox;
let tdet: DummyDetector;
let tspec: Dummy1dDetector;

beforeEach(() => {
  bl = resetBeamline();
  ({ pzx, pzy, box } = flyHardware());
  tdet = new DummyDetector({ name: "tdet", triggerSource: box.triggers, hwTrigMinLatency: 0.0002 });
  tspec = new Dummy1dDetector({ name: "tspec", triggerSource: box.triggers, hwTrigMinLatency: 0.0001, channels: 16 });
  bl.spec.active = false;
});

const points = () => bl.rec.messages.filter((m): m is ScanPoint => m.kind === "data");
const footers = () => bl.rec.messages.filter((m): m is ScanFooter => m.kind === "footer");

test("a 10 x 100 fly scan: one record per line, 100 triggered frames, encoder averages rising from start to stop", async () => {
  const r = await runCommand("flyscan pzx 10 60 99 pzy 0 45 9 0.0005");
  assert.deepEqual(r, { scannr: 1, status: "finished", points: 10 });
  const lines = points();
  assert.equal(lines.length, 10);
  lines.forEach((p, i) => {
    const enc = p.data.panda0 as ValueDict;
    const x = enc.pzx as Float64Array;
    assert.equal(x.length, 100);
    const tol = 50 / 99; // one step: the gate averages over the motion during the exposure
    assert.ok(Math.abs(x[0] - 10) < tol && Math.abs(x[99] - 60) < tol, `line ${i} runs from 10 to 60: ${x[0]} .. ${x[99]}`);
    for (let k = 1; k < 100; k++) assert.ok(x[k] > x[k - 1], `line ${i}: rises at trigger ${k}`);
    for (const y of enc.pzy as Float64Array) assert.ok(Math.abs(y - 5 * i) < 0.05, `line ${i} is at pzy ${5 * i}`);
    assert.equal(p.data.pzy, 5 * i);
    assert.equal((p.data.pzx as Float64Array).length, 100, "the fly motor's nominal positions");
    assert.equal((p.data.tdet as Float64Array).length, 100, "100 frames per line");
    assert.deepEqual((p.data.tspec as NdArray).shape, [100, 16]);
    assert.equal(typeof p.data.det, "number", "a detector that cannot be triggered is read once per line");
    const t = enc.time as Float64Array;
    assert.ok(Math.abs(t[1] - t[0] - 0.0007) < 1e-9, "the period is exposure + the longest minimum latency");
  });
  assert.equal(footers()[0].status, "finished");
  assert.deepEqual([tdet.hwTrig, tdet.hwTrigN], [false, 1], "the user's settings come back");
});

test("the table of a fly scan keeps its columns apart when a line of images is wide", async () => {
  new Dummy2dDetector({ name: "tcam", triggerSource: box.triggers, shape: [16, 256] });
  takeOutput();
  await runCommand("flyscan pzx 10 60 99 pzy 0 10 1 0.0005");
  const out = takeOutput();
  assert.match(out, /#\s+pzx\s+pzy\s+det\s+panda0\s+tdet\s+tspec\s+tcam\s+dt\s+left/);
  assert.match(out, /^\s+1\s+\(100,\)\s+10\s+0\.\d+\s+\{…\}\s+\(100,\)\s+\(100,16\)\s+\(100,16,256\)\s+\d/m);
});

test("a latency below a detector's minimum is refused before anything moves", async () => {
  await runCommand("mv pzx 5 pzy 5");
  await assert.rejects(runCommand("flyscan pzx 10 60 99 pzy 0 45 9 0.0005 latency=0.0001"),
    (e: Error & { usage?: string }) => /latency 0.0001 s is below tdet's minimum of 0.0002 s/.test(e.message) && /flyscan <fly-motor>/.test(e.usage ?? ""));
  assert.deepEqual([await pzx.position(), await pzy.position()], [5, 5]);
  assert.equal(bl.rec.messages.length, 0);
  tdet.active = false;
  await runCommand("flyscan pzx 10 60 9 0.0005 latency=0.0001");
  assert.equal(footers()[0].status, "finished", "without tdet, tspec's minimum allows it");
});

test("a waveform outside the fly motor's limits moves nothing", async () => {
  await runCommand("mv pzx 5 pzy 5");
  await assert.rejects(runCommand("flyscan pzx 0 100 99 pzy 0 45 9 0.001"), (e: Error) => e instanceof LimitError && /line 0: the waveform begins outside the limits \(acctime ramp included\): pzx: target -[\d.]+ is outside the limits \[0, 100\]; nothing moved/.test(e.message));
  await assert.rejects(runCommand("flyscan pzx 50 100 99 0.001"), /line 0: the waveform ends outside the limits: pzx: target 100\.\d+/);
  assert.deepEqual([await pzx.position(), await pzy.position()], [5, 5]);
  assert.equal(bl.rec.messages.length, 0);
  assert.equal(env.nextScanId, 1);
});

test("a detector wired to a box that is not active is refused", async () => {
  box.active = false;
  await assert.rejects(runCommand("flyscan pzx 10 60 9 0.001"), /tdet is wired to panda0, which is not active/);
  assert.equal(bl.rec.messages.length, 0);
});

test("a pseudo detector over a triggered one gives one value per trigger", async () => {
  new PseudoDetector({ name: "half", expression: "tdet / 2" });
  await runCommand("flyscan pzx 10 60 9 0.001");
  const half = points()[0].data.half as Float64Array;
  assert.ok(half instanceof Float64Array && half.length === 10);
  half.forEach((v, k) => assert.equal(v, ((points()[0].data.tdet as Float64Array)[k]) / 2));
});

test("bad arguments print the usage and move nothing", async () => {
  for (const line of ["flyscan samx 0 1 10 0.1", "flyscan pzx 0 1 10", "flyscan pzx 0 1 10 0.1 acctime=-1"]) {
    await assert.rejects(runCommand(line), (e: Error & { usage?: string }) => /flyscan <fly-motor>/.test(e.usage ?? ""), line);
  }
  assert.equal(await pzx.position(), 0);
  assert.equal(bl.rec.messages.length, 0);
});

test("a box that never sees its start signal fails the scan cleanly, naming itself", async () => {
  const other = new PiezoStage({ name: "lc401" });
  box.triggerSource = other.lineStart;
  box.startTimeout = 0.2;
  await assert.rejects(runCommand("flyscan pzx 10 60 9 pzy 0 10 2 0.001"), /panda0: no start signal from lc401 within 0.2 s/);
  assert.equal(footers()[0].status, "failed");
  assert.match(footers()[0].error ?? "", /panda0: no start signal/);
  assert.equal(tdet.busy(), false);
  assert.deepEqual([tdet.hwTrig, tdet.hwTrigN, box.hwTrig], [false, 1, false]);
});

test("an ascan after a fly scan takes one frame per point; dflyscan returns its motors", async () => {
  tdet.hwTrigN = 3; // a user's setting: kept, but software scans take one frame
  await runCommand("flyscan pzx 10 60 9 0.001");
  await runCommand("ascan pzy 0 10 4 0.001");
  const after = points().slice(1);
  assert.equal(after.length, 5);
  for (const p of after) assert.equal(p.data.tdet, 0.1, "one frame of 100 counts/s for 1 ms");
  assert.equal(tdet.hwTrigN, 3);
  await runCommand("mv pzx 30 pzy 20");
  await runCommand("dflyscan pzx -5 5 9 pzy -1 1 2 0.001");
  const lines = points().slice(6);
  assert.deepEqual(lines.map((p) => p.data.pzy), [19, 20, 21]);
  assert.ok(Math.abs((lines[0].data.pzx as Float64Array)[0] - 25) < 1e-9);
  assert.deepEqual([await pzx.position(), await pzy.position()], [30, 20]);
  takeOutput();
});
