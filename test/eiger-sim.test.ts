/** The simulated Eiger on a real PULL socket: stream v1 messages, gap pixels, rings, its own HDF5 file. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pull } from "zeromq";
import { SimulatedEiger } from "../src/detectors/eiger/SimulatedEiger.ts";
import { parseStreamMessage } from "../src/detectors/eiger/streamV1.ts";
import { buildTable } from "../src/integration/table.ts";
import { Integrator } from "../src/integration/integrator.ts";
import { radialUnit } from "../src/integration/units.ts";
import { needsH5py, runPython } from "./helpers/system.ts";
import { freePort } from "./helpers/tango.ts";

test("frames are PUSHed in the Eiger stream v1 format and written to the detector's own file", { skip: needsH5py() }, async () => {
  const address = `tcp://127.0.0.1:${await freePort()}`;
  const rings = [1.2, 2.5];
  const eiger = new SimulatedEiger({
    name: `eiger_t${process.pid}`, address, rings, cycle: 2,
    poni: { distance: 0.2, poni1: 0.04, poni2: 0.04, rot1: 0, rot2: 0, rot3: 0, wavelength: 1e-10, detector: "Eiger1M" },
  });
  const pull = new Pull({ linger: 0, receiveTimeout: 20_000 });
  pull.connect(address);
  const dir = mkdtempSync(join(tmpdir(), "contrast-eiger-"));
  try {
    await eiger.open();
    while (eiger.receivers === 0) await new Promise((r) => setTimeout(r, 20));
    await eiger.prepare(0.01, { scannr: 7, path: dir }, 3);
    const header = parseStreamMessage(await pull.receive());
    assert.equal(header.kind, "header");
    assert.ok(header.kind === "header" && header.series === 7 && header.config.x_pixels_in_detector === 1030 && header.config.y_pixels_in_detector === 1065);
    const links = [];
    for (let i = 0; i < 3; i++) {
      await eiger.start();
      await eiger.done();
      links.push(await eiger.read());
    }
    await eiger.finish();
    const images = [];
    for (let i = 0; i < 3; i++) {
      const parts = await pull.receive();
      assert.equal(parts.length, 4, "four parts per image");
      const config = JSON.parse(parts[3].toString());
      assert.equal(config.htype, "dconfig-1.0");
      const m = parseStreamMessage(parts);
      assert.ok(m.kind === "image");
      if (m.kind !== "image") return;
      assert.deepEqual([m.frame, m.series, m.shape, m.type, m.encoding], [i, 7, [1030, 1065], "uint32", "<"]);
      images.push(new Uint32Array(m.data.buffer.slice(m.data.byteOffset, m.data.byteOffset + m.data.byteLength)));
    }
    assert.deepEqual(parseStreamMessage(await pull.receive()), { kind: "end", series: 7 });
    const poni = eiger.geometry;
    const gaps = poni.detector.mask!;
    const gapValues = new Set(images[0].filter((_, i) => gaps[i] === 1));
    assert.deepEqual([...gapValues], [2 ** 32 - 1], "module gaps hold the bad-pixel value");
    assert.notDeepEqual(images[0].slice(0, 1000), images[1].slice(0, 1000), "Poisson noise differs between frames");
    assert.deepEqual(images[2], images[0], "precomputed frames are cycled");
    // the rings are where they were asked for
    const table = buildTable(poni, gaps, { bins: 400, unit: radialUnit("q_nm^-1"), split: "bbox", radialRange: [0.3, 3.5], sectors: null }, { solidAngle: false, polarization: null });
    const profile = new Integrator(table, images[0].length).integrate(images[0]).intensity;
    for (const r of rings) {
      const b = table.radial.findIndex((q) => q >= r);
      const around = profile.slice(b - 3, b + 4).reduce((m, v) => Math.max(m, v), 0);
      assert.ok(around > 3 * profile[b + 30], `a ring at q = ${r}: ${around} vs ${profile[b + 30]} beside it`);
    }
    assert.deepEqual(links[1], { file: join(dir, `scan_000007_${eiger.name}.h5`), path: "entry/data/data", universal: true });
    const sums = runPython<{ shape: number[]; first: number }>(`import h5py, json
d = h5py.File("${join(dir, `scan_000007_${eiger.name}.h5`)}", "r")["entry/data/data"]
print(json.dumps({"shape": list(d.shape), "first": int(d[0].astype("uint64").sum() % 1000003)}))`);
    assert.deepEqual(sums.shape, [3, 1065, 1030]);
    const expected = images[0].reduce((s, v) => (s + v) % 1000003, 0);
    assert.equal(sums.first, expected, "the file holds the frames that were streamed");
  } finally {
    pull.close();
    await eiger.close();
  }
});
