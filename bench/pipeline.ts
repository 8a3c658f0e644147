/**
 * pipeline.frames_per_s: the simulated Eiger 4M (2167 × 2070 uint32, frames
 * precomputed) PUSHes 200 frames as fast as it can to contrast-integrate-workers
 * with 2 local workers, threads of its process (1000 bins, bbox, solid angle); from the first frame sent
 * to the collector closing scan_NNNNNN_integrated.h5. Everything on this one
 * 2-core machine: detector, receiver, collector and workers share the cores.
 * The receiver runs with the node options its command's first line gives. The
 * note gives the CPU time of both processes per frame (all their threads), the
 * figure to compare when the machine's load makes the rate swing.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Figure } from "./scan.ts";
import { SimulatedEiger } from "../src/detectors/eiger/SimulatedEiger.ts";
import { formatPoni } from "../src/integration/poni.ts";
import { namedDetector } from "../src/integration/detector.ts";
import { PIPELINE_NODE_FLAGS } from "../src/integration/pipeline/nodeFlags.ts";
import { freePort } from "../test/helpers/tango.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const FRAMES = 200;

/** CPU time a process has used (every thread), from /proc */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export async function benchPipeline(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), "contrast-bench-pipeline-"));
  const geometry = { distance: 0.3, poni1: 0.0801, poni2: 0.0783, rot1: 0, rot2: 0, rot3: 0, wavelength: 1e-10 };
  writeFileSync(join(dir, "g.poni"), formatPoni({ ...geometry, detector: namedDetector("Eiger4M")! }));
  const address = `tcp://127.0.0.1:${await freePort()}`;
  const eiger = new SimulatedEiger({ name: "eiger4m", address, poni: { ...geometry, detector: "Eiger4M" } });
  const child = spawn(process.execPath, [...PIPELINE_NODE_FLAGS, "bin/contrast-integrate-workers.js", "--poni", join(dir, "g.poni"), "--stream", address, "--workers", "2",
    "--dir", dir, "--bins", "1000", "--cache", join(dir, "cache")], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.on("data", (d) => (log += d));
  const waitFor = (re: RegExp) => new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      if (re.test(log)) { clearInterval(poll); resolve(); }
      else if (child.exitCode !== null) { clearInterval(poll); reject(new Error(`the pipeline ended:\n${log}`)); }
    }, 20);
  });
  try {
    await waitFor(/(worker \d: table loaded[\s\S]*){2}/);
    await eiger.open();
    while (eiger.receivers === 0) await new Promise((r) => setTimeout(r, 20));
    eiger.burstN = FRAMES;
    eiger.streamOutsideScans = true; // no file of its own: the figure is the pipeline's
    await eiger.prepare(0, null, 1);
    const load = loadavg()[0];
    const cpu0 = cpuSeconds(child.pid!), ownCpu0 = process.cpuUsage();
    const t0 = performance.now();
    await eiger.start();
    await eiger.done();
    await eiger.finish();
    await waitFor(new RegExp(`series \\d+: ${FRAMES} frames integrated`));
    const seconds = (performance.now() - t0) / 1000;
    const pipelineMs = (1000 * (cpuSeconds(child.pid!) - cpu0)) / FRAMES;
    const own = process.cpuUsage(ownCpu0);
    const detectorMs = (own.user + own.system) / 1000 / FRAMES;
    const byReceiver = /frames integrated \((\d+) by the receiver\)/.exec(log)?.[1] ?? "?";
    return [{
      name: "pipeline.frames_per_s", value: +(FRAMES / seconds).toFixed(1), unit: "frames/s",
      note: `${FRAMES} Eiger 4M frames, simulator -> receiver -> 2 workers -> collector -> file, one 2-core machine; ${byReceiver} integrated by the receiver; CPU per frame ${pipelineMs.toFixed(1)} ms in the pipeline's process, ${detectorMs.toFixed(1)} ms in the detector's; load average ${load.toFixed(2)} before`,
    }];
  } finally {
    child.kill("SIGTERM");
    await eiger.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
