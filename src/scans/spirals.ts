import { SoftwareScan, type Position } from "./SoftwareScan.ts";
import { macro, UsageError, type Arg } from "../macros/registry.ts";
import { asInt, asMotor, asPositive } from "../macros/args.ts";

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
    this.step = asPositive(step, "stepsize");
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

/** A Fermat spiral (golden-angle sunflower) filling a rectangle around the current position. */
export class FermatScan extends SoftwareScan {
  static usage = `
    fermatscan <motor1> <motor2> <width1> <width2> <stepsize> <exp_time>
    Covers a <width1> x <width2> rectangle centred where the motors are now
    with a Fermat spiral of points about <stepsize> apart (evenly dense, good
    for ptychography); the motors return afterwards.`;

  override returnToStart = true;
  readonly widths: [number, number];
  readonly step: number;

  constructor(m1: Arg, m2: Arg, w1: Arg, w2: Arg, step: Arg, exp: Arg) {
    super(asPositive(exp, "exp_time"));
    this.motors = [asMotor(m1, "motor1"), asMotor(m2, "motor2")];
    if (this.motors[0] === this.motors[1]) throw new UsageError("motor1 and motor2 must differ");
    this.widths = [asPositive(w1, "width1"), asPositive(w2, "width2")];
    this.step = asPositive(step, "stepsize");
    if (this.step === 0) throw new UsageError("stepsize must be above 0");
    const estimate = (Math.hypot(this.widths[0], this.widths[1]) / 2 / (this.step * 0.57)) ** 2;
    if (estimate > SoftwareScan.maxPoints) throw new UsageError(`about ${estimate.toExponential(1)} points: too many (at most ${SoftwareScan.maxPoints})`);
  }

  protected *generatePositions(): Iterable<Position> {
    const [x0, y0] = this.startPositions;
    const [a, b] = this.motors.map((m) => m.name);
    const [hx, hy] = this.widths.map((w) => w / 2);
    const golden = Math.PI * (3 - Math.sqrt(5));
    const c = this.step * 0.57;
    const rmax = Math.hypot(hx, hy);
    for (let n = 0; c * Math.sqrt(n) <= rmax; n++) {
      const r = c * Math.sqrt(n);
      const x = r * Math.cos(n * golden);
      const y = r * Math.sin(n * golden);
      if (Math.abs(x) <= hx && Math.abs(y) <= hy) yield { [a]: x0 + x, [b]: y0 + y };
    }
  }
}

macro("spiralscan", SpiralScan);
macro("fermatscan", FermatScan);
