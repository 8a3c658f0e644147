/**
 * Live XRF maps end to end: the simulated Xspress3, the stream recorder, the
 * HDF5 recorder and the consumer (as the xrfmap macro's child process, and as
 * contrast-xrfmap on its own), over real sockets; every file read back with h5py.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  env, runCommand, Recorder, Hdf5Recorder, StreamRecorder, Xspress3Simulator, DummyMotor, XrfMapRecorder, type RecorderRow,
} from "../src/index.ts";
import { resetBeamline, takeOutput } from "./helpers/beamline.ts";
import { ROOT } from "./helpers/cli.ts";
import { needsH5py, runPython } from "./helpers/system.ts";

after(async () => {
  await Promise.all(Recorder.getInstances().map((r) => r.stop()));
  for (const d of Xspress3Simulator.getInstances()) d.dispose();
});

const ROIS = join(ROOT, "examples", "xrf-rois.json");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function beamline() {
  for (const r of Recorder.getInstances()) await r.stop();
  for (const d of Xspress3Simulator.getInstances()) d.dispose();
  const { samx, samy } = resetBeamline();
  const energy = new DummyMotor({ name: "energy", dialPosition: 10, dialLimits: [5, 30] });
  const xsp3 = new Xspress3Simulator({ name: "xsp3", address: "tcp://127.0.0.1:0", spot: () => ({ x: samx.now(), y: samy.now(), energy: energy.now() }) });
  await xsp3.bind();
  const h5rec = new Hdf5Recorder({ name: "h5rec" });
  const stream = new StreamRecorder({ name: "stream", address: "tcp://127.0.0.1:0" });
  await Promise.all([h5rec.start(), stream.start()]);
  return { samx, samy, xsp3, stream };
}

async function waitForFile(file: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear`);
    await sleep(100);
  }
}

const scanFile = (n: number, name = "") => join(env.paths.directory, name ? `scan_${String(n).padStart(6, "0")}_${name}.h5` : `${String(n).padStart(6, "0")}.h5`);

/** Python: the xrf file's maps against ROI sums recomputed from the detector's own raw spectra. */
const COMPARE = String.raw`
import h5py, json, sys, numpy as np
x = h5py.File(sys.argv[1], "r"); raw = h5py.File(sys.argv[2], "r")["entry/instrument/xspress3/data"][()].astype(np.int64)
scan = h5py.File(sys.argv[3], "r")
names = [n.decode() if isinstance(n, bytes) else n for n in x["entry/rois/name"][()]]
first, last = x["entry/rois/first_bin"][()], x["entry/rois/last_bin"][()]
out = {"points": int(x["entry/maps/" + names[0]].shape[0]), "raw_points": int(raw.shape[0]), "equal": {}, "mapped": {},
       "missed_start": int(x["entry/missed_start"][()])}
for n, a, b in zip(names, first, last):
    m = x["entry/maps/" + n][()]
    ok = ~np.isnan(m)
    expect = raw[:, :, a:b + 1].sum(axis=(1, 2))
    out["equal"][n] = bool(np.array_equal(m[ok], expect[:len(m)][ok]))
    out["mapped"][n] = int(ok.sum())
if "channels" in x["entry/maps"]:
    for n in x["entry/maps/channels"]:
        i = names.index(n); m = x["entry/maps/channels/" + n][()]; ok = ~np.isnan(m[:, 0])
        out["equal"][n + "/channels"] = bool(np.array_equal(m[ok], raw[:, :, first[i]:last[i] + 1].sum(axis=2)[ok]))
summed = raw.sum(axis=1)
out["average_ok"] = bool(np.allclose(x["entry/spectra/average"][()], summed.mean(axis=0)))
out["latest_ok"] = bool(np.array_equal(x["entry/spectra/latest"][()], summed[-1]))
pos = {k: x["entry/maps/positions/" + k][()] for k in x["entry/maps/positions"]}
out["positions"] = {k: bool(np.array_equal(v[~np.isnan(v)], scan["entry/measurement/" + k][()][~np.isnan(v)])) for k, v in pos.items()}
link = scan["entry"].get("xrf", getlink=True)
out["link"] = [type(link).__name__, getattr(link, "filename", None), getattr(link, "path", None)]
out["through_link"] = "maps" in scan["entry/xrf"] if out["link"][0] == "ExternalLink" and "xrf" in scan["entry"] else False
plot = x["entry"][x["entry"].attrs["default"]] if "default" in x["entry"].attrs else None
out["default"] = [x.attrs.get("default"), x["entry"].attrs.get("default"), plot.attrs.get("signal") if plot is not None else None,
                  [a for a in plot.attrs.get("axes", [])] if plot is not None else None]
def text(v): return v.decode() if isinstance(v, bytes) else v
out["default"] = [text(v) if not isinstance(v, list) else [text(a) for a in v] for v in out["default"]]
print(json.dumps(out))
`;

test("xrfmap maps a mesh: every map equals numpy's ROI sums of the detector's raw spectra, point for point; the scan file links it as entry/xrf",
  { skip: needsH5py(), timeout: 120_000 }, async () => {
    await beamline();
    const url = await runCommand(`xrfmap ${ROIS}`);
    assert.match(String(url), /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const { rows } = { rows: (await runCommand("lsrec")) as RecorderRow[] };
    const row = rows.find((r) => r.name === "xrfmap") as RecorderRow;
    assert.equal(row.alive, true);
    assert.equal(typeof row.pid, "number");
    await runCommand("mesh samy 0 1 5 samx 0 1 5 0.01");
    await waitForFile(scanFile(1, "xrf"));
    const r = runPython<{
      points: number; raw_points: number; equal: Record<string, boolean>; mapped: Record<string, number>; missed_start: number;
      average_ok: boolean; latest_ok: boolean; positions: Record<string, boolean>; link: string[]; through_link: boolean; default: unknown[];
    }>(COMPARE, [scanFile(1, "xrf"), scanFile(1, "xsp3"), scanFile(1)]);
    assert.deepEqual([r.points, r.raw_points, r.missed_start], [36, 36, 0]);
    for (const [name, ok] of Object.entries(r.equal)) assert.ok(ok, `map ${name} differs from the raw spectra's sums`);
    assert.deepEqual(Object.keys(r.equal).sort(), ["Ar", "Cr", "Fe", "Mn", "Ni", "Ni/channels", "Pt", "total"]);
    for (const n of Object.values(r.mapped)) assert.equal(n, 36);
    assert.deepEqual(r.positions, { samx: true, samy: true });
    assert.ok(r.average_ok && r.latest_ok, "average and latest spectra");
    assert.deepEqual(r.link, ["ExternalLink", "scan_000001_xrf.h5", "entry"]);
    assert.equal(r.through_link, true);
    assert.deepEqual(r.default, ["entry", "plot", "Fe", ["samx", "samy"]]);
  });
