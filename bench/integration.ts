/**
 * integration.setup_s: building the table for an Eiger 4M (2167 × 2070, gaps
 * masked) at 0.3 m, 1000 bins, bbox splitting, solid angle on; and
 * integration.setup_s_cached: loading the same table from the disk cache.
 * integration.frames_per_s_per_worker: that table applied to uint32 frames
 * held in memory (four different frames cycled), in this one process, after
 * a warm-up; the median of five runs of 40 frames.
 * The machine's load average is in each note, since the machine is shared.
 */
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { Figure } from "./scan.ts";
import { formatPoni } from "../src/integration/poni.ts";
import { namedDetector } from "../src/integration/detector.ts";
import { DEFAULT_OPTIONS, prepareIntegration, type IntegrationOptions } from "../src/integration/setup.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => `load average ${loadavg()[0].toFixed(2)} on ${2} cores`;

export async function benchIntegration(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), "contrast-bench-integration-"));
  const detector = namedDetector("Eiger4M")!;
  writeFileSync(join(dir, "g.poni"), formatPoni({ distance: 0.3, poni1: 0.08, poni2: 0.078, rot1: 0, rot2: 0, rot3: 0, wavelength: 1e-10, detector }));
  const options: IntegrationOptions = { ...DEFAULT_OPTIONS, poni: join(dir, "g.poni"), bins: 1000, cache: join(dir, "cache") };
  const built = await prepareIntegration(options);
  const cached = await prepareIntegration(options);
  if (!cached.fromCache) throw new Error("the table was not loaded from the cache");
  const figures: Figure[] = [
    { name: "integration.setup_s", value: +built.setupSeconds.toFixed(2), unit: "s", note: `table built: ${built.table.weights.length} entries; ${load()}` },
    { name: "integration.setup_s_cached", value: +cached.setupSeconds.toFixed(3), unit: "s", note: `table loaded from the cache; ${load()}` },
  ];
  const [rows, cols] = detector.shape;
  const frames = Array.from({ length: 4 }, (_, f) => {
    const frame = new Uint32Array(rows * cols);
    let seed = 12345 + f;
    for (let i = 0; i < frame.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      frame[i] = detector.mask![i] ? 2 ** 32 - 1 : seed >>> 26;
    }
    return frame;
  });
  const integrator = cached.integrator;
  const out = new Float64Array(cached.table.outputSize);
  for (let i = 0; i < 10; i++) integrator.integrate(frames[i % 4], out);
  const rates: number[] = [];
  const cpuRates: number[] = [];
  for (let run = 0; run < 5; run++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < 40; i++) integrator.integrate(frames[i % 4], out);
    const cpu = process.cpuUsage(c0);
    rates.push(40 / ((performance.now() - t0) / 1000));
    cpuRates.push(40 / ((cpu.user + cpu.system) / 1e6));
  }
  // on a shared machine the wall-clock rate is what this process got; the CPU-time rate is what one free core gives
  figures.push({
    name: "integration.frames_per_s_per_worker", value: +median(rates).toFixed(1), unit: "frames/s",
    note: `2167x2070 uint32, 1000 bins, bbox, solid angle, one process, wall clock; ${median(cpuRates).toFixed(1)} frames per CPU-second; ${load()}`,
  });
  rmSync(dir, { recursive: true, force: true });
  return figures;
}
