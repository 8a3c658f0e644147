/**
 * The XRF pairing on its own (XrfMapper fed the two streams' messages by
 * hand, no sockets): any arrival order, refused frames, a spectra stream
 * that never comes; and the ROI file's checks.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseRois } from "../src/xrf/rois.ts";
import { XrfMapper, scanNumberOf } from "../src/xrf/XrfMapper.ts";
import type { ScanMaps } from "../src/xrf/ScanMaps.ts";
import { jsonPart, pickleNumbers, unpickleNumbers } from "../src/detectors/xspress3/streamerFormat.ts";
import type { WireMessage } from "../src/recorders/stream/wire.ts";

const ROIS = parseRois(JSON.stringify({ rois: [{ name: "a", bins: [2, 3] }, { name: "b", bins: [0, 7], per_channel: true }] }), "test");
const CH = 2;
const BINS = 8;

function frameParts(i: number, counts: Uint32Array, shape = [CH, BINS], type = "uint32"): Buffer[] {
  return [jsonPart({ htype: "image", exptime: 0.1, frame: i, shape, type, compression: "none" }),
    Buffer.from(counts.buffer, counts.byteOffset, counts.byteLength), pickleNumbers([1, 2, 3, 4, 5, 6, 7, 0.5])];
}
const counts = (i: number) => Uint32Array.from({ length: CH * BINS }, (_, k) => (i + 1) * (k + 1));
const header = (scannr: number): WireMessage => ({
  kind: "header", status: "started", scannr, description: "ascan samx 0 1 4 0.1", path: "/data", startTime: 0, motors: ["samx"],
  detectors: ["xsp3"], tags: {}, snapshot: {}, npoints: 5,
});
const point = (scannr: number, index: number): WireMessage => ({ kind: "data", status: "running", scannr, index, data: { samx: index / 4, det: 7, dt: index } });
const footer = (scannr: number): WireMessage => ({ kind: "footer", status: "finished", scannr, endTime: 0, snapshot: {} });

function mapper(noSpectraMs = 60_000) {
  const said: string[] = [];
  const done: ScanMaps[] = [];
  const m = new XrfMapper({ rois: ROIS, spectraAddress: "tcp://x:9999", noSpectraMs, graceMs: 60_000, say: (t) => void said.push(t), finished: (s) => void done.push(s) });
  return { m, said, done };
}

test("frames and positions pair by scan number and frame index in any order; sums are exact; the scan ends when both are complete", () => {
  const expectA = [0, 1, 2, 3, 4].map((i) => [0, 1].reduce((s, c) => s + counts(i)[c * BINS + 2] + counts(i)[c * BINS + 3], 0));
  for (const order of ["frames first", "positions first", "shuffled"]) {
    const { m, done } = mapper();
    const spectra = () => {
      m.spectra(jsonPart({ htype: "header", filename: "/data/scan_000007_xsp3.h5", overwritable: false }));
      for (const i of order === "shuffled" ? [3, 0, 4, 1, 2] : [0, 1, 2, 3, 4]) frameParts(i, counts(i)).forEach((p) => m.spectra(p));
      m.spectra(jsonPart({ htype: "series_end" }));
    };
    const positions = () => {
      m.stream(header(7));
      for (const i of order === "shuffled" ? [4, 2, 0, 1, 3] : [0, 1, 2, 3, 4]) m.stream(point(7, i));
      m.stream(footer(7));
    };
    if (order === "positions first") { positions(); spectra(); } else { spectra(); positions(); }
    assert.equal(done.length, 1, order);
    const s = done[0];
    assert.deepEqual([s.scannr, s.points, s.paired, s.refused, s.missedStart], [7, 5, 5, 0, false], order);
    assert.deepEqual(Array.from(s.roiSums(0)), expectA, order);
    assert.deepEqual(Array.from(s.positionsOf("samx")), [0, 0.25, 0.5, 0.75, 1], order);
    assert.deepEqual(Array.from(s.channelSums("b") as Float64Array).slice(0, 2), [36, 100], order); // frame 0: 1..8, 9..16
    assert.equal(s.latestIndex, order === "shuffled" ? 2 : 4);
  }
});

test("a frame whose shape, dtype or size does not match is counted and reported, not summed", () => {
  const { m, said, done } = mapper();
  m.stream(header(3));
  m.spectra(jsonPart({ htype: "header", filename: "/data/scan_000003_xsp3.h5", overwritable: false }));
  frameParts(0, counts(0)).forEach((p) => m.spectra(p));
  frameParts(1, counts(1), [CH, BINS], "uint16").forEach((p) => m.spectra(p));
  frameParts(2, counts(2), [CH, BINS + 1]).forEach((p) => m.spectra(p));
  frameParts(3, counts(3).subarray(0, 10), [CH, BINS]).forEach((p) => m.spectra(p));
  frameParts(4, counts(4)).forEach((p) => m.spectra(p));
  m.spectra(jsonPart({ htype: "series_end" }));
  for (let i = 0; i < 5; i++) m.stream(point(3, i));
  m.stream(footer(3));
  const s = done[0];
  assert.deepEqual([s.frames, s.refused], [2, 3]);
  assert.deepEqual([...s.refusals.keys()], [
    "dtype uint16, not uint32",
    "raw part of 64 bytes, the header says 2 x 9 uint32 (72 bytes)",
    "raw part of 40 bytes, the header says 2 x 8 uint32 (64 bytes)",
  ]);
  assert.ok(Number.isNaN(s.roiSums(0)[1]) && Number.isFinite(s.roiSums(0)[4]));
  assert.match(said.join("\n"), /scan #3: frame 1 refused: dtype uint16, not uint32/);
});

test("a spectra stream that never comes is reported a few seconds after the scan starts", async () => {
  const { m, said } = mapper(200);
  m.stream(header(5));
  m.stream(point(5, 0));
  await new Promise((r) => setTimeout(r, 600));
  assert.match(said.join("\n"), /scan #5: no spectra from tcp:\/\/x:9999 0\.2 s after the scan started/);
  m.close();
});

test("ROI files: energies to bins at 10 eV per bin; errors name the line and the field", () => {
  const ok = parseRois(`[{"name": "Fe", "energy_keV": 6.404, "width_keV": 0.3}]`, "r.json");
  assert.deepEqual([ok.keVPerBin, ok.rois[0].first, ok.rois[0].last], [0.01, 625, 655]);
  const message = (text: string) => {
    try { parseRois(text, "r.json"); } catch (e) { return (e as Error).message; }
    return "accepted";
  };
  assert.equal(message(`{"rois": [\n {"name": "Fe",\n  "energy_keV": 6.4,\n  "widht_keV": 0.3}\n]}`), `r.json:4: region 1, field "widht_keV": unknown (known: name, energy_keV, width_keV, bins, per_channel)`);
  assert.equal(message(`{"rois": [\n {"name": "Fe", "bins": [10, 5]}\n]}`), `r.json:2: region 1, field "bins": must be [first, last], whole numbers, 0 <= first <= last`);
  assert.equal(message(`[\n {"name": "Fe", "bins": [1, 5]},\n {"name": "Fe", "bins": [1, 5]}\n]`), `r.json:3: region 2, field "name": "Fe" is given twice`);
  assert.equal(message(`[\n {"name": "Fe"}\n]`), `r.json:2: region 1: needs energy_keV and width_keV, or bins`);
  assert.match(message(`[\n {"name": "Fe",, }\n]`), /^r\.json:2: not valid JSON/);
  assert.equal(message(`{"rois": [], "kev_per_bin": 1}`), `r.json:1: field "kev_per_bin": unknown (known: rois, keV_per_bin)`);
});

test("the streamer's pickled scalers and file names", () => {
  assert.deepEqual(unpickleNumbers(pickleNumbers([1, 2.5, -3, 1e12])), [1, 2.5, -3, 1e12]);
  assert.deepEqual([scanNumberOf("/d/scan_000012_xsp3.h5"), scanNumberOf("/d/000013.hdf5"), scanNumberOf("/d/x.h5")], [12, 13, undefined]);
});

test("a suspension on the stream does not end the scan: the map completes with the footer", () => {
  const { m, done } = mapper();
  m.spectra(jsonPart({ htype: "header", filename: "/data/scan_000008_xsp3.h5", overwritable: false }));
  for (const i of [0, 1, 2, 3, 4]) frameParts(i, counts(i)).forEach((p) => m.spectra(p));
  m.spectra(jsonPart({ htype: "series_end" }));
  m.stream(header(8));
  for (const i of [0, 1]) m.stream(point(8, i));
  m.stream({ kind: "suspension", status: "suspended", scannr: 8, index: 2, reason: "beam lost", time: 0 });
  m.stream({ kind: "suspension", status: "resumed", scannr: 8, index: 2, reason: "beam lost", time: 1 });
  assert.equal(done.length, 0, "still open after the suspension");
  for (const i of [2, 3, 4]) m.stream(point(8, i));
  m.stream(footer(8));
  assert.equal(done.length, 1);
  assert.deepEqual([done[0].points, done[0].paired, done[0].ended], [5, 5, "finished"]);
});
