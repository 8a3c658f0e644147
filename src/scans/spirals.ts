import { SoftwareScan, type Position } from "./SoftwareScan.ts";
import { macro, UsageError, type Arg } from "../macros/registry.ts";
import { asInt, asMotor, asNumber, asPositive } from "../macros/args.ts";

/** An Archimedes spiral with equal steps along the curve, around the current position. */
export class SpiralScan extends SoftwareScan {
  static usage = `
    spiralscan <motor1> <motor2> <stepsize> <positions> <exp_time>
    Scans two motors along a spiral around where they are now, <positions>
    points about <stepsize> apart; the motors return afterwards.`;

  override returnToStart = true;
  readonly step: number;
  readonly npos: number;

  constructor(m1: Arg, m2: Arg, step: Arg, npos: Arg, exp: Arg) {
    super(asPositive(exp, "exp_time"));
    this.motors = [asMotor(m1, "motor1"), asMotor(m2, "motor2")];
    if (this.motors[0] === this.motors[1]) throw new UsageError("motor1 and motor2 must differ");
    this.step = asStep(step);
    this.npos = asInt(npos, "positions", 1);
  }

  protected *generatePositions(): Iterable<Position> {
    const [x0, y0] = this.startPositions;
    const [a, b] = this.motors.map((m) => m.name);
    for (let t = 0; t < this.npos; t++) {
      const r = this.step * Math.sqrt(t / Math.PI);
      const phi = Math.sqrt(4 * Math.PI * t);
      yield { [a]: x0 + r * Math.cos(phi), [b]: y0 + r * Math.sin(phi) };
    }
  }
}

/**
 * A Fermat spiral (golden-angle sunflower) centred in an absolute rectangle:
 * evenly dense points about <stepsize> apart, those strictly inside kept,
 * visited in order of motor1's position.
 */
export class FermatScan extends SoftwareScan {
  static usage = `
    fermatscan <motor1> <start1> <stop1> <motor2> <start2> <stop2> <stepsize> <exp_time>
    Covers the rectangle <start1>..<stop1> x <start2>..<stop2> (absolute positions)
    with a Fermat spiral centred in it, points about <stepsize> apart (evenly
    dense, good for ptychography), visited in order along <motor1>.`;

  readonly ranges: [number, number][];
  readonly step: number;

  constructor(m1: Arg, start1: Arg, stop1: Arg, m2: Arg, start2: Arg, stop2: Arg, step: Arg, exp: Arg) {
    super(asPositive(exp, "exp_time"));
    this.motors = [asMotor(m1, "motor1"), asMotor(m2, "motor2")];
    if (this.motors[0] === this.motors[1]) throw new UsageError("motor1 and motor2 must differ");
    this.ranges = [[asNumber(start1, "start1"), asNumber(stop1, "stop1")], [asNumber(start2, "start2"), asNumber(stop2, "stop2")]];
    this.step = asStep(step);
    const [w1, w2] = this.ranges.map(([lo, hi]) => Math.abs(hi - lo));
    const estimate = (Math.hypot(w1, w2) / 2 / (this.step * FERMAT_SPACING)) ** 2;
    if (!(estimate <= SoftwareScan.maxPoints)) throw new UsageError(`about ${estimate.toExponential(1)} points: too many (at most ${SoftwareScan.maxPoints})`);
  }

  protected *generatePositions(): Iterable<Position> {
    const [a, b] = this.motors.map((m) => m.name);
    const [[lo1, hi1], [lo2, hi2]] = this.ranges.map(([x, y]) => [Math.min(x, y), Math.max(x, y)]);
    const [c1, c2] = [(lo1 + hi1) / 2, (lo2 + hi2) / 2];
    const golden = Math.PI * (3 - Math.sqrt(5));
    const c = this.step * FERMAT_SPACING;
    const rmax = Math.hypot(hi1 - lo1, hi2 - lo2) / 2;
    const inside: [number, number][] = [];
    for (let n = 0; c * Math.sqrt(n) <= rmax; n++) {
      const r = c * Math.sqrt(n);
      const x = c1 + r * Math.cos(n * golden);
      const y = c2 + r * Math.sin(n * golden);
      if (x > lo1 && x < hi1 && y > lo2 && y < hi2) inside.push([x, y]);
    }
    inside.sort((p, q) => p[0] - q[0]);
    for (const [x, y] of inside) yield { [a]: x, [b]: y };
  }
}

/** Scales the spiral so that a point's third-nearest neighbour is on average one step away. */
const FERMAT_SPACING = 0.524;

function asStep(a: Arg): number {
  const step = asPositive(a, "stepsize");
  if (step === 0) throw new UsageError("stepsize must be above 0");
  return step;
}

macro("spiralscan", SpiralScan);
macro("fermatscan", FermatScan);
