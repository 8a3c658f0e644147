import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import {
  runCommand, DummyDetector, Dummy1dDetector, Dummy2dDetector, LimitError, isNdArray,
  type PiezoAxis, type PiezoStage, type PandaBox, type FlyLine, type ValueDict,
} from "../src/index.ts";
import { flyHardware } from "./helpers/fly.ts";
import { resetBeamline, takeOutput } from "./helpers/beamline.ts";

let pzx: PiezoAxis;
let pzy: PiezoAxis;
let stage: PiezoStage;
let box: PandaBox;

beforeEach(() => {
  resetBeamline();
  ({ stage, pzx, pzy, box } = flyHardware());
});

const line: FlyLine = { start: 10, stop: 20, triggers: 11, period: 0.002, accTime: 0.002 };

test("a piezo axis is an ordinary motor: mv, limits in dial units, user/dial conversion", async () => {
  await runCommand("mv pzx 40");
  assert.equal(await pzx.position(), 40);
  await assert.rejects(runCommand("mv pzx 101"), LimitError);
  assert.equal(await pzx.position(), 40, "a refused move moves nothing");
  pzx.scaling = -1;
  pzx.offset = 100;
  assert.deepEqual(pzx.userLimits, [0, 100]);
  const [from, to] = pzx.lineExtent(line);
  assert.ok(from < 10 && to > 20, `the waveform ramps outside the line in user units (${from}, ${to})`);
  await pzx.move(from);
  await pzx.runLine(line);
  assert.ok(Math.abs((await pzx.position()) - to) < 1e-6, "the line ends where lineExtent says, in user units");
});

test("the box, started by the controller, triggers the detectors and averages the encoders per gate", async () => {
  const det = new DummyDetector({ name: "tdet", triggerSource: box.triggers, signal: (t) => (t === undefined ? -1 : pzx.positionAt(t)) });
  const spec = new Dummy1dDetector({ name: "tspec", triggerSource: box.triggers, channels: 8 });
  const cam = new Dummy2dDetector({ name: "tcam", triggerSource: box.triggers, shape: [4, 6] });
  const dets = [box, det, spec, cam];
  for (const d of dets) {
    d.hwTrig = true;
    d.hwTrigN = line.triggers;
    await d.prepare(0.001, null, 1);
  }
  box.period = line.period;
  await pzy.move(30);
  await pzx.move(pzx.lineExtent(line)[0]);
  for (const d of dets) await d.start();
  await Promise.all([pzx.runLine(line), ...dets.map((d) => d.done())]);
  const enc = (await box.read()) as ValueDict;
  const x = enc.pzx as Float64Array;
  const y = enc.pzy as Float64Array;
  const time = enc.time as Float64Array;
  assert.equal(x.length, 11);
  const step = (line.stop - line.start) / (line.triggers - 1);
  x.forEach((v, k) => {
    assert.ok(Math.abs(v - (line.start + k * step + step / 4)) < 0.1, `trigger ${k}: gate average ${v} near the commanded path`);
    if (k) assert.ok(v > x[k - 1], "rises monotonically");
  });
  y.forEach((v) => assert.ok(Math.abs(v - 30) < 0.05));
  time.forEach((t, k) => assert.ok(Math.abs(t - k * line.period) < 1e-9, "trigger times are period apart"));
  const counts = (await det.read()) as Float64Array;
  assert.equal(counts.length, 11, "one frame per trigger");
  counts.forEach((c, k) => assert.ok(Math.abs(c / 0.001 - (line.start + k * step)) < 0.1, `frame ${k} saw the stage where the trigger was`));
  const s = await spec.read();
  assert.ok(isNdArray(s) && s.shape.join() === "11,8");
  const img = await cam.read();
  assert.ok(isNdArray(img) && img.shape.join() === "11,4,6");
});

test("a box that never sees its start signal times out naming itself", async () => {
  box.hwTrig = true;
  box.hwTrigN = 5;
  box.startTimeout = 0.05;
  await box.prepare(0.001, null, 1);
  await box.start();
  await assert.rejects(box.done(), /panda0: no start signal from lc400 within 0.05 s/);
  assert.equal(box.busy(), false);
});

test("ct takes one software-started frame from triggered detectors and leaves the user's settings", async () => {
  const det = new DummyDetector({ name: "tdet", triggerSource: box.triggers, hwTrigMinLatency: 0.001 });
  det.hwTrig = true;
  det.hwTrigN = 7;
  const r = (await runCommand("ct 0.01")) as Record<string, unknown>;
  assert.equal(r.tdet, 1, "one frame of 100 counts/s for 0.01 s");
  assert.equal(typeof (r.panda0 as Record<string, unknown>).pzx, "number");
  assert.deepEqual([det.hwTrig, det.hwTrigN], [true, 7]);
  takeOutput();
  await runCommand("lstrig");
  const out = takeOutput();
  assert.match(out, /trigger sources: lc400, panda0/);
  assert.match(out, /tdet\s+source=panda0 minLatency=0.001 hwTrig=true hwTrigN=7/);
  assert.match(out, /det\s+source=- hwTrig=false/);
});
