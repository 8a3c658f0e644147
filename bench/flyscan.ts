/**
 * flyscan.dead_time_per_line_ms: `flyscan pzx 0 90 199 pzy 0 19 19 0.001`
 *   (20 lines of 200 triggers at 1 ms exposure) with a triggered scalar and
 *   1-D dummy and the trigger box, the HDF5 and the stream recorders running;
 *   wall time per line minus 200 × (exposure + latency), per line from the
 *   first line's record to the last's (the scan's own start and end are not
 *   per line: the note gives the figure over the whole scan too). One
 *   warm-up scan, then the median of three. Target: ≤ 2 × acctime + 5 ms.
 * flyscan.triggers_per_s: `flyscan pzx 0 90 1999 pzy 0 9 9 0.0001` (10 lines
 *   of 2000 triggers at 0.1 ms), everything recorded; triggers over the wall
 *   time of the whole scan (header to the footer stored). Target: ≥ 5,000.
 * The note carries the load average, since the figures are timer-bound.
 *
 *   node --import tsx bench/run.ts flyscan
 */
import { mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import {
  env, runCommand, Gadget, Recorder, Detector, Hdf5Recorder, StreamRecorder, PiezoStage, PandaBox, DummyDetector, Dummy1dDetector,
  FlyScan, MemoryRecorder, type ScanPoint,
} from "../src/index.ts";
import type { Figure } from "./scan.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time(line: string): Promise<number> {
  const t0 = performance.now();
  await runCommand(line);
  return (performance.now() - t0) / 1000;
}

export async function benchFlyScan(): Promise<Figure[]> {
  await Promise.all(Recorder.getInstances().map((r) => r.stop()));
  for (const g of Gadget.getInstances()) g.dispose();
  env.paths.directory = mkdtempSync(join(tmpdir(), "contrast-bench-fly-"));
  env.print = () => {};
  const stage = new PiezoStage({ name: "lc400" });
  const pzx = stage.axis({ name: "pzx", dialLimits: [-10, 110] });
  const pzy = stage.axis({ name: "pzy", dialLimits: [-10, 110] });
  const box = new PandaBox({ name: "panda0", encoders: [pzx, pzy], triggerSource: stage.lineStart });
  new DummyDetector({ name: "det", triggerSource: box.triggers, hwTrigMinLatency: 0.00002, signal: (t) => pzx.positionAt(t ?? performance.now()) });
  new Dummy1dDetector({ name: "spec", triggerSource: box.triggers, hwTrigMinLatency: 0.00005 });
  const latency = Math.max(...Detector.getInstances().map((d) => d.hwTrigMinLatency));
  const h5 = new Hdf5Recorder({ name: "h5rec" });
  const stream = new StreamRecorder({ name: "stream", address: "tcp://127.0.0.1:0" });
  const mem = new MemoryRecorder({ name: "lines" });
  await Promise.all([h5.start(), stream.start()]);
  try {
    const line = "flyscan pzx 0 90 199 pzy 0 19 19 0.001";
    const nominal = 200 * (0.001 + latency);
    await time(line);
    const perLine: number[] = [];
    const whole: number[] = [];
    for (let i = 0; i < 3; i++) {
      mem.clear();
      whole.push((await time(line)) / 20 - nominal);
      const dts = mem.messages.filter((m): m is ScanPoint => m.kind === "data").map((p) => p.data.dt as number);
      perLine.push((dts[dts.length - 1] - dts[0]) / (dts.length - 1) - nominal);
    }
    mem.dispose();
    const dead = median(perLine) * 1000;
    const fast = await time("flyscan pzx 0 90 1999 pzy 0 9 9 0.0001");
    const note = `load average ${loadavg()[0].toFixed(1)}; over the whole scan ${(median(whole) * 1000).toFixed(2)} ms per line; latency ${latency * 1e6} µs, acctime ${FlyScan.defaultAccTime * 1000} ms; det, spec (100 channels) and panda0 recorded`;
    return [
      { name: "flyscan.dead_time_per_line_ms", value: +dead.toFixed(2), unit: "ms", note },
      { name: "flyscan.triggers_per_s", value: Math.round(20_000 / fast), unit: "triggers/s", note: note.replace(/; over the whole scan [^;]*/, "") },
    ];
  } finally {
    await Promise.all([h5.stop(), stream.stop()]);
  }
}
