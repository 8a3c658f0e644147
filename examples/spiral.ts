/**
 * The paper's Fig. 2b: a new scan type is a small class that only generates
 * positions. Load it in the shell with `await import("./examples/spiral.ts")`,
 * then type `spiral samx samy 0.1 100 0.1`.
 */
import { SoftwareScan, macro, asMotor, asPositive, asInt, type Arg, type Position } from "../src/index.ts";

export class Spiral extends SoftwareScan {
  static usage = `
    spiral <motor1> <motor2> <stepsize> <positions> <exp_time>
    Scans two motors along a spiral around where they are now.`;

  override returnToStart = true;
  stepsize: number;
  nPositions: number;

  constructor(m1: Arg, m2: Arg, step: Arg, npos: Arg, exp: Arg) {
    super(asPositive(exp, "exp_time"));
    this.motors = [asMotor(m1), asMotor(m2)];
    this.stepsize = asPositive(step, "stepsize");
    this.nPositions = asInt(npos, "positions", 1);
  }

  protected *generatePositions(): Iterable<Position> {
    const [x0, y0] = this.startPositions;
    const [m1, m2] = this.motors.map((m) => m.name);
    for (let t = 0; t < this.nPositions; t++) {
      const A = this.stepsize * Math.sqrt(t / Math.PI);
      const B = Math.sqrt(4 * Math.PI * t);
      yield { [m1]: x0 + A * Math.cos(B), [m2]: y0 + A * Math.sin(B) };
    }
  }
}

macro("spiral", Spiral);
