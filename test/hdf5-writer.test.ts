import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import h5wasm from "h5wasm/node";
import { Hdf5ScanWriter, scanFilePath } from "../src/recorders/hdf5/Hdf5ScanWriter.ts";
import type { ScanHeader, ScanPoint } from "../src/recorders/messages.ts";
import type { Value } from "../src/data/values.ts";
import { PY_PLAIN_VALUES, needsH5py, runPython } from "./helpers/system.ts";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const tmp = () => mkdtempSync(join(tmpdir(), "contrast-h5-"));

function header(dir: string, scannr: number, over: Partial<ScanHeader> = {}): ScanHeader {
  return {
    kind: "header", status: "started", scannr, description: "ascan samx 0 1 2 0.1 sample=Au", path: dir,
    startTime: Date.UTC(2024, 4, 1, 12, 0, 0) / 1000, motors: ["samx"], detectors: [], tags: {}, snapshot: {}, npoints: 3,
    ...over,
  };
}
const point = (scannr: number, index: number, data: Record<string, Value>): ScanPoint =>
  ({ kind: "data", status: "running", scannr, index, data });

/** Reads every dataset, attribute and link of a file with h5py, as JSON. */
const DUMP = String.raw`${PY_PLAIN_VALUES}
f = h5py.File(sys.argv[1], "r")
out = {"attrs": {"/": clean(dict(f.attrs))}, "datasets": {}, "links": {}}
def visit(name, obj):
    out["attrs"][name] = clean(dict(obj.attrs))
    if isinstance(obj, h5py.Dataset):
        out["datasets"][name] = {"dtype": obj.dtype.str if obj.dtype.kind != "O" else "str", "shape": list(obj.shape),
            "maxshape": list(obj.maxshape), "chunks": obj.chunks, "compression": obj.compression, "value": clean(obj[()])}
    if isinstance(obj, h5py.Group):
        for k in obj:
            link = obj.get(k, getlink=True)
            if isinstance(link, h5py.ExternalLink):
                out["links"][name + "/" + k] = {"file": link.filename, "path": link.path, "value": clean(obj[k][()])}
            elif isinstance(link, h5py.SoftLink):
                out["links"][name + "/" + k] = {"soft": link.path, "value": clean(obj[k][()])}
f.visititems(visit)
print(json.dumps(out))
`;
interface Dump {
  attrs: Record<string, Record<string, unknown>>;
  datasets: Record<string, { dtype: string; shape: number[]; maxshape: (number | null)[]; chunks: number[] | null; compression: string | null; value: unknown }>;
  links: Record<string, { file?: string; path?: string; soft?: string; value: unknown }>;
}

async function makeTarget(file: string, name: string, data: Uint16Array | Float32Array, shape: number[]): Promise<void> {
  await h5wasm.ready;
  mkdirSync(dirname(file), { recursive: true });
  const f = new h5wasm.File(file, "w");
  f.create_group("entry");
  f.create_dataset({ name: `entry/${name}`, data, shape });
  f.close();
}

test("scanFilePath pads the scan number to 6 digits", () => {
  assert.equal(scanFilePath("/data/x", 12), "/data/x/000012.h5");
  assert.equal(scanFilePath("/data/x", 1234567), "/data/x/1234567.h5");
});

