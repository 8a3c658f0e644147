import { SoftwareScan, type Position } from "./SoftwareScan.ts";
import { macro, UsageError, type Arg } from "../macros/registry.ts";
import { asInt, asMotor, asNumber, asPositive } from "../macros/args.ts";

/** An N-dimensional grid; the last motor given moves fastest. */
export class Mesh extends SoftwareScan {
  static usage = `
    mesh <motor1> <start> <stop> <intervals> [<motor2> <start> <stop> <intervals> ...] <exp_time>
    Scans a grid, the last motor fastest. Optional jitter=<fraction> moves each
    point by up to that fraction of a step, at random (for ptychography).`;

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
    const jitter = typeof this.kwargs.jitter === "number" ? this.kwargs.jitter : 0;
    const n = this.intervals.map((k) => k + 1);
    const total = n.reduce((a, b) => a * b, 1);
    for (let flat = 0; flat < total; flat++) {
      const p: Position = {};
      let rest = flat;
      for (let j = this.motors.length - 1; j >= 0; j--) {
        const idx = rest % n[j];
        rest = Math.floor(rest / n[j]);
        const step = (this.stops[j] - this.starts[j]) / this.intervals[j];
        const shake = jitter ? (Math.random() - 0.5) * 2 * jitter * step : 0;
        p[this.motors[j].name] = this.origin(j) + this.starts[j] + step * idx + shake;
      }
      yield p;
    }
  }
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

macro("mesh", Mesh);
macro("dmesh", DMesh);
