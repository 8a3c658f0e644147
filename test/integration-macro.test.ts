/**
 * The integrate macro: the pipeline as a child process that lsrec lists, a
 * scan with the simulated Eiger whose scan file links the integrated results,
 * and a mask of the wrong shape refused before any scan.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { env, runCommand, Hdf5Recorder, SimulatedEiger, type RecorderRow } from "../src/index.ts";
import { resetBeamline, takeOutput } from "./helpers/beamline.ts";
import { freePort } from "./helpers/tango.ts";
import { needsH5py, PY_PLAIN_VALUES, runPython } from "./helpers/system.ts";

test("integrate starts the pipeline as a recorder; a scan's file links its integrated frames", { skip: needsH5py(), timeout: 600_000 }, async () => {
  resetBeamline();
  const h5rec = new Hdf5Recorder({ name: "h5rec" });
  await h5rec.start();
  const eiger = new SimulatedEiger({
    name: "e1m", address: `tcp://127.0.0.1:${await freePort()}`, cycle: 2,
    poni: { distance: 0.2, poni1: 0.04, poni2: 0.04, rot1: 0, rot2: 0, rot3: 0, wavelength: 1e-10, detector: "Eiger1M" },
  });
  try {
    const small = join(env.paths.directory, "small.npy");
    const header = "{'descr': '|u1', 'fortran_order': False, 'shape': (10, 10), }".padEnd(117, " ") + "\n";
    writeFileSync(small, Buffer.concat([Buffer.from("\x93NUMPY\x01\x00", "latin1"), Buffer.from([header.length, 0]), Buffer.from(header, "latin1"), Buffer.alloc(100)]));
    await assert.rejects(runCommand(`integrate e1m mask="${small}"`), /has shape 10×10, the detector is 1065×1030/);
    await assert.rejects(runCommand("integrate e1m colour=3"), /unknown keyword colour=/);

    await runCommand("integrate e1m workers=2 bins=150");
    const started = takeOutput();
    assert.match(started, /integration pipeline running \(pid \d+\): tcp:\/\/127\.0\.0\.1:\d+ -> 2 workers/);
    const viewUrl = /view at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(started)?.[1];
    assert.ok(viewUrl, `the view's address is printed: ${started}`);
    const rows = (await runCommand("lsrec")) as RecorderRow[];
    const row = rows.find((r) => r.name === "integration");
    assert.ok(row?.alive && row.pid, "lsrec shows the pipeline alive with its process id");
    assert.match(takeOutput(), /integration\s+IntegrationRecorder\s+alive, pid \d+/);

    await eiger.open();
    while (eiger.receivers === 0) await sleep(20);
    await runCommand("activate e1m");
    await runCommand("ascan samx 0 1 7 0.01");
    const scanFile = join(env.paths.directory, "000001.h5");
    let r: { shape: number[]; integrated: number; link: string[]; measurement: boolean } | null = null;
    for (let i = 0; i < 600 && !r; i++) {
      try {
        r = runPython<{ shape: number[]; integrated: number; link: string[]; measurement: boolean }>(PY_PLAIN_VALUES + `
f = h5py.File("${scanFile}", "r")
g = f["entry/integrated"]
assert g.attrs["frames_integrated"] == 8
link = f["entry"].get("integrated", getlink=True)
print(json.dumps({"shape": list(g["I"].shape), "integrated": clean(g.attrs["frames_integrated"]),
  "link": [type(link).__name__, link.filename, link.path], "measurement": "integrated" in f["entry/measurement"]}))`);
      } catch {
        await sleep(200);
      }
    }
    assert.ok(r, "the scan file links 8 integrated frames");
    assert.deepEqual(r.shape, [8, 150]);
    assert.deepEqual(r.link, ["ExternalLink", "scan_000001_integrated.h5", "entry/integrated"], "entry/integrated is a relative external link");
    assert.equal(r.measurement, false, "no second copy of the link under entry/measurement");
    // the live view over HTTP: this scan, its 8 points with positions and sums, the latest I(q) of 150 bins
    const state = (await (await fetch(`${viewUrl}state?scan=1`)).json()) as { scannr: number; motors: string[]; positions: Record<string, number[]>; sums: number[]; latest: number[]; latestFrame: number };
    assert.equal(state.scannr, 1);
    assert.deepEqual(state.motors, ["samx"]);
    assert.deepEqual(state.positions.samx.map((x) => +x.toFixed(3)), [0, 1, 2, 3, 4, 5, 6, 7].map((k) => +(k / 7).toFixed(3)));
    assert.equal(state.sums.length, 8);
    assert.ok(state.sums.every((x) => x > 0), `sums ${state.sums}`);
    assert.equal(state.latest.length, 150);
    assert.equal(state.latestFrame, 7);
    assert.match(await (await fetch(viewUrl!)).text(), /integration\.js/);
    await runCommand("integrate stop");
    assert.match(takeOutput(), /integration pipeline stopped/);
  } finally {
    await runCommand("integrate stop").catch(() => {});
    await eiger.close();
    await h5rec.stop();
  }
});
