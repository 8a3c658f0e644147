import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { runCommand, env, Dummy2dDetector, DummyDictDetector, DummyWritingDetector, PseudoDetector, type ScanPoint, type Link, isNdArray } from "../src/index.ts";
import { resetBeamline, takeOutput } from "./helpers/beamline.ts";
import { needsH5py, runPython } from "./helpers/system.ts";

let bl: ReturnType<typeof resetBeamline>;
beforeEach(() => (bl = resetBeamline()));

test("ct counts the active detectors once and prints the readings", async () => {
  const r = (await runCommand("ct 0.2")) as Record<string, unknown>;
  assert.ok(Math.abs((r.det as number) - 20) < 1e-9);
  assert.ok(r.spec instanceof Float64Array);
  const out = takeOutput();
  assert.match(out, /^ +det : 20$/m);
  const sum = (r.spec as Float64Array).reduce((a, b) => a + b, 0);
  assert.ok(sum > 0);
  assert.match(out, new RegExp(`^ *spec : array \\(100,\\) sum ${String(sum).replace(".", "\\.")} max 20$`, "m"), out);
  assert.equal(bl.rec.messages.length, 0, "ct records nothing");
});

test("activate, deactivate and lsdet", async () => {
  await runCommand("deactivate spec");
  assert.deepEqual(await runCommand("lsdet"), ["det"]);
  assert.match(takeOutput(), /^\* det\s+DummyDetector/m);
  const r = (await runCommand("ct 0.01")) as Record<string, unknown>;
  assert.deepEqual(Object.keys(r), ["det"]);
  await runCommand("activate spec");
  assert.deepEqual(await runCommand("lsdet"), ["det", "spec"]);
  await assert.rejects(runCommand("activate samx"), /detector must be a detector \(got samx\)/);
  await assert.rejects(runCommand("deactivate samx"), /detector must be a detector/);
  bl.spec.userLevel = 4;
  assert.deepEqual(await runCommand("deactivate"), ["det"], "no name: every detector visible at the user level");
  assert.equal(bl.spec.active, true, "the hidden one is left alone");
  assert.deepEqual(await runCommand("activate"), ["det"]);
  assert.equal(bl.det.active, true);
});

test("lsdet marks busy and live detectors", async () => {
  // a detector left acquiring (lsdet itself runs under the one-macro rule, so not during a ct)
  await bl.det.prepare(0.3, null, 1);
  await bl.det.start();
  await runCommand("startlive spec 0.01");
  takeOutput();
  await runCommand("lsdet");
  const out = takeOutput();
  assert.match(out, /^\* det\s+DummyDetector\s+busy\s+scalar counter$/m);
  assert.match(out, /^\* spec\s+Dummy1dDetector\s+live\s+spectrum/m);
  await bl.det.done();
  await runCommand("stoplive");
  await runCommand("lsdet");
  assert.match(takeOutput(), /^\* det\s+DummyDetector\s+scalar counter$/m);
});

test("ct prints a dict as keys and values, a pseudo detector may compute a dict, and the ct hooks run around counting", async () => {
  new DummyDictDetector({ name: "counter" });
  new PseudoDetector({ name: "pb", expression: { norm: "det / counter.monitor", twice: "2 * det" } });
  const calls: string[] = [];
  env.hooks.beforeCt = ({ exposure }) => void calls.push(`before ${exposure} ${bl.det.busy()}`);
  env.hooks.afterCt = ({ exposure, readings }) => void calls.push(`after ${exposure} ${Object.keys(readings ?? {}).join(",")}`);
  const r = (await runCommand("ct 0.1")) as Record<string, unknown>;
  assert.deepEqual(calls, ["before 0.1 false", "after 0.1 det,spec,counter,pb"]);
  assert.deepEqual(r.pb, { norm: 0.1, twice: 20 });
  const out = takeOutput();
  assert.match(out, /^counter : \{counts: 10, monitor: 100, ratio: 0\.1\}$/m);
  assert.match(out, /^     pb : \{norm: 0\.1, twice: 20\}$/m);
  // the dict pseudo detector is recorded as a dict in a scan too
  await runCommand("ascan samx 0 1 1 0.1");
  const p = bl.rec.messages.find((m): m is ScanPoint => m.kind === "data");
  assert.deepEqual(p?.data.pb, { norm: 0.1, twice: 20 });
  // a failing count still runs afterCt, with no readings
  calls.length = 0;
  bl.det.failNext = 3;
  await assert.rejects(runCommand("ct 0.1"), /simulated failure/);
  assert.deepEqual(calls, ["before 0.1 false", "after 0.1 "]);
});

