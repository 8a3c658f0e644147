/** Geometry, masks and the integrator, checked against Debian's pyFAI 0.21 on Eiger-4M frames. */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { parsePoni, formatPoni, PoniError, type Poni } from "../src/integration/poni.ts";
import { namedDetector } from "../src/integration/detector.ts";
import { loadMask, combineMasks } from "../src/integration/mask.ts";
import { readNpy } from "../src/integration/npy.ts";
import { buildTable, forEachEntry, type Splitting } from "../src/integration/table.ts";
import { Integrator } from "../src/integration/integrator.ts";
import { radialUnit } from "../src/integration/units.ts";
import { needsPyFAI, needsH5py, runPython, SYSTEM_PYTHON } from "./helpers/system.ts";

const GOOD = `# Nota: C-Order, 1 refers to the Y axis, 2 to the X axis
poni_version: 2
Detector: Detector
Detector_config: {"pixel1": 7.5e-05, "pixel2": 7.5e-05, "max_shape": [200, 300]}
Distance: 0.1
Poni1: 0.008
Poni2: 0.007
Rot1: 0.01
Rot2: 0
Rot3: 0
Wavelength: 1e-10
`;

describe("PONI files", () => {
  test("a generic detector is read with its pixel sizes and shape", () => {
    const p = parsePoni(GOOD);
    assert.deepEqual(p.detector.shape, [200, 300]);
    assert.equal(p.detector.pixel1, 7.5e-5);
    assert.equal(p.rot1, 0.01);
    assert.deepEqual(parsePoni(formatPoni(p)), p);
  });
  test("Eiger names give the detector with its module-gap mask", () => {
    const p = parsePoni(GOOD.replace(/Detector: Detector\nDetector_config: .*\n/, "Detector: Eiger4M\nDetector_config: {}\n"));
    assert.deepEqual(p.detector.shape, [2167, 2070]);
    assert.ok(p.detector.mask);
  });
  for (const [change, field] of [
    [(t: string) => t.replace(/Distance: .*\n/, ""), "Distance"],
    [(t: string) => t.replace("Rot2: 0", "Rot2: zero"), "Rot2"],
    [(t: string) => t + "Tilt: 3\n", "Tilt"],
    [(t: string) => t.replace("poni_version: 2", "poni_version: 1"), "poni_version"],
    [(t: string) => t.replace("Detector: Detector", "Detector: Pilatus9M"), "Detector"],
    [(t: string) => t.replace(`, "max_shape": [200, 300]`, ""), "Detector_config.max_shape"],
  ] as const) {
    test(`a bad file is refused naming '${field}'`, () => {
      assert.throws(() => parsePoni(change(GOOD), "g.poni"), (e: unknown) => e instanceof PoniError && e.field === field && e.message.includes(`'${field}'`));
    });
  }
});

describe("masks", () => {
  const dir = mkdtempSync(join(tmpdir(), "contrast-mask-"));
  test("Eiger module gaps are where pyFAI puts them", { skip: needsPyFAI() }, () => {
    for (const name of ["Eiger500k", "Eiger1M", "Eiger4M"]) {
      const path = join(dir, `${name}.npy`);
      spawnSync(SYSTEM_PYTHON, ["-c", `import pyFAI, numpy; numpy.save("${path}", pyFAI.detector_factory("${name}").mask.astype("uint8"))`]);
      const ref = readNpy(path);
      const det = namedDetector(name)!;
      assert.deepEqual(ref.shape, det.shape, name);
      assert.ok(Buffer.from(det.mask!).equals(Buffer.from(ref.data as Uint8Array)), `${name} gap mask differs from pyFAI's`);
    }
  });
  test("a mask is read from .npy and from FILE.h5:/path, and a wrong shape is refused", { skip: needsH5py() }, async () => {
    runPython(`import numpy as np, h5py, json
m = np.zeros((200, 300), np.uint8); m[10:20, 30:40] = 1
np.save("${dir}/m.npy", m); np.save("${dir}/small.npy", m[:100])
with h5py.File("${dir}/m.h5", "w") as f: f["entry/mask"] = m.astype(bool)
print(json.dumps(1))`);
    for (const spec of [`${dir}/m.npy`, `${dir}/m.h5:/entry/mask`]) {
      const mask = await loadMask(spec, [200, 300]);
      assert.equal(mask.reduce((a, b) => a + b, 0), 100, spec);
      assert.equal(mask[15 * 300 + 35], 1);
    }
    await assert.rejects(loadMask(`${dir}/small.npy`, [200, 300]), /shape 100×300, the detector is 200×300/);
    await assert.rejects(loadMask(`${dir}/m.h5:/entry/nothing`, [200, 300]), /no dataset \/entry\/nothing/);
  });
});

