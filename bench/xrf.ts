/**
 * xrf.spectra_per_s: frames of 4 x 4096 uint32 spectra (the simulator's
 * physics: a pool of 64 synthesised frames, replayed so that synthesis does
 * not limit the rate) published at full speed in the xspress3-streamer
 * format, with one position per frame in the stream recorder's format, and
 * reduced to 10 regions by a contrast-xrfmap process; timed from the first
 * send until the consumer says it has written the maps file. One figure
 * counts a frame (one point, 4 channel spectra) as one spectrum.
 *
 *   node --import tsx bench/xrf.ts
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Publisher } from "zeromq";
import { SpectrumModel, SIM_SAMPLE } from "../src/detectors/xspress3/spectra.ts";
import { jsonPart, pickleNumbers } from "../src/detectors/xspress3/streamerFormat.ts";
import { encodeMessage } from "../src/recorders/stream/wire.ts";
import type { Figure } from "./scan.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const FRAMES = 10_000;

const ROIS = { rois: [
  { name: "Ar", energy_keV: 2.957, width_keV: 0.24 }, { name: "Cr", energy_keV: 5.415, width_keV: 0.24 },
  { name: "Mn", energy_keV: 5.899, width_keV: 0.24 }, { name: "Fe", energy_keV: 6.404, width_keV: 0.3 },
  { name: "Co", energy_keV: 6.930, width_keV: 0.3 }, { name: "Ni", energy_keV: 7.478, width_keV: 0.3 },
  { name: "Cu", energy_keV: 8.048, width_keV: 0.3 }, { name: "Pt", energy_keV: 9.442, width_keV: 0.3 },
  { name: "scatter", energy_keV: 10, width_keV: 0.4 }, { name: "total", bins: [100, 1200] },
] };

/** User plus system CPU time of a process so far (Linux /proc; clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export async function benchXrf(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), "contrast-bench-xrf-"));
  const rois = join(dir, "rois.json");
  writeFileSync(rois, JSON.stringify(ROIS));
  const model = new SpectrumModel(SIM_SAMPLE, { channels: 4, bins: 4096, keVPerBin: 0.01 });
  const pool = Array.from({ length: 64 }, (_, k) => Buffer.from(model.frame({ x: (k % 8) / 8, y: Math.floor(k / 8) / 8, energy: 10 }, 0.01).buffer));
  const scalers = pickleNumbers([1e5, 1000, 1000, 8e5, 8e5, 0, 0, 1]);
  const spectra = new Publisher({ linger: 2000, sendHighWaterMark: 0 });
  const positions = new Publisher({ linger: 2000, sendHighWaterMark: 0 });
  await spectra.bind("tcp://127.0.0.1:0");
  await positions.bind("tcp://127.0.0.1:0");
  const consumer = spawn(process.execPath, [...(process.env.XRF_BENCH_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.XRF_BENCH_PROF}`] : []), "--import", "tsx", join(ROOT, "src/xrf/cli.ts"), rois,
    `spectra=${spectra.lastEndpoint}`, `stream=${positions.lastEndpoint}`, `dir=${dir}`], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  const said = (what: RegExp) => new Promise<RegExpMatchArray>((resolve, reject) => {
    const check = () => {
      const m = out.match(what);
      if (m) resolve(m);
    };
    consumer.stdout.on("data", (b: Buffer) => { out += b.toString(); check(); });
    consumer.once("exit", (code) => reject(new Error(`contrast-xrfmap exited (${code}): ${out}`)));
    check();
  });
  try {
    await said(/live view at/);
    await new Promise((r) => setTimeout(r, 1000)); // both SUB sockets connected
    const written = said(/scan #1: (\d+) points mapped, written to/);
    const cpuBefore = cpuSeconds(consumer.pid as number);
    const t0 = performance.now();
    await positions.send(encodeMessage({
      kind: "header", status: "started", scannr: 1, description: "bench", path: dir, startTime: Date.now() / 1000,
      motors: ["samx", "samy"], detectors: ["xsp3"], tags: {}, snapshot: {}, npoints: FRAMES,
    }));
    await spectra.send(jsonPart({ htype: "header", filename: join(dir, "scan_000001_xsp3.h5"), overwritable: false }));
    for (let i = 0; i < FRAMES; i++) {
      await spectra.send(jsonPart({ htype: "image", exptime: 0.001, frame: i, shape: [4, 4096], type: "uint32", compression: "none" }));
      await spectra.send(pool[i % pool.length]);
      await spectra.send(scalers);
      await positions.send(encodeMessage({ kind: "data", status: "running", scannr: 1, index: i, data: { samx: i % 100, samy: Math.floor(i / 100), dt: 0 } }));
    }
    await spectra.send(jsonPart({ htype: "series_end" }));
    await positions.send(encodeMessage({ kind: "footer", status: "finished", scannr: 1, endTime: Date.now() / 1000, snapshot: {} }));
    const sent = (performance.now() - t0) / 1000;
    const mapped = Number((await written)[1]);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(consumer.pid as number) - cpuBefore;
    return [{
      name: "xrf.spectra_per_s", value: Math.round(mapped / seconds), unit: "spectra/s",
      note: `${mapped} of ${FRAMES} frames (4 x 4096 uint32) mapped to 10 regions in ${seconds.toFixed(2)} s end to end; `
        + `publishing alone took ${sent.toFixed(2)} s; the consumer used ${cpu.toFixed(2)} s of CPU `
        + `(${Math.round(mapped / cpu)} frames per CPU second); load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`,
    }];
  } finally {
    consumer.kill("SIGTERM");
    spectra.close();
    positions.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const f of await benchXrf()) process.stdout.write(JSON.stringify(f) + "\n");
  process.exit();
}
