import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { runCommand, env, Dummy2dDetector, DummyDictDetector, DummyWritingDetector, type ScanPoint, type Link, isNdArray } from "../src/index.ts";
import { resetBeamline, takeOutput } from "./helpers/beamline.ts";
import { needsH5py, runPython } from "./helpers/system.ts";

let bl: ReturnType<typeof resetBeamline>;
beforeEach(() => (bl = resetBeamline()));

test("ct counts the active detectors once and prints the readings", async () => {
  const r = (await runCommand("ct 0.2")) as Record<string, unknown>;
  assert.ok(Math.abs((r.det as number) - 20) < 1e-9);
  assert.ok(r.spec instanceof Float64Array);
  const out = takeOutput();
  assert.match(out, /det : 20/);
  assert.match(out, /spec : \(100,\)/);
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
  await assert.rejects(runCommand("deactivate"), /name at least one detector/);
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

test("the 2-D and dict dummies; live mode on the 2-D dummy", async () => {
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
  assert.ok(cam.lastFrame && cam.lastFrame.data.length === 32 * 48);
  await runCommand("stoplive");
  assert.equal(cam.live, false);
  await assert.rejects(runCommand("startlive det"), /det has no live mode/);
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
