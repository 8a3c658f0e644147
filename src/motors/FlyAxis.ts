import type { Motor } from "./Motor.ts";
import type { TriggerSource } from "../detectors/triggers.ts";

/** One line of a fly scan, in the axis' user units: `triggers` points from `start` to `stop`, `period` s apart. */
export interface FlyLine {
  start: number;
  stop: number;
  triggers: number;
  /** seconds between triggers (exposure + latency) */
  period: number;
  /** seconds to get up to speed before `start` and to stop after the line */
  accTime: number;
}

/**
 * A motor that can run a whole line by itself (a piezo controller's
 * waveform; a DAC or a Smaract stage could do the same). `FlyScan` moves it to
 * `lineExtent(line)[0]` like any motor, then calls `runLine`; the controller's
 * `lineStart` source fires when the axis passes `start` at speed.
 */
export interface FlyAxis extends Motor {
  /** the controller's output that fires (one trigger) when the axis passes a line's start at speed */
  readonly lineStart: TriggerSource;
  /** where the waveform begins and ends (user units): the whole of it must be inside the limits */
  lineExtent(line: FlyLine): [number, number];
  /** runs the line; settles when the waveform is over or stopped (`stop()`) */
  runLine(line: FlyLine): Promise<void>;
}

export function isFlyAxis(m: Motor): m is FlyAxis {
  const f = m as Partial<FlyAxis>;
  return typeof f.runLine === "function" && typeof f.lineExtent === "function";
}