interface Case { bins: number; unit: string; split: Splitting; radial_range: [number, number] | null; sectors: number | null; solid_angle: boolean; polarization: number | null }
interface Reference { radial: number[]; chi: number[] | null; intensity: number[] }
const PYFAI_EMPTY = 4294967296; // pyFAI fills bins without pixels with the dummy value, as float32

function compare(poni: Poni, dir: string, cases: Case[]): void {
  const poniPath = join(dir, "geometry.poni");
  writeFileSync(poniPath, formatPoni(poni));
  const r = spawnSync(SYSTEM_PYTHON, [join(import.meta.dirname, "helpers", "pyfai_reference.py"), JSON.stringify({ poni: poniPath, dir, cases })],
    { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "1" }, maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  const refs = JSON.parse(r.stdout) as Reference[];
  const frame = readNpy(join(dir, "frame.npy"));
  const beamstop = readNpy(join(dir, "mask.npy"));
  const mask = combineMasks(poni.detector.mask, beamstop.data as Uint8Array, frame.data.length);
  cases.forEach((c, n) => {
    const label = JSON.stringify(c);
    const table = buildTable(poni, mask, { bins: c.bins, unit: radialUnit(c.unit), split: c.split, radialRange: c.radial_range, sectors: c.sectors },
      { solidAngle: c.solid_angle, polarization: c.polarization });
    const { intensity, badPixels } = new Integrator(table, frame.data.length).integrate(frame.data);
    const ref = refs[n];
    assert.ok(badPixels > 0, "the frame's dead pixels are seen");
    // same bin edges: same centres to rounding
    ref.radial.forEach((x, b) => assert.ok(Math.abs(table.radial[b] - x) <= 1e-12 * Math.abs(x) + 1e-15, `${label} radial[${b}] ${table.radial[b]} vs ${x}`));
    ref.chi?.forEach((x, b) => assert.ok(Math.abs(table.chi![b] - x) <= 1e-9, `${label} chi[${b}] ${table.chi![b]} vs ${x}`));
    assert.equal(intensity.length, ref.intensity.length);
    let withSignal = 0;
    ref.intensity.forEach((x, b) => {
      if (x === PYFAI_EMPTY) return assert.equal(intensity[b], 0, `${label} bin ${b} has no pixel`);
      withSignal++;
      assert.ok(Math.abs(intensity[b] - x) <= 1e-4 * Math.abs(x), `${label} bin ${b}: ${intensity[b]} vs pyFAI ${x}`);
    });
    assert.ok(withSignal > 0.5 * c.bins, `${label}: most bins have signal`);
  });
}

const eiger4m = namedDetector("Eiger4M")!;
const cases: Case[] = [
  { bins: 1000, unit: "q_nm^-1", split: "bbox", radial_range: null, sectors: null, solid_angle: true, polarization: null },
  { bins: 1000, unit: "q_nm^-1", split: "bbox", radial_range: [0.5, 8], sectors: null, solid_angle: true, polarization: null },
  { bins: 1000, unit: "q_nm^-1", split: "none", radial_range: [0.5, 8], sectors: null, solid_angle: true, polarization: null },
  { bins: 200, unit: "q_nm^-1", split: "bbox", radial_range: [0.5, 8], sectors: 12, solid_angle: true, polarization: null },
  { bins: 500, unit: "2th_deg", split: "bbox", radial_range: null, sectors: null, solid_angle: false, polarization: 0.95 },
  { bins: 500, unit: "q_A^-1", split: "none", radial_range: null, sectors: null, solid_angle: true, polarization: null },
  { bins: 400, unit: "r_mm", split: "bbox", radial_range: null, sectors: null, solid_angle: true, polarization: -0.5 },
];

describe("integration agrees with pyFAI 0.21 within 1e-4 in every bin with signal", () => {
  test("SAXS: Eiger 4M at 0.3 m, masked beamstop", { skip: needsPyFAI() }, () => {
    const dir = mkdtempSync(join(tmpdir(), "contrast-saxs-"));
    compare({ distance: 0.3, poni1: 0.0801, poni2: 0.0783, rot1: 0.002, rot2: -0.003, rot3: 0.001, wavelength: 1e-10, detector: eiger4m }, dir, cases);
  });
  test("WAXS: Eiger 4M at 0.1 m, masked beamstop", { skip: needsPyFAI() }, () => {
    const dir = mkdtempSync(join(tmpdir(), "contrast-waxs-"));
    const waxs = cases.map((c) => (c.radial_range ? { ...c, radial_range: [2, 30] as [number, number] } : c));
    compare({ distance: 0.1, poni1: 0.0402, poni2: 0.0513, rot1: -0.05, rot2: 0.03, rot3: 0.2, wavelength: 0.9e-10, detector: eiger4m }, dir, waxs);
  });
});

test("a frame of the wrong shape is refused", () => {
  const poni = parsePoni(GOOD);
  const table = buildTable(poni, null, { bins: 50, unit: radialUnit("q_nm^-1"), split: "bbox", radialRange: null, sectors: null }, { solidAngle: true, polarization: null });
  const integrator = new Integrator(table, 200 * 300);
  assert.throws(() => integrator.integrate(new Uint32Array(100 * 300)), /frame has 30000 pixels, the geometry 60000/);
  const plain = buildTable(poni, null, { bins: 50, unit: radialUnit("q_nm^-1"), split: "bbox", radialRange: null, sectors: null }, { solidAngle: false, polarization: null });
  const flat = new Integrator(plain, 200 * 300).integrate(new Uint32Array(200 * 300).fill(7));
  flat.intensity.forEach((v) => assert.ok(Math.abs(v - 7) < 1e-6, `a flat frame integrates to its value without corrections, not ${v}`));
});

test("pixels touching one, two or many bins, and bad pixels, are summed as the table says", () => {
  const poni = parsePoni(GOOD);
  // at 200 bins over this small detector, pixels' boxes cover one, two and three bins
  const table = buildTable(poni, null, { bins: 200, unit: radialUnit("q_nm^-1"), split: "bbox", radialRange: null, sectors: null }, { solidAngle: true, polarization: null });
  const spans = new Set(table.counts);
  assert.ok(spans.has(1) && spans.has(2) && [...spans].some((c) => c > 2), `spans seen: ${[...spans].sort().join(", ")}`);
  const frame = new Uint32Array(200 * 300).map((_, i) => (i * 7919) % 1000);
  for (let i = 0; i < frame.length; i += 37) frame[i] = 2 ** 32 - 1;
  const num = new Float64Array(table.outputSize);
  const den = new Float64Array(table.outputSize);
  forEachEntry(table, (pixel, bin, weight) => {
    if (frame[pixel] === 2 ** 32 - 1) return;
    num[bin] += frame[pixel] * weight;
    den[bin] += weight * table.pixelNormalization[pixel];
  });
  const { intensity, badPixels } = new Integrator(table, frame.length).integrate(frame);
  assert.equal(badPixels, Math.ceil(frame.length / 37));
  for (let b = 0; b < table.outputSize; b++) {
    const expected = den[b] > 1e-9 ? num[b] / den[b] : 0;
    assert.ok(Math.abs(intensity[b] - expected) <= 1e-6 * Math.abs(expected) + 1e-9, `bin ${b}: ${intensity[b]} against ${expected}`);
  }
});