test("a whole scan reads back with h5py: values, dtypes, shapes, links, NeXus attributes", { skip: needsH5py() }, async () => {
  const root = tmp();
  const dir = join(root, "scans", "new"); // created by the writer
  await makeTarget(join(dir, "eiger", "scan_000012.h5"), "data", new Uint16Array(3 * 2 * 2).map((_, i) => i), [3, 2, 2]);
  for (let i = 0; i < 3; i++) await makeTarget(join(root, "pil", `pil_${i}.h5`), "frame", new Float32Array([i, i + 0.5]), [2]);

  const w = await Hdf5ScanWriter.open(header(dir, 12, {
    motors: ["samx"], detectors: ["img", "det1", "label", "shutter", "spectrum", "xrf", "eiger", "pil"],
    tags: { sample: "Au", energy: 9.5, dry: true },
    snapshot: { samx: 0, samy: 1.5, broken: null, mono: { energy: 9.5, crystal: "Si111" }, table: new Int32Array([1, 2]) },
  }), { gzip: ["img"] });
  assert.equal(w.fileName, join(dir, "000012.h5"));
  for (let i = 0; i < 3; i++) {
    w.write(point(12, i, {
      samx: i / 2, det1: 10 * (i + 1), label: ["a", "bé", "c"][i], shutter: i !== 1,
      spectrum: new Float32Array([i, i, i, i, i]),
      img: { shape: [4, 6], data: new Uint16Array(24).map((_, k) => 1000 * i + k) },
      xrf: { ch1: i, ch2: new Int32Array([i, -i, 7]), missing: null },
      eiger: { file: join(dir, "eiger", "scan_000012.h5"), path: "/entry/data", universal: true },
      pil: { file: join(root, "pil", `pil_${i}.h5`), path: "/entry/frame", universal: false },
      maybe: i === 1 ? 5 : null, dt: 0.1 * i,
    }));
  }
  w.close({ kind: "footer", status: "failed", scannr: 12, endTime: Date.UTC(2024, 4, 1, 12, 1, 0) / 1000, error: "img timed out", snapshot: { samx: 1 } });

  const d = runPython<Dump>(DUMP, [w.fileName]);
  const ds = d.datasets;
  const m = (k: string) => ds[`entry/measurement/${k}`];
  // NeXus
  assert.deepEqual(d.attrs["/"], { default: "entry" });
  assert.deepEqual(d.attrs["entry"], { NX_class: "NXentry", default: "plot" });
  assert.deepEqual(d.attrs["entry/measurement"], { NX_class: "NXcollection" });
  assert.deepEqual(d.attrs["entry/plot"], { NX_class: "NXdata", signal: "det1", axes: ["samx"], samx_indices: 0 });
  assert.deepEqual(d.links["entry/plot/det1"], { soft: "/entry/measurement/det1", value: [10, 20, 30] });
  assert.deepEqual(d.links["entry/plot/samx"], { soft: "/entry/measurement/samx", value: [0, 0.5, 1] });
  // entry-level datasets
  // as the original: a one-element fixed-length ASCII dataset
  assert.deepEqual([ds["entry/description"].dtype, ds["entry/description"].shape, ds["entry/description"].value],
    ["|S100", [1], ["ascan samx 0 1 2 0.1 sample=Au"]]);
  assert.equal(ds["entry/start_time"].value, "2024-05-01T12:00:00.000Z");
  assert.equal(ds["entry/end_time"].value, "2024-05-01T12:01:00.000Z");
  assert.equal(ds["entry/status"].value, "failed");
  assert.equal(ds["entry/error"].value, "img timed out");
  assert.equal(ds["entry/tags/sample"].value, "Au");
  assert.equal(ds["entry/tags/energy"].value, 9.5);
  assert.deepEqual([ds["entry/tags/dry"].dtype, ds["entry/tags/dry"].value], ["|u1", 1]);
  assert.equal(ds["entry/snapshots/pre_scan/samy"].value, 1.5);
  assert.equal(ds["entry/snapshots/pre_scan/broken"].value, "NaN");
  assert.equal(ds["entry/snapshots/pre_scan/mono/crystal"].value, "Si111");
  assert.deepEqual(ds["entry/snapshots/pre_scan/table"].value, [1, 2]);
  assert.equal(ds["entry/snapshots/post_scan/samx"].value, 1);
  // and as the original stored it
  assert.deepEqual([ds["entry/snapshot/samy"].shape, ds["entry/snapshot/samy"].value], [[1], [1.5]]);
  assert.deepEqual([ds["entry/snapshot/broken"].dtype, ds["entry/snapshot/broken"].value], ["|S100", ["None"]]);
  assert.deepEqual(ds["entry/snapshot/mono/crystal"].value, ["Si111"]);
  assert.deepEqual(ds["entry/snapshot/table"].value, [1, 2]);
  // measurement
  assert.deepEqual([m("samx").dtype, m("samx").shape, m("samx").maxshape, m("samx").value], ["<f8", [3], [null], [0, 0.5, 1]]);
  assert.deepEqual(m("samx").chunks, [1000]);
  assert.deepEqual([m("label").dtype, m("label").value], ["|S256", ["a", "bé", "c"]]);
  assert.deepEqual([m("shutter").dtype, m("shutter").value], ["|u1", [1, 0, 1]]);
  assert.deepEqual([m("spectrum").dtype, m("spectrum").shape, m("spectrum").maxshape], ["<f4", [3, 5], [null, 5]]);
  assert.deepEqual(m("spectrum").value, [[0, 0, 0, 0, 0], [1, 1, 1, 1, 1], [2, 2, 2, 2, 2]]);
  assert.deepEqual([m("img").dtype, m("img").shape, m("img").maxshape, m("img").compression], ["<u2", [3, 4, 6], [null, 4, 6], "gzip"]);
  assert.deepEqual((m("img").value as number[][][])[2][3], [2018, 2019, 2020, 2021, 2022, 2023]);
  assert.equal(m("det1").compression, null);
  assert.deepEqual(d.attrs["entry/measurement/xrf"], { NX_class: "NXcollection" });
  assert.deepEqual(m("xrf/ch1").value, [0, 1, 2]);
  assert.deepEqual([m("xrf/ch2").dtype, m("xrf/ch2").value], ["<i4", [[0, 0, 7], [1, -1, 7], [2, -2, 7]]]);
  assert.deepEqual([m("xrf/missing").dtype, m("xrf/missing").value], ["|S256", ["None", "None", "None"]]);
  assert.deepEqual(m("maybe").value, ["NaN", 5, "NaN"]);
  assert.deepEqual((m("dt").value as number[]).map((x) => Math.round(x * 10)), [0, 1, 2]);
  // links: relative to the scan file, resolved by HDF5 to the right data
  const eiger = d.links["entry/measurement/eiger"];
  assert.deepEqual([eiger.file, eiger.path], ["eiger/scan_000012.h5", "/entry/data"]);
  assert.deepEqual(eiger.value, [[[0, 1], [2, 3]], [[4, 5], [6, 7]], [[8, 9], [10, 11]]]);
  assert.deepEqual(d.attrs["entry/measurement/pil"], { NX_class: "NXcollection" });
  for (let i = 0; i < 3; i++) {
    const l = d.links[`entry/measurement/pil/${String(i).padStart(6, "0")}`];
    assert.deepEqual(l, { file: `../../pil/pil_${i}.h5`, path: "/entry/frame", value: [i, i + 0.5] });
  }
});

