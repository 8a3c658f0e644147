import { test, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  env, runCommand, Recorder, Hdf5Recorder, StreamRecorder, DummyDetector, Dummy1dDetector,
  DummyWritingDetector, type ScanHeader, type ScanPoint, type NdArray, type ValueDict,
} from "../src/index.ts";
import { flyHardware } from "./helpers/fly.ts";
import { resetBeamline } from "./helpers/beamline.ts";
import { needsH5py, runPython } from "./helpers/system.ts";
import { StreamListener, readScanFile } from "./helpers/recorders.ts";

after(async () => {
  await Promise.all(Recorder.getInstances().map((r) => r.stop()));
});

test("a fly scan's file: (lines, triggers) datasets, the box's encoders under its name, a map as default plot, the writing detector linked once; the stream carries the lines as arrays",
  { skip: needsH5py(), timeout: 120_000 }, async () => {
    const bl = resetBeamline();
    bl.spec.active = false;
    const { pzx, box } = flyHardware();
    new DummyDetector({ name: "tdet", triggerSource: box.triggers, hwTrigMinLatency: 0.0002, signal: (t) => (t === undefined ? 0 : pzx.positionAt(t)) });
    new Dummy1dDetector({ name: "tspec", triggerSource: box.triggers, channels: 16 });
    new DummyWritingDetector({ name: "eiger", triggerSource: box.triggers, shape: [8, 8] });
    const h5 = new Hdf5Recorder({ name: "h5rec" });
    const stream = new StreamRecorder({ name: "stream", address: "tcp://127.0.0.1:0", heartbeatSeconds: 0.1 });
    await Promise.all([h5.start(), stream.start()]);
    const sub = new StreamListener(stream.address);
    try {
      await sub.waitFor((m) => m.kind === "heartbeat");
      await runCommand("flyscan pzx 10 60 99 pzy 0 45 9 0.0005");
      const f = readScanFile(join(env.paths.directory, "000001.h5"));
      const m = "entry/measurement";
      for (const name of ["tdet", "pzx", "panda0/pzx", "panda0/pzy", "panda0/time"]) assert.deepEqual(f.shapes[`${m}/${name}`], [10, 100], name);
      assert.deepEqual(f.shapes[`${m}/tspec`], [10, 100, 16]);
      assert.deepEqual(f.shapes[`${m}/pzy`], [10]);
      assert.deepEqual(f.shapes[`${m}/det`], [10], "read once per line");
      const x = f.values[`${m}/panda0/pzx`] as number[][];
      x.forEach((row, i) => {
        assert.ok(Math.abs(row[0] - 10) < 0.51 && Math.abs(row[99] - 60) < 0.51, `line ${i}: ${row[0]} .. ${row[99]}`);
        row.forEach((v, k) => k && assert.ok(v > row[k - 1], `line ${i} rises at ${k}`));
      });
      const counts = f.values[`${m}/tdet`] as number[][];
      counts.forEach((row) => row.forEach((c, k) => assert.ok(Math.abs(c / 0.0005 - (10 + (50 * k) / 99)) < 0.2, "each frame saw the stage at its trigger")));
      assert.deepEqual(f.attrs["entry/plot"].signal, "tdet");
      assert.deepEqual(f.attrs["entry/plot"].axes, ["pzy", "pzx"]);
      assert.deepEqual(f.attrs["entry/plot"].pzx_indices, [0, 1]);
      const plot = runPython<Record<string, number[]>>(`import h5py, json, sys
p = h5py.File(sys.argv[1], "r")["entry/plot"]
print(json.dumps({k: list(p[k].shape) for k in p}))`, [join(env.paths.directory, "000001.h5")]);
      assert.deepEqual(plot, { tdet: [10, 100], pzx: [10, 100], pzy: [10, 100] }, "the plot's links resolve");
      const links = Object.entries(f.links).filter(([k]) => k.includes("eiger"));
      assert.equal(links.length, 1, "linked once per scan");
      assert.deepEqual(links[0][1].shape, [1000, 8, 8], "every frame in the detector's own file");

      await sub.waitFor((msg) => msg.kind === "footer");
      const msgs = sub.scan(1);
      assert.deepEqual((msgs[0] as ScanHeader).map, ["panda0/pzy", "panda0/pzx"]);
      const lines = msgs.filter((msg): msg is ScanPoint => msg.kind === "data");
      assert.equal(lines.length, 10);
      for (const p of lines) {
        assert.ok(p.data.tdet instanceof Float64Array && p.data.tdet.length === 100);
        assert.ok((p.data.panda0 as ValueDict).pzx instanceof Float64Array);
        assert.deepEqual((p.data.tspec as NdArray).shape, [100, 16]);
      }
    } finally {
      await sub.close();
    }
  });
