/**
 * scan.dead_time_per_point_ms: `ascan samx 0 1 200 0.01` with the scalar and
 * the 1-D dummy active, wall time per point minus the exposure.
 * scan.overhead_per_point_ms: the same with exposure 0.
 * The motor moves instantly (velocity Infinity) and the table is formatted but
 * not written to the terminal, so the figures are the loop's own cost. Two
 * warm-up scans run first (JIT), then the median of five.
 * scan.points_per_s_image_and_pseudo: `loopscan 50 0` with a 1024×1024 camera
 * and a pseudo detector over the scalar also active (the pseudo detector must
 * not convert the image it does not use), no recorders; the median of three.
 */
import { tmpdir } from "node:os";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { env, runCommand, DummyMotor, DummyDetector, Dummy1dDetector, Dummy2dDetector, PseudoDetector, Gadget } from "../src/index.ts";

export interface Figure { name: string; value: number; unit: string; note?: string }

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function setupScanBench(): Promise<void> {
  if (!Gadget.byName("samx")) {
    new DummyMotor({ name: "samx" });
    new DummyDetector({ name: "det" });
    new Dummy1dDetector({ name: "spec" });
  }
  env.paths.directory = mkdtempSync(join(tmpdir(), "contrast-bench-"));
  env.print = () => {};
}

/** Median wall time per point (ms) of `ascan samx 0 1 200 <exposure>` over `runs` runs. */
export async function timePerPoint(exposure: number, runs = 5): Promise<number> {
  const points = 201;
  const times: number[] = [];
  // warm-up: two full scans, so the figures are those of a shell that has run scans before
  for (let i = 0; i < 2; i++) await runCommand(`ascan samx 0 1 ${points - 1} ${exposure}`);
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await runCommand(`ascan samx 0 1 ${points - 1} ${exposure}`);
    times.push((performance.now() - t0) / points);
  }
  return median(times);
}

/** Points per second of `loopscan 50 0` with a big camera and a pseudo detector active, the median of three. */
async function pointsPerSecondWithImage(): Promise<number> {
  const gadgets = [
    new Dummy2dDetector({ name: "bench_cam", shape: [1024, 1024] }),
    new PseudoDetector({ name: "bench_norm", expression: "det / 2" }),
  ];
  try {
    await runCommand("loopscan 5 0");
    const rates: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await runCommand("loopscan 50 0");
      rates.push(50 / ((performance.now() - t0) / 1000));
    }
    return median(rates);
  } finally {
    for (const g of gadgets) g.dispose();
  }
}

export async function benchScan(): Promise<Figure[]> {
  await setupScanBench();
  const dead = (await timePerPoint(0.01)) - 10;
  const overhead = await timePerPoint(0);
  const withImage = await pointsPerSecondWithImage();
  return [
    { name: "scan.dead_time_per_point_ms", value: +dead.toFixed(4), unit: "ms" },
    { name: "scan.overhead_per_point_ms", value: +overhead.toFixed(4), unit: "ms" },
    { name: "scan.points_per_s_image_and_pseudo", value: +withImage.toFixed(1), unit: "points/s" },
  ];
}