test("the writer never overwrites a scan file", async () => {
  const dir = tmp();
  const w = await Hdf5ScanWriter.open(header(dir, 5));
  w.write(point(5, 0, { samx: 1 }));
  w.close({ kind: "footer", status: "finished", scannr: 5, endTime: 1, snapshot: {} });
  const before = readFileSync(w.fileName);
  await assert.rejects(Hdf5ScanWriter.open(header(dir, 5)),
    { message: `scan file ${join(dir, "000005.h5")} already exists; refusing to overwrite it` });
  assert.deepEqual(readFileSync(w.fileName), before);
});

test("bad input is a clear error, and a closed writer refuses more", async () => {
  const dir = tmp();
  const w = await Hdf5ScanWriter.open(header(dir, 6));
  w.write(point(6, 0, { det: 1, spec: new Uint16Array(4) }));
  assert.throws(() => w.write(point(6, 1, { det: "high" })), /measurement\/det: point 1 gives a string, earlier points gave a number/);
  assert.throws(() => w.write(point(6, 2, { spec: new Uint16Array(5) })), /measurement\/spec: point 2 has shape \[5\], earlier points \[4\]/);
  assert.throws(() => w.write(point(7, 3, { det: 1 })), /point of scan 7 sent to the file of scan 6/);
  w.close({ kind: "footer", status: "interrupted", scannr: 6, endTime: 2, snapshot: {} });
  assert.throws(() => w.write(point(6, 4, { det: 1 })), /already closed/);
  assert.ok(statSync(w.fileName).size > 0);
});