test("Ctrl-C during ct stops the detectors", async () => {
  const ctl = new AbortController();
  const counting = runCommand("ct 10", { signal: ctl.signal });
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(bl.det.busy(), true);
  ctl.abort();
  await assert.rejects(counting, /interrupted/);
  assert.equal(bl.det.busy(), false);
});

test("the 2-D and dict dummies; every dummy has a software live mode", async () => {
  const cam = new Dummy2dDetector({ name: "cam", shape: [32, 48] });
  new DummyDictDetector({ name: "dict" });
  await runCommand("ascan samx 0 1 1 0.1");
  const p = bl.rec.messages.find((m): m is ScanPoint => m.kind === "data");
  const frame = p?.data.cam;
  assert.ok(isNdArray(frame));
  assert.deepEqual(frame.shape, [32, 48]);
  assert.ok(frame.data instanceof Uint16Array && frame.data.length === 32 * 48);
  assert.ok(Math.max(...frame.data) > 0);
  assert.deepEqual(p?.data.dict, { counts: 10, monitor: 100, ratio: 0.1 });
  await runCommand("startlive cam 0.01");
  assert.equal(cam.live, true);
  await new Promise((r) => setTimeout(r, 60));
  assert.ok(isNdArray(cam.lastFrame) && cam.lastFrame.data.length === 32 * 48);
  await runCommand("stoplive");
  assert.equal(cam.live, false);
  bl.spec.active = false;
  assert.deepEqual(await runCommand("startlive 0.01"), ["det", "cam", "dict"], "no name: every active detector with a live mode");
  assert.equal(bl.spec.live, false);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(bl.det.lastFrame, 1);
  assert.deepEqual(await runCommand("stoplive"), ["det", "cam", "dict"]);
  new PseudoDetector({ name: "half", expression: "det / 2" });
  await assert.rejects(runCommand("startlive half"), /half has no live mode/);
  await assert.rejects(runCommand("startlive 0.1 det"), /detectors first, then at most one exposure time/);
});

test("burst mode returns one value per frame", async () => {
  bl.det.burstN = 3;
  const r = (await runCommand("ct 0.01")) as Record<string, unknown>;
  assert.ok(r.det instanceof Float64Array && r.det.length === 3);
});

test("the writing detector writes its own HDF5 file and returns a link", { skip: needsH5py() }, async () => {
  new DummyWritingDetector({ name: "wdet", shape: [8, 4] });
  await runCommand("ascan samx 0 1 3 0");
  const links = bl.rec.messages.filter((m): m is ScanPoint => m.kind === "data").map((p) => p.data.wdet as Link);
  assert.equal(links.length, 4);
  const file = links[0].file;
  assert.ok(links.every((l) => l.file === file && l.path === "entry/data/data" && l.universal));
  assert.ok(file.startsWith(env.paths.directory) && existsSync(file));
  const got = runPython<{ shape: number[]; dtype: string; firsts: number[] }>(`
import h5py, json, sys
with h5py.File(sys.argv[1], "r") as f:
    d = f["entry/data/data"]
    print(json.dumps({"shape": list(d.shape), "dtype": str(d.dtype), "firsts": [int(d[i, 0, 0]) for i in range(d.shape[0])]}))
`, [file]);
  assert.deepEqual(got, { shape: [4, 8, 4], dtype: "uint16", firsts: [0, 1, 2, 3] });
});
