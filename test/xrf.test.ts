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

test("on the sim sample a mesh recovers the pattern: Ni where samx < 0.5, Cr elsewhere, Ar falling with samy, Pt in the disc",
  { skip: needsH5py(), timeout: 120_000 }, async () => {
    await beamline();
    await runCommand(`xrfmap ${ROIS}`);
    await runCommand("mesh samy 0 1 10 samx 0 1 10 0.005");
    await waitForFile(scanFile(1, "xrf"));
    const r = runPython<Record<string, number>>(String.raw`
import h5py, json, sys, numpy as np
m = h5py.File(sys.argv[1], "r")["entry/maps"]
x, y = m["positions/samx"][()], m["positions/samy"][()]
left, right = x < 0.5, x >= 0.5
disc = (x - 0.5) ** 2 + (y - 0.5) ** 2 <= 0.04
print(json.dumps({"n": len(x), "ni_left": m["Ni"][left].mean(), "ni_right": m["Ni"][right].mean(),
  "cr_left": m["Cr"][left].mean(), "cr_right": m["Cr"][right].mean(), "fe_left": m["Fe"][left].mean(), "fe_right": m["Fe"][right].mean(),
  "ar_bottom": m["Ar"][y == 0].mean(), "ar_top": m["Ar"][y == 1].mean(), "ar_slope": float(np.polyfit(y, m["Ar"][()], 1)[0]),
  "pt_in": m["Pt"][disc].mean(), "pt_out": m["Pt"][~disc].mean()}))`, [scanFile(1, "xrf")]);
    assert.equal(r.n, 121);
    assert.ok(r.ni_left > 10 * r.ni_right, `Ni ${r.ni_left} left vs ${r.ni_right} right`);
    assert.ok(r.cr_right > 10 * r.cr_left, `Cr ${r.cr_right} right vs ${r.cr_left} left`);
    assert.ok(Math.abs(r.fe_left - r.fe_right) < 0.1 * r.fe_left, `Fe uniform: ${r.fe_left} vs ${r.fe_right}`);
    assert.ok(r.ar_bottom > 3 * r.ar_top && r.ar_slope < 0, `Ar ${r.ar_bottom} at samy 0, ${r.ar_top} at samy 1`);
    assert.ok(r.pt_in > 5 * r.pt_out, `Pt ${r.pt_in} in the disc vs ${r.pt_out} outside`);
  });

