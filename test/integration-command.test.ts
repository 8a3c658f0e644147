/** contrast-integrate as a user runs it: the output file read back with h5py, compared with pyFAI. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runNode } from "./helpers/cli.ts";
import { TmuxShell } from "./helpers/tmux.ts";
import { needsH5py, needsPyFAI, PY_PLAIN_VALUES, runPython } from "./helpers/system.ts";

const PONI = `poni_version: 2
Detector: Detector
Detector_config: {"pixel1": 0.000172, "pixel2": 0.000172, "max_shape": [195, 487]}
Distance: 0.12
Poni1: 0.017
Poni2: 0.04
Rot1: 0.01
Rot2: -0.02
Rot3: 0
Wavelength: 1e-10
`;

function makeInput(dir: string, frames: number): void {
  writeFileSync(join(dir, "g.poni"), PONI);
  runPython(`import h5py, numpy as np, json
rng = np.random.default_rng(3)
d = rng.poisson(100, (${frames}, 195, 487)).astype(np.uint32)
if len(d) > 1: d[1] *= 2
d[:, 60:63, :] = 2**32 - 1
m = np.zeros((195, 487), np.uint8); m[90:110, 220:240] = 1
with h5py.File("${dir}/in.h5", "w") as f:
    f["entry/data/data"] = d
    f["entry/data/wrong"] = d[:, :100]
    f["entry/data/float"] = d.astype(np.float64)
    f["mask"] = m
    f["small_mask"] = m[:50]
print(json.dumps(1))`);
}

const integrate = (args: string[]) => runNode(["bin/contrast-integrate.js", ...args]);

test("contrast-integrate writes I, radial and its NeXus attributes, equal to pyFAI frame by frame", { skip: needsH5py() || needsPyFAI() }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "contrast-integrate-"));
  makeInput(dir, 4);
  const run = await integrate(["--poni", join(dir, "g.poni"), "--input", `${dir}/in.h5:/entry/data/data`, "--mask", `${dir}/in.h5:/mask`,
    "--bins", "300", "--radial-range", "0.5", "20", "--out", join(dir, "out.h5"), "--cache", join(dir, "cache")]);
  assert.equal(run.code, 0, run.err);
  assert.match(run.err, /wrote 4 integrated frames/);
  const r = runPython<{ shape: number[]; units: string; attrs: Record<string, unknown>; root: string; entry: string; worst: number; frames: number[]; two: number }>(PY_PLAIN_VALUES + `
import pyFAI
f = h5py.File("${dir}/out.h5", "r")
g = f["entry/integrated"]
ai = pyFAI.load("${dir}/g.poni")
data = h5py.File("${dir}/in.h5", "r")
worst = 0
for i in range(4):
    ref = ai.integrate1d(data["entry/data/data"][i], 300, unit="q_nm^-1", method=("bbox", "csr", "cython"), mask=data["mask"][()],
                         dummy=4294967295, delta_dummy=1, radial_range=(0.5, 20))
    ok = ref.intensity != np.float32(4294967295)
    worst = max(worst, float(np.max(np.abs(g["I"][i][ok] - ref.intensity[ok]) / np.abs(ref.intensity[ok]))))
    assert np.allclose(g["radial"][()], ref.radial, rtol=1e-12)
print(json.dumps({"shape": list(g["I"].shape), "units": clean(g["radial"].attrs["units"]), "attrs": {k: clean(v) for k, v in g.attrs.items()},
  "root": clean(f.attrs["default"]), "entry": clean(f["entry"].attrs["default"]), "worst": worst, "frames": clean(g["frame"][()]),
  "two": float(np.median(g["I"][1] / np.where(g["I"][0] > 0, g["I"][0], 1)))}))`);
  assert.deepEqual(r.shape, [4, 300]);
  assert.equal(r.units, "1/nm");
  assert.ok(r.worst < 1e-4, `largest relative difference from pyFAI ${r.worst}`);
  assert.ok(Math.abs(r.two - 2) < 0.05, "the doubled frame integrates to twice as much");
  assert.deepEqual(r.frames, [0, 1, 2, 3]);
  assert.equal(r.root, "entry");
  assert.equal(r.entry, "integrated");
  assert.equal(r.attrs.NX_class, "NXdata");
  assert.equal(r.attrs.signal, "I");
  assert.deepEqual(r.attrs.axes, [".", "radial"]);
  assert.equal(r.attrs.frames_integrated, 4);
  assert.equal(r.attrs.unit, "q_nm^-1");
  assert.equal(r.attrs.split, "bbox");
  assert.equal(r.attrs.distance_m, 0.12);
  assert.equal(r.attrs.radial_range, "0.5 20");
  assert.match(String(r.attrs.poni), /Distance: 0.12/);
});

test("threads give the same rows, in frame order, as integrating where the frames are read; float64 frames as uint32 ones", { skip: needsH5py() }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "contrast-integrate-"));
  makeInput(dir, 12);
  const base = ["--poni", join(dir, "g.poni"), "--bins", "200", "--cache", join(dir, "cache")];
  const here = await integrate([...base, "--input", `${dir}/in.h5:/entry/data/data`, "--workers", "0", "--out", join(dir, "here.h5")]);
  assert.equal(here.code, 0, here.err);
  const threads = await integrate([...base, "--input", `${dir}/in.h5:/entry/data/float`, "--workers", "3", "--out", join(dir, "threads.h5")]);
  assert.equal(threads.code, 0, threads.err);
  const r = runPython<{ frames: number[]; same: boolean; integrated: number }>(PY_PLAIN_VALUES + `
a = h5py.File("${dir}/here.h5", "r")["entry/integrated"]
b = h5py.File("${dir}/threads.h5", "r")["entry/integrated"]
print(json.dumps({"frames": clean(b["frame"][()]), "same": bool(np.array_equal(a["I"][()], b["I"][()])), "integrated": clean(b.attrs["frames_integrated"])}))`);
  assert.deepEqual(r.frames, Array.from({ length: 12 }, (_, i) => i));
  assert.equal(r.integrated, 12);
  assert.ok(r.same, "the same intensities from 3 threads on float64 frames as from the reading thread on uint32 ones");
  const bad = await integrate([...base, "--input", `${dir}/in.h5:/entry/data/data`, "--workers", "two", "--out", join(dir, "bad.h5")]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--workers must be a whole number, not two/);
});

test("sectors give frames × sectors × bins with chi", { skip: needsH5py() }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "contrast-integrate-"));
  makeInput(dir, 2);
  const run = await integrate(["--poni", join(dir, "g.poni"), "--input", `${dir}/in.h5:/entry/data/data`, "--bins", "100", "--sectors", "6",
    "--unit", "2th_deg", "--split", "none", "--no-solid-angle", "--polarization", "0.9", "--out", join(dir, "s.h5"), "--no-cache"]);
  assert.equal(run.code, 0, run.err);
  const r = runPython<{ shape: number[]; chi: number[]; axes: string[]; units: string }>(PY_PLAIN_VALUES + `
g = h5py.File("${dir}/s.h5", "r")["entry/integrated"]
print(json.dumps({"shape": list(g["I"].shape), "chi": clean(g["chi"][()]), "axes": clean(g.attrs["axes"]), "units": clean(g["radial"].attrs["units"])}))`);
  assert.deepEqual(r.shape, [2, 6, 100]);
  assert.deepEqual(r.axes, [".", "chi", "radial"]);
  assert.equal(r.units, "degrees");
  assert.ok(Math.abs(r.chi[0] + 150) < 1e-4 && Math.abs(r.chi[5] - 150) < 1e-4, `sector centres ${r.chi}`);
});

test("bad input is refused with a clear message and no output file", { skip: needsH5py() }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "contrast-integrate-"));
  makeInput(dir, 1);
  const base = ["--poni", join(dir, "g.poni"), "--bins", "50", "--no-cache"];
  const usage = await integrate(["--bins", "50"]);
  assert.equal(usage.code, 2);
  assert.match(usage.err, /--poni is required[\s\S]*usage: contrast-integrate/);
  const shape = await integrate([...base, "--input", `${dir}/in.h5:/entry/data/wrong`, "--out", join(dir, "a.h5")]);
  assert.equal(shape.code, 1);
  assert.match(shape.err, /has shape 1×100×487; the geometry needs frames of 195×487/);
  const mask = await integrate([...base, "--input", `${dir}/in.h5:/entry/data/data`, "--mask", `${dir}/in.h5:/small_mask`, "--out", join(dir, "b.h5")]);
  assert.match(mask.err, /mask .*small_mask has shape 50×487, the detector is 195×487/);
  writeFileSync(join(dir, "bad.poni"), PONI.replace(/Wavelength: .*\n/, ""));
  const poni = await integrate(["--poni", join(dir, "bad.poni"), "--bins", "5", "--input", `${dir}/in.h5:/entry/data/data`, "--out", join(dir, "c.h5")]);
  assert.match(poni.err, /field 'Wavelength' is missing/);
  const unit = await integrate([...base, "--unit", "furlongs", "--input", `${dir}/in.h5:/entry/data/data`, "--out", join(dir, "d.h5")]);
  assert.match(unit.err, /unknown radial unit 'furlongs'/);
  const files = runPython<string[]>(`import os, json; print(json.dumps(sorted(n for n in os.listdir("${dir}") if n.endswith(".h5"))))`);
  assert.deepEqual(files, ["in.h5"]);
});

test("on a terminal a progress bar counts the frames", { skip: needsH5py() }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "contrast-integrate-"));
  makeInput(dir, 12);
  const shell = TmuxShell.start({ command: ["node", "bin/contrast-integrate.js", "--poni", join(dir, "g.poni"), "--input", `${dir}/in.h5:/entry/data/data`,
    "--bins", "100", "--out", join(dir, "p.h5"), "--no-cache"] });
  try {
    const screen = await shell.waitFor(/\[exited \d+\]/, "the command to end", 120_000);
    assert.match(screen, /\[#{30}\] 12\/12 frames, [\d.]+ frames\/s/);
    assert.equal(shell.exitStatus(), 0);
  } finally {
    shell.kill();
  }
});
