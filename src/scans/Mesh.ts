import { SoftwareScan, type Position } from "./SoftwareScan.ts";
import { macro, UsageError, type Arg } from "../macros/registry.ts";
import { asInt, asMotor, asNumber, asPositive, show } from "../macros/args.ts";
import { env } from "../environment/env.ts";

/** An N-dimensional grid; the last motor given moves fastest. */
export class Mesh extends SoftwareScan {
  static usage = `
    mesh <motor1> <start> <stop> <intervals> [<motor2> <start> <stop> <intervals> ...] <exp_time>
    Scans a grid, the last motor fastest. Optional jitter=<f> moves each
    coordinate by a uniform random amount within +-0.5*f*step (for ptychography).`;

  starts: number[] = [];
  stops: number[] = [];
  intervals: number[] = [];

  constructor(...args: Arg[]) {
    if (args.length < 5 || (args.length - 1) % 4 !== 0) throw new UsageError("needs <motor> <start> <stop> <intervals> groups, then <exp_time>");
    super(asPositive(args[args.length - 1], "exp_time"));
    for (let i = 0; i < args.length - 1; i += 4) {
      this.motors.push(asMotor(args[i]));
      this.starts.push(asNumber(args[i + 1], "start"));
      this.stops.push(asNumber(args[i + 2], "stop"));
      this.intervals.push(asInt(args[i + 3], "intervals", 1));
    }
    if (new Set(this.motors).size !== this.motors.length) throw new UsageError("a motor is given twice");
    this.grid = this.intervals.map((k) => k + 1);
  }

  protected origin(j: number): number {
    return 0;
  }

  protected *generatePositions(): Iterable<Position> {
    const jitter = jitterOf(this.kwargs.jitter);
    if (jitter) env.print(`jittered: each position moved at random by up to +-${0.5 * jitter} of a step`);
    const n = this.intervals.map((k) => k + 1);
    const total = n.reduce((a, b) => a * b, 1);
    for (let flat = 0; flat < total; flat++) {
      const p: Position = {};
      let rest = flat;
      for (let j = this.motors.length - 1; j >= 0; j--) {
        const idx = rest % n[j];
        rest = Math.floor(rest / n[j]);
        const step = (this.stops[j] - this.starts[j]) / this.intervals[j];
        const shake = jitter ? shakeBy(jitter, step) : 0;
        p[this.motors[j].name] = this.origin(j) + this.starts[j] + step * idx + shake;
      }
      yield p;
    }
  }
}

/** The jitter=<f> keyword: a finite number >= 0 (0 when not given). */
export function jitterOf(v: Arg | undefined, what = "jitter"): number {
  if (v === undefined) return 0;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new UsageError(`${what} must be a number >= 0 (got ${show(v)})`);
  return v;
}

/** A uniform random amount within +-0.5 * f * step, as the original's jitter. */
export function shakeBy(f: number, step: number): number {
  return (Math.random() - 0.5) * f * step;
}

/** mesh relative to the current positions; the motors go back afterwards. */
export class DMesh extends Mesh {
  static override usage = `
    dmesh <motor1> <start> <stop> <intervals> [<motor2> <start> <stop> <intervals> ...] <exp_time>
    Like mesh, relative to where the motors are now; they return there afterwards.`;

  override returnToStart = true;

  protected override origin(j: number): number {
    return this.startPositions[j];
  }
}

/** A coarse 2-D mesh with a fine mesh around each of its points, both jittered (near-field ptychography). */
export class MeshJMesh extends SoftwareScan {
  static usage = `
    meshjmesh <motor1> <start1> <stop1> <intervals1> <jitter1> <substart1> <substop1> <subintervals1> <subjitter1>
              <motor2> <start2> <stop2> <intervals2> <jitter2> <substart2> <substop2> <subintervals2> <subjitter2>
              <exp_time>
    A coarse mesh from <start> to <stop> (absolute), and at each of its points a
    fine mesh from <substart> to <substop> relative to that point; motor2 is the
    fast axis in both. Each coarse point moves at random by up to +-0.5*<jitter>
    coarse steps, each fine point by up to +-0.5*<subjitter> fine steps.`;

  readonly axes: { start: number; stop: number; n: number; jitter: number; subStart: number; subStop: number; subN: number; subJitter: number }[] = [];

  constructor(...args: Arg[]) {
    if (args.length !== 19) throw new UsageError(`needs 9 arguments for each of two motors, then <exp_time> (got ${args.length} arguments)`);
    super(asPositive(args[18], "exp_time"));
    for (const at of [0, 9]) {
      this.motors.push(asMotor(args[at], at ? "motor2" : "motor1"));
      const k = at ? "2" : "1";
      this.axes.push({
        start: asNumber(args[at + 1], `start${k}`), stop: asNumber(args[at + 2], `stop${k}`),
        n: asInt(args[at + 3], `intervals${k}`, 1), jitter: jitterOf(args[at + 4], `jitter${k}`),
        subStart: asNumber(args[at + 5], `substart${k}`), subStop: asNumber(args[at + 6], `substop${k}`),
        subN: asInt(args[at + 7], `subintervals${k}`, 1), subJitter: jitterOf(args[at + 8], `subjitter${k}`),
      });
    }
    if (this.motors[0] === this.motors[1]) throw new UsageError("motor1 and motor2 must differ");
  }

  protected *generatePositions(): Iterable<Position> {
    const [a, b] = this.axes;
    const [ma, mb] = this.motors.map((m) => m.name);
    const grid = (start: number, stop: number, n: number) => Array.from({ length: n + 1 }, (_, i) => start + ((stop - start) * i) / n);
    const coarseStep = (x: typeof a) => Math.abs(x.stop - x.start) / x.n;
    const fineStep = (x: typeof a) => Math.abs(x.subStop - x.subStart) / x.subN;
    for (const ca of grid(a.start, a.stop, a.n)) {
      for (const cb of grid(b.start, b.stop, b.n)) {
        const pa = ca + shakeBy(a.jitter, coarseStep(a));
        const pb = cb + shakeBy(b.jitter, coarseStep(b));
        for (const fa of grid(a.subStart, a.subStop, a.subN)) {
          for (const fb of grid(b.subStart, b.subStop, b.subN)) {
            yield { [ma]: pa + fa + shakeBy(a.subJitter, fineStep(a)), [mb]: pb + fb + shakeBy(b.subJitter, fineStep(b)) };
          }
        }
      }
    }
  }
}

macro("mesh", Mesh);
macro("dmesh", DMesh);
macro("meshjmesh", MeshJMesh);
