/**
 * Our scan files read by a reader of the original Contrast's format
 * (examples/read_original_format.py, with Debian's h5py).
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  env, runCommand, Recorder, Hdf5Recorder, DummyDictDetector, Dummy2dDetector, DummyWritingDetector, SimulatedDetector,
  type NdArray, type ScanPoint, type Value,
} from "../src/index.ts";
import { resetBeamline } from "./helpers/beamline.ts";
import { ROOT } from "./helpers/cli.ts";
import { needsH5py, runPython } from "./helpers/system.ts";

after(async () => {
  await Promise.all(Recorder.getInstances().map((r) => r.stop()));
});

/** Says "ok" or "hot"; reads nothing (None) at every third point. */
class StatusDetector extends SimulatedDetector {
  private n = 0;
  protected reading(): Value {
    const n = this.n++;
    return n % 3 === 2 ? null : n % 2 ? "hot" : "ok";
  }
}

/** A detector that writes its own files and hands the recorder nothing, as some did in the original. */
class SilentDetector extends SimulatedDetector {
  protected reading(): Value { return null; }
}

interface Column { dtype: string; shape: number[]; first: unknown; last: unknown; sum?: number }
interface Summary { description: string; snapshot: Record<string, unknown>; measurement: Record<string, Column> }

test("examples/read_original_format.py reads our scan files as it read the original's", { skip: needsH5py(), timeout: 90_000 }, async () => {
  const { rec } = resetBeamline();
  new DummyDictDetector({ name: "counter" });
  new Dummy2dDetector({ name: "cam", shape: [16, 8] });
  new DummyWritingDetector({ name: "eiger" });
  new StatusDetector({ name: "status" });
  new SilentDetector({ name: "silent" });
  const h5 = new Hdf5Recorder({ name: "h5rec" });
  await h5.start();
  await runCommand("ascan samx 0 1 3 0.01 sample=Au");

  const file = join(env.paths.directory, "000001.h5");
  const reader = join(ROOT, "examples", "read_original_format.py");
  const got = runPython<Summary>(readFileSync(reader, "utf8"), [file]);
  const points = rec.messages.filter((m): m is ScanPoint => m.kind === "data").map((p) => p.data);
  assert.equal(points.length, 4);

  assert.equal(got.description, "ascan samx 0 1 3 0.01 sample=Au");
  assert.deepEqual(got.snapshot, { samx: 0, samy: 0, gap: 0 });
  const m = got.measurement;
  assert.deepEqual(m.samx, { dtype: "<f8", shape: [4], first: [0], last: [1], sum: 0 + 1 / 3 + 2 / 3 + 1 });
  assert.deepEqual([m.det.shape, m.det.first, m.det.last], [[4], [points[0].det], [points[3].det]]);
  assert.deepEqual([m.spec.dtype, m.spec.shape], ["<f8", [4, 100]]);
  assert.deepEqual([m.cam.dtype, m.cam.shape], ["<u2", [4, 16, 8]]);
  const camSum = points.reduce((s, p) => s + Array.from((p.cam as NdArray).data as Uint16Array).reduce((a, b) => a + b, 0), 0);
  assert.equal(m.cam.sum, camSum);
  const counter = points[0].counter as Record<string, number>;
  for (const key of Object.keys(counter)) assert.deepEqual(m[`counter/${key}`].first, [counter[key]], key);
  // strings and None as the original wrote them: fixed-length bytes, b'None'
  assert.deepEqual([m.status.dtype, m.status.shape, m.status.first, m.status.last], ["|S256", [4], "ok", "hot"]);
  assert.deepEqual([m.silent.dtype, m.silent.first, m.silent.last], ["|S256", "None", "None"]);
  // the writing detector's link, resolved by HDF5
  assert.equal(m.eiger.shape[0], 4);

  // what we add stays: status, times, tags, NeXus attributes
  const ours = runPython<unknown[]>(String.raw`
import h5py, sys, json
f = h5py.File(sys.argv[1], "r")
e = f["entry"]
print(json.dumps([e["status"][()].decode(), "start_time" in e and "end_time" in e, e["tags/sample"][()].decode(),
    e.attrs["NX_class"], e.attrs["default"], f["entry/measurement/status"][2].decode()]))`, [file]);
  assert.deepEqual(ours, ["finished", true, "Au", "NXentry", "plot", "None"]);
});
