/**
 * How long a scan will take, said before it starts (Sardana's "It will take
 * at least ..."): motion from the motors' velocities where they are known,
 * the exposure, and the overhead per point measured on the scans before.
 */
import type { Motor } from "../motors/Motor.ts";
import { formatDuration } from "./table.ts";

export interface ScanEstimate {
  points: number;
  /** seconds of motion, counting only motors whose velocity is known */
  motion: number;
  /** the part of `motion` that is the return move of a relative scan */
  returnMove: number;
  exposure: number;
  /** seconds of overhead, from the measured overhead per point */
  overhead: number;
  total: number;
  /** motors whose velocity is not known (their motion is not counted) */
  unknownVelocity: string[];
}

/** Seconds per point spent on anything but motion and exposure, as measured on the last scan. */
export const measured = { overheadPerPoint: 0.01, fromScans: 0 };

function velocity(m: Motor): number | undefined {
  const v = (m as Motor & { velocity?: unknown }).velocity;
  return typeof v === "number" && v > 0 ? v : undefined;
}

/**
 * The estimate for visiting `positions` (rows in motor order) from `start`,
 * exposing `exposure` s at each; `back` adds the return move of relative scans.
 */
export function estimateScan(motors: Motor[], start: number[], positions: number[][], exposure: number, back = false): ScanEstimate {
  const speeds = motors.map(velocity);
  let motion = 0;
  let from = start;
  const leg = (to: number[]) => {
    let longest = 0;
    motors.forEach((m, j) => {
      const v = speeds[j];
      if (v !== undefined && Number.isFinite(v)) longest = Math.max(longest, Math.abs(to[j] - from[j]) * Math.abs(m.scaling) / v);
    });
    motion += longest;
    from = to;
  };
  for (const p of positions) leg(p);
  const outward = motion;
  if (back && positions.length) leg(start);
  const points = positions.length;
  const overhead = points * measured.overheadPerPoint;
  const exposed = points * exposure;
  return {
    points, motion, returnMove: motion - outward, exposure: exposed, overhead, total: motion + exposed + overhead,
    unknownVelocity: motors.filter((_, j) => speeds[j] === undefined).map((m) => m.name),
  };
}

/** After a scan: the overhead per point is what the elapsed time leaves over motion and exposure. */
export function learnOverhead(e: ScanEstimate, points: number, elapsed: number): void {
  if (points < 2 || !(e.points > 0) || !(elapsed > 0) || e.unknownVelocity.length) return;
  const perPoint = (elapsed - ((e.motion - e.returnMove) * points) / e.points - (e.exposure * points) / e.points) / points;
  measured.overheadPerPoint = Math.max(0, perPoint);
  measured.fromScans++;
}

/** Seconds as "2.4 s" below a minute, else h:mm:ss. */
export function roughDuration(seconds: number): string {
  return seconds < 60 ? `${seconds.toFixed(1)} s` : formatDuration(seconds);
}

/** "21 points, about 2.4 s" for the scan's first line. */
export function estimateSummary(e: ScanEstimate): string {
  if (e.points === 0) return "points as they come"; // tweak: none is known before the scan
  return `${e.points} points, about ${roughDuration(e.total)}`;
}

/** The parts, for `estimate`. */
export function estimateDetails(e: ScanEstimate): string {
  const parts = [`motion ${roughDuration(e.motion)}`, `exposure ${roughDuration(e.exposure)}`,
    `overhead ${roughDuration(e.overhead)} (${(measured.overheadPerPoint * 1000).toFixed(1)} ms a point, ${measured.fromScans ? "measured" : "not measured yet"})`];
  if (e.unknownVelocity.length) parts.push(`motion of ${e.unknownVelocity.join(", ")} not counted (velocity unknown)`);
  return parts.join(", ");
}