test("strings are fixed-length ASCII as the original wrote them: None fills the gaps, the first slab sets the width, a longer one later is refused",
  { skip: needsH5py() }, async () => {
    const dir = tmp();
    const w = await Hdf5ScanWriter.open(header(dir, 9));
    const long = "x".repeat(300);
    w.write(point(9, 0, { status: "ok", note: long, off: null }));
    w.write(point(9, 1, { status: null, note: "short", off: null }));
    w.write(point(9, 2, { det: 1, off: null }));
    w.flush(); // the first slab: the columns are created now
    assert.throws(() => w.write(point(9, 3, { status: "y".repeat(257), note: "z" })),
      /measurement\/status: point 3 gives a string of 257 bytes; the column's fixed length is 256/);
    w.write(point(9, 4, { status: "ünï", note: long, off: null }));
    w.close({ kind: "footer", status: "finished", scannr: 9, endTime: 1, snapshot: {} });
    const got = runPython<Record<string, unknown>>(String.raw`
import h5py, sys, json
f = h5py.File(sys.argv[1], "r")
m = f["entry/measurement"]
out = {k: {"dtype": m[k].dtype.str, "bytes": all(isinstance(x, bytes) for x in m[k][:]), "values": [x.decode() for x in m[k][:]]}
       for k in ("status", "note", "off")}
out["description"] = [isinstance(f["entry/description"][0], bytes), f["entry/description"][0].decode()]
print(json.dumps(out))`, [w.fileName]);
    assert.deepEqual(got, {
      status: { dtype: "|S256", bytes: true, values: ["ok", "None", "None", "None", "ünï"] },
      // point 3 failed at its first key, so its note is a gap too
      note: { dtype: "|S301", bytes: true, values: [long, "short", "None", "None", long] },
      off: { dtype: "|S256", bytes: true, values: ["None", "None", "None", "None", "None"] },
      description: [true, "ascan samx 0 1 2 0.1 sample=Au"],
    });
  });

test("a lone slow point is flushed by the timer and readable while the writer is still open", { skip: needsH5py() }, async () => {
  const dir = tmp();
  const w = await Hdf5ScanWriter.open(header(dir, 8), { flushIntervalMs: 200 });
  const read = () => runPython<number[]>(
    `import h5py, sys, json; f = h5py.File(sys.argv[1], "r"); print(json.dumps(f["entry/measurement/det"][()].tolist()))`, [w.fileName]);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  w.write(point(8, 0, { det: 4.5, empty: new Float64Array(0) })); // just after open's flush: left to the timer
  await sleep(1000);
  assert.deepEqual(read(), [4.5]);
  w.write(point(8, 1, { det: 5.5, empty: new Float64Array(0) })); // last flush long ago: flushed by this write
  w.write(point(8, 2, { det: 6.5, empty: new Float64Array(0) })); // too soon: buffered...
  assert.deepEqual(read(), [4.5, 5.5]); // (runPython blocks the event loop, so no timer runs meanwhile)
  await sleep(1000); // ...until the timer flushes it
  assert.deepEqual(read(), [4.5, 5.5, 6.5]);
  w.close({ kind: "footer", status: "finished", scannr: 8, endTime: 3, snapshot: {} });
  const shape = runPython<number[]>(`import h5py, sys, json; print(json.dumps(h5py.File(sys.argv[1], "r")["entry/measurement/empty"].shape))`, [w.fileName]);
  assert.deepEqual(shape, [3, 0]);
});

test("a SIGKILLed writer leaves a file h5py opens, holding every point up to 1 s before the kill",
  { skip: needsH5py(), timeout: 60_000 }, async () => {
    const dir = tmp();
    // 100 points/s with a scalar, a string, a spectrum and a 256x256 image; one line on stdout per point
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", `
      import { Hdf5ScanWriter } from ${JSON.stringify(pathToFileURL(join(repo, "src/recorders/hdf5/Hdf5ScanWriter.ts")).href)};
      const w = await Hdf5ScanWriter.open(${JSON.stringify(header(dir, 42, { motors: ["samx"], detectors: ["det"] }))});
      let i = 0;
      setInterval(() => {
        w.write({ kind: "data", status: "running", scannr: 42, index: i, data: { samx: i, det: 2 * i, name: "p" + i,
          spec: new Float64Array(100).fill(i), img: { shape: [256, 256], data: new Uint16Array(65536).fill(i) } } });
        process.stdout.write(i++ + " " + Date.now() + "\\n");
      }, 10);`], { cwd: repo, stdio: ["ignore", "pipe", "inherit"] });
    let log = "";
    const exited = new Promise((resolve) => child.on("exit", resolve));
    let killedAt = 0;
    await new Promise<void>((resolve, reject) => {
      child.once("exit", () => reject(new Error(`writer exited early:\n${log}`)));
      // killed once 100 points are more than 1 s old, however slowly a loaded machine lets it write
      const timer = setInterval(() => {
        const hundredth = log.split("\n")[99];
        if (!hundredth || Date.now() - Number(hundredth.split(" ")[1]) <= 1100) return;
        clearInterval(timer);
        killedAt = Date.now();
        child.kill("SIGKILL");
        resolve();
      }, 20);
      child.stdout.on("data", (b: Buffer) => void (log += b.toString()));
    });
    await exited;
    const lines = log.trim().split("\n").map((l) => l.split(" ").map(Number));
    const mustHave = lines.filter(([, t]) => t <= killedAt - 1000).length;
    assert.ok(mustHave >= 100, `only ${mustHave} points were old enough`);

    const r = runPython<{ status: string; rows: Record<string, number>; consistent: boolean }>(String.raw`
import h5py, sys, json, numpy as np
f = h5py.File(sys.argv[1], "r")   # no SWMR mode, no h5clear
m = f["entry/measurement"]
rows = {k: m[k].shape[0] for k in m}
n = min(rows.values())
i = np.arange(n)
consistent = bool((m["samx"][:n] == i).all() and (m["det"][:n] == 2 * i).all()
    and [s.decode() for s in m["name"][:n]] == ["p%d" % k for k in i]
    and (m["spec"][:n] == i[:, None]).all() and (m["img"][:n, 128, 7] == i).all() and (m["img"][:n, 255, 255] == i).all())
print(json.dumps({"status": f["entry/status"][()].decode(), "rows": rows, "consistent": consistent}))
`, [scanFilePath(dir, 42)]);
    assert.equal(r.status, "running");
    assert.ok(r.consistent, "every row read back holds the values written for it");
    for (const [k, n] of Object.entries(r.rows)) {
      assert.ok(n >= mustHave, `${k}: ${n} rows, but ${mustHave} points were written more than 1 s before the kill`);
      assert.ok(n <= lines.length, `${k}: ${n} rows, more than the ${lines.length} written`);
    }
  });
