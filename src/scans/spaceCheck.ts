/**
 * Before a scan starts: will its data fit on the data directory's file system?
 * Points × the bytes each active detector gives per point (known once prepared),
 * against `fs.statfs`. The keyword `nospacecheck=1` skips the check.
 */
import { statfs } from "node:fs/promises";
import path from "node:path";
import type { Detector } from "../detectors/Detector.ts";

export const NO_SPACE_CHECK = "nospacecheck";

const mb = (bytes: number): string => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB`
  : bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`);

/** Free bytes on the file system that holds `dir` (or would, once created); Infinity when it cannot say. */
async function freeBytes(dir: string): Promise<number> {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      const s = await statfs(d);
      return s.bavail * s.bsize;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT" || d === path.dirname(d)) return Infinity;
    }
  }
}

/** Throws, naming the estimate, when `points` points of `detectors` (and `motors` positions) will not fit in `dir`. */
export async function refuseIfNoRoom(dir: string, points: number, detectors: Detector[], motors: number): Promise<void> {
  const perDetector = detectors.map((d) => ({
    name: d.name, bytes: d.bytesPerFrame() * d.burstN * (d.hwTrig ? d.hwTrigN : 1),
  }));
  const perPoint = perDetector.reduce((n, d) => n + d.bytes, 8 * (motors + 1));
  const estimate = points * perPoint;
  const free = await freeBytes(dir);
  if (estimate <= free) return;
  const big = perDetector.filter((d) => d.bytes >= 1000).sort((a, b) => b.bytes - a.bytes)
    .map((d) => `${d.name} ${mb(d.bytes)}`).join(", ");
  throw new Error(`scan not started: it would write about ${mb(estimate)} (${points} points × ${mb(perPoint)}${big ? `: ${big}` : ""}), `
    + `but ${dir} has ${mb(free)} free; free some space, deactivate a detector, or add ${NO_SPACE_CHECK}=1 to start it anyway`);
}
