/**
 * The Xspress3 simulator: its stream read by a Python subscriber (pyzmq,
 * numpy, pickle), its own file and the scan file's link read by h5py, and
 * the physics of its spectra.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { env, runCommand, Recorder, Hdf5Recorder, Xspress3Simulator, SpectrumModel, SIM_SAMPLE, DummyMotor, Detector } from "../src/index.ts";
import { flyHardware } from "./helpers/fly.ts";
import { resetBeamline } from "./helpers/beamline.ts";
import { SYSTEM_PYTHON, needsH5py, needsPyzmq, runPython } from "./helpers/system.ts";

after(async () => {
  await Promise.all(Recorder.getInstances().map((r) => r.stop()));
  for (const d of Xspress3Simulator.getInstances()) d.dispose();
});

const SUBSCRIBER = String.raw`
import zmq, json, sys, pickle, numpy as np
ctx = zmq.Context(); s = ctx.socket(zmq.SUB); s.connect(sys.argv[1]); s.setsockopt(zmq.SUBSCRIBE, b"")
s.setsockopt(zmq.RCVTIMEO, 30000)
print("ready", flush=True)
out = {"header": None, "frames": []}
while True:
    m = json.loads(s.recv())
    if m["htype"] == "header": out["header"] = m
    elif m["htype"] == "series_end": break
    elif m["htype"] == "image":
        raw = s.recv(); scalers = pickle.loads(s.recv())
        a = np.frombuffer(raw, dtype=m["type"]).reshape(m["shape"])
        out["frames"].append({"frame": m["frame"], "shape": list(a.shape), "sums": a.sum(axis=1).tolist(), "scalers": scalers})
print(json.dumps(out))
`;

test("a scan with xsp3 active: Python reads the streamer format, h5py the detector's own file and the scan file's link",
  { skip: needsH5py() || needsPyzmq(), timeout: 60_000 }, async () => {
    const { samx, samy } = resetBeamline();
    const energy = new DummyMotor({ name: "energy", dialPosition: 10, dialLimits: [5, 30] });
    const xsp3 = new Xspress3Simulator({ name: "xsp3", address: "tcp://127.0.0.1:0", spot: () => ({ x: samx.now(), y: samy.now(), energy: energy.now() }) });
    await xsp3.bind();
    const h5rec = new Hdf5Recorder({ name: "h5rec" });
    await h5rec.start();
    const py = spawn(SYSTEM_PYTHON, ["-c", SUBSCRIBER, xsp3.address], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    py.stdout.on("data", (b: Buffer) => void (out += b.toString()));
    // the subscriber exits at series_end, which can come before the scan's promise settles
    const exited = new Promise((resolve) => py.once("exit", resolve));
    await new Promise<void>((resolve) => py.stdout.once("data", () => resolve()));
    await new Promise((r) => setTimeout(r, 300)); // the SUB connects asynchronously
    await runCommand("ascan samx 0 1 4 0.05");
    await exited;
    const streamed = JSON.parse(out.slice(out.indexOf("\n") + 1)) as {
      header: { filename: string; overwritable: boolean }; frames: { frame: number; shape: number[]; sums: number[]; scalers: number[] }[];
    };
    const own = join(env.paths.directory, "scan_000001_xsp3.h5");
    assert.deepEqual(streamed.header, { htype: "header", filename: own, overwritable: false });
    assert.deepEqual(streamed.frames.map((f) => f.frame), [0, 1, 2, 3, 4]);
    for (const f of streamed.frames) {
      assert.deepEqual(f.shape, [4, 4096]);
      assert.equal(f.scalers.length, 8);
      assert.equal(f.scalers[1], f.sums.reduce((a, b) => a + b, 0)); // AllEvents
    }
    const file = runPython<{ shape: number[]; dtype: string; sums: number[][]; link: [string, string]; linked: number[] }>(String.raw`
import h5py, json, sys
f = h5py.File(sys.argv[1], "r"); d = f["entry/instrument/xspress3/data"]
s = h5py.File(sys.argv[2], "r"); l = s["entry/measurement"].get("xsp3", getlink=True)
print(json.dumps({"shape": list(d.shape), "dtype": str(d.dtype), "sums": d[()].sum(axis=2).tolist(),
  "link": [l.filename, l.path], "linked": list(s["entry/measurement/xsp3"].shape)}))`, [own, join(env.paths.directory, "000001.h5")]);
    assert.deepEqual([file.shape, file.dtype], [[5, 4, 4096], "uint32"]);
    assert.deepEqual(file.sums, streamed.frames.map((f) => f.sums));
    assert.deepEqual(file.link, ["scan_000001_xsp3.h5", "entry/instrument/xspress3/data"]);
    assert.deepEqual(file.linked, [5, 4, 4096]);
  });

test("the spectra: element peaks at their energies (10 eV per bin), scatter at the beam energy, the sim sample's pattern", () => {
  const model = new SpectrumModel(SIM_SAMPLE, { channels: 4, bins: 4096, keVPerBin: 0.01 });
  const at = (x: number, y: number, bin: number, energy = 10) => model.expectation({ x, y, energy }, 1)[bin];
  // Fe Ka at 6.404 keV: the peak is in bin 640, and higher than its neighbours 10 bins away
  assert.ok(at(0.2, 0.2, 640) > at(0.2, 0.2, 630) && at(0.2, 0.2, 640) > at(0.2, 0.2, 650));
  assert.ok(at(0.2, 0.5, 748) > 10 * at(0.8, 0.5, 748), "Ni Ka (7.478 keV) only where samx < 0.5");
  assert.ok(at(0.8, 0.5, 541) > 10 * at(0.2, 0.5, 541), "Cr Ka (5.415 keV) only where samx >= 0.5");
  assert.ok(at(0.5, 0.1, 296) > at(0.5, 0.9, 296) * 3, "Ar Ka (2.957 keV) falls with samy");
  assert.ok(at(0.5, 0.5, 944) > 5 * at(0.9, 0.9, 944), "Pt La (9.442 keV) in the disc");
  assert.ok(at(0.5, 0.5, 1200, 12) > 10 * at(0.5, 0.5, 1200, 10), "the scatter peak follows the beam energy");
  // Poisson counts: the mean of many frames approaches the expectation
  const frames = Array.from({ length: 200 }, () => model.frame({ x: 0.2, y: 0.2, energy: 10 }, 0.01));
  const mean = frames.reduce((a, f) => a + f[640], 0) / frames.length;
  const expected = model.expectation({ x: 0.2, y: 0.2, energy: 10 }, 0.01)[640];
  assert.ok(Math.abs(mean - expected) < 4 * Math.sqrt(expected / frames.length) + 0.05, `${mean} vs ${expected}`);
});

test("hardware-triggered in a fly scan, xsp3 takes one frame per trigger into its own file; a software scan takes one per point", { skip: needsH5py(), timeout: 60_000 }, async () => {
  for (const d of Xspress3Simulator.getInstances()) d.dispose();
  await Promise.all(Recorder.getInstances().map((r) => r.stop()));
  const { samx, samy } = resetBeamline();
  for (const d of Detector.getInstances()) d.active = false;
  const { box } = flyHardware();
  const xsp3 = new Xspress3Simulator({ name: "xsp3", address: "tcp://127.0.0.1:0", spot: () => ({ x: samx.now(), y: samy.now(), energy: 10 }), hwTrigMinLatency: 0.0001 });
  xsp3.triggerSource = box.triggers;
  await runCommand("flyscan pzx 20 30 4 pzy 0 1 2 0.002");
  const shape = (n: number) => runPython<number[]>(`import h5py, json, sys; print(json.dumps(list(h5py.File(sys.argv[1], "r")["entry/instrument/xspress3/data"].shape)))`,
    [join(env.paths.directory, `scan_${String(n).padStart(6, "0")}_xsp3.h5`)]);
  assert.deepEqual(shape(1), [15, 4, 4096], "3 lines of 5 triggers");
  assert.equal(xsp3.published, 15);
  xsp3.hwTrig = true;
  xsp3.hwTrigN = 3;
  await runCommand("ascan samx 0 1 2 0.01");
  assert.deepEqual(shape(2), [3, 4, 4096], "one frame per point outside fly scans");
  assert.deepEqual([xsp3.hwTrig, xsp3.hwTrigN], [true, 3], "the user's settings come back");
});