test("contrast-xrfmap started after the scan began says it missed the start and maps the rest, equal to the raw spectra",
  { skip: needsH5py(), timeout: 120_000 }, async () => {
    const { xsp3, stream } = await beamline();
    let out = "";
    let consumer: ReturnType<typeof spawn> | undefined;
    const joined = new Promise<void>((resolve, reject) => {
      env.progress = (p) => {
        if (p.done !== 10 || consumer) return;
        consumer = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/xrf/cli.ts"), ROIS, `spectra=${xsp3.address}`, `stream=${stream.address}`],
          { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
        consumer.once("exit", (code) => reject(new Error(`contrast-xrfmap exited (${code}): ${out}`)));
        consumer.stdout?.on("data", (b: Buffer) => {
          out += b.toString();
          if (out.includes("live view at")) resolve();
        });
      };
    });
    // the scan waits at point 10 until the consumer is up (and a moment more for its SUB sockets to connect)
    env.hooks.beforeMove = async () => {
      if (consumer) await joined.then(() => sleep(500));
    };
    try {
      await runCommand("ascan samx 0 1 59 0.02");
      await waitForFile(scanFile(1, "xrf"));
      while (!out.includes("written to")) await sleep(100);
    } finally {
      env.progress = undefined;
      env.hooks = {};
      consumer?.kill("SIGTERM");
    }
    assert.match(out, /scan #1 began before this consumer started: its start was missed; mapping from point \d+ on/);
    assert.match(out, /scan #1: \d+ points mapped, written to .*scan_000001_xrf\.h5; .*start missed/);
    const r = runPython<{ points: number; equal: Record<string, boolean>; mapped: Record<string, number>; missed_start: number; positions: Record<string, boolean> }>(
      COMPARE, [scanFile(1, "xrf"), scanFile(1, "xsp3"), scanFile(1)]);
    assert.equal(r.missed_start, 1);
    for (const [name, ok] of Object.entries(r.equal)) assert.ok(ok, `map ${name} differs from the raw spectra's sums`);
    assert.ok(r.mapped.Fe > 0 && r.mapped.Fe < 60, `${r.mapped.Fe} of 60 points mapped`);
    assert.equal(r.positions.samx, true);
  });

test("a consumer killed mid-scan is reported at once and by lsrec; the scan finishes untouched, the next one without entry/xrf",
  { skip: needsH5py(), timeout: 120_000 }, async () => {
    await beamline();
    await runCommand(`xrfmap ${ROIS}`);
    const rec = XrfMapRecorder.getInstances()[0];
    const pid = rec.pid as number;
    takeOutput();
    env.progress = (p) => void (p.done === 5 && process.kill(pid, "SIGKILL"));
    try {
      const result = (await runCommand("ascan samx 0 1 39 0.02")) as { status: string; points: number };
      assert.deepEqual([result.status, result.points], ["finished", 40]);
    } finally {
      env.progress = undefined;
    }
    const printed = takeOutput();
    assert.match(printed, /recorder xrfmap died \(killed by SIGKILL\)/);
    assert.doesNotMatch(printed, /scan #1 failed/);
    const rows = (await runCommand("lsrec")) as RecorderRow[];
    const row = rows.find((r) => r.name === "xrfmap") as RecorderRow;
    assert.deepEqual([row.alive, row.reason], [false, "killed by SIGKILL"]);
    assert.match(takeOutput(), /xrfmap\s+XrfMapRecorder\s+dead: killed by SIGKILL/);
    await runCommand("ascan samx 0 1 4 0.01");
    const r = runPython<{ status: string[]; rows: number[]; xrf: boolean[] }>(String.raw`
import h5py, json, sys
fs = [h5py.File(p, "r") for p in sys.argv[1:]]
print(json.dumps({"status": [f["entry/status"][()].decode() for f in fs], "rows": [len(f["entry/measurement/samx"]) for f in fs],
  "xrf": ["xrf" in f["entry"].keys() for f in fs]}))`, [scanFile(1), scanFile(2)]);
    assert.deepEqual(r, { status: ["finished", "finished"], rows: [40, 5], xrf: [true, false] });
  });

test("a malformed ROI file is refused by xrfmap with its line and field; nothing starts", async () => {
  resetBeamline();
  const bad = join(env.paths.directory, "bad-rois.json");
  const { writeFileSync } = await import("node:fs");
  writeFileSync(bad, `{\n  "rois": [\n    { "name": "Fe", "energy_keV": 6.404, "width_keV": 0.3 },\n    { "name": "Ni",\n      "energy_keV": "7.5", "width_keV": 0.3 }\n  ]\n}\n`);
  await assert.rejects(runCommand(`xrfmap ${bad}`), new RegExp(`${bad}:5: region 2, field "energy_keV": must be a number > 0`));
  assert.equal(XrfMapRecorder.getInstances().length, 0);
  await assert.rejects(runCommand("xrfmap"), /usage|xrfmap <rois\.json>/i);
});

test("contrast-xrfmap refuses a bad ROI file with its line and field, and bad arguments with its usage", async () => {
  resetBeamline();
  const bad = join(env.paths.directory, "rois.json");
  const { writeFileSync } = await import("node:fs");
  writeFileSync(bad, `[\n  { "name": "Fe", "bins": [5, 1] }\n]\n`);
  const run = (args: string[]) => new Promise<{ code: number | null; err: string }>((resolve) => {
    const p = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/xrf/cli.ts"), ...args], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (b: Buffer) => void (err += b.toString()));
    p.on("exit", (code) => resolve({ code, err }));
  });
  const a = await run([bad]);
  assert.deepEqual([a.code, a.err.trim()], [1, `contrast-xrfmap: ${bad}:2: region 1, field "bins": must be [first, last], whole numbers, 0 <= first <= last`]);
  const b = await run([ROIS, "spectrum=tcp://x:1"]);
  assert.equal(b.code, 2);
  assert.match(b.err, /unknown: spectrum\nusage: contrast-xrfmap <rois\.json>/);
});
