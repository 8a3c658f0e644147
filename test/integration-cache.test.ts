/** The integration table cache: a restart loads the table instead of rebuilding it, with the same results. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_OPTIONS, prepareIntegration, type IntegrationOptions } from "../src/integration/setup.ts";

const PONI = `poni_version: 2
Detector: Detector
Detector_config: {"pixel1": 7.5e-05, "pixel2": 7.5e-05, "max_shape": [300, 400]}
Distance: 0.05
Poni1: 0.01
Poni2: 0.012
Rot1: 0.01
Rot2: 0.02
Rot3: 0
Wavelength: 1e-10
`;

function frame(size: number): Uint32Array {
  const f = new Uint32Array(size);
  for (let i = 0; i < size; i++) f[i] = (i * 7919) % 101;
  f[1234] = 2 ** 32 - 1;
  return f;
}

test("a table is stored under a hash of its inputs and loaded on the next start", async () => {
  const dir = mkdtempSync(join(tmpdir(), "contrast-cache-"));
  writeFileSync(join(dir, "g.poni"), PONI);
  const cache = join(dir, "cache");
  for (const variant of [{}, { sectors: 6 }, { split: "none" as const, unit: "2th_deg" as const }]) {
    const options: IntegrationOptions = { ...DEFAULT_OPTIONS, poni: join(dir, "g.poni"), bins: 120, cache, ...variant };
    const first = await prepareIntegration(options);
    const second = await prepareIntegration(options);
    assert.equal(first.fromCache, false);
    assert.equal(second.fromCache, true, `${JSON.stringify(variant)} loaded from the cache`);
    const f = frame(300 * 400);
    const a = first.integrator.integrate(f), b = second.integrator.integrate(f);
    assert.deepEqual([...b.intensity], [...a.intensity]);
    assert.equal(b.badPixels, 1);
    assert.deepEqual([...second.table.radial], [...first.table.radial]);
    assert.ok(a.intensity.some((v) => v > 0));
  }
  assert.equal(readdirSync(cache).filter((n) => n.endsWith(".table")).length, 3, "one file per binning");

  // a mask changes the key; a damaged file is rebuilt
  const maskPath = join(dir, "m.npy");
  const header = "{'descr': '|u1', 'fortran_order': False, 'shape': (300, 400), }";
  const padded = header.padEnd(118, " ") + "\n";
  const body = new Uint8Array(300 * 400);
  body.fill(1, 0, 400 * 10);
  writeFileSync(maskPath, Buffer.concat([Buffer.from("\x93NUMPY\x01\x00", "latin1"), Buffer.from([padded.length, 0]), Buffer.from(padded, "latin1"), body]));
  const masked = await prepareIntegration({ ...DEFAULT_OPTIONS, poni: join(dir, "g.poni"), bins: 120, cache, mask: maskPath });
  assert.equal(masked.fromCache, false);
  assert.equal(masked.table.counts.slice(0, 4000).reduce((s, c) => s + c, 0), 0, "masked rows contribute nothing");
  for (const name of readdirSync(cache)) writeFileSync(join(cache, name), "damaged");
  const rebuilt = await prepareIntegration({ ...DEFAULT_OPTIONS, poni: join(dir, "g.poni"), bins: 120, cache });
  assert.equal(rebuilt.fromCache, false);
  assert.equal((await prepareIntegration({ ...DEFAULT_OPTIONS, poni: join(dir, "g.poni"), bins: 120, cache })).fromCache, true);
});

test("bad options are refused before anything is built", async () => {
  const dir = mkdtempSync(join(tmpdir(), "contrast-cache-"));
  writeFileSync(join(dir, "g.poni"), PONI);
  const base = { ...DEFAULT_OPTIONS, poni: join(dir, "g.poni"), cache: null };
  await assert.rejects(prepareIntegration({ ...base, bins: 0 }), /bins must be a positive integer/);
  await assert.rejects(prepareIntegration({ ...base, radialRange: [5, 1] }), /radial range 5 1 must be LO < HI/);
  await assert.rejects(prepareIntegration({ ...base, polarization: 2 }), /polarization factor must be in \[-1, 1\]/);
  await assert.rejects(prepareIntegration({ ...base, poni: join(dir, "nothing.poni") }), /cannot read PONI file/);
});
