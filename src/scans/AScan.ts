import { SoftwareScan, type Position } from "./SoftwareScan.ts";
import { macro, UsageError, type Arg } from "../macros/registry.ts";
import { asFinite, asInt, asMotor, asPositive } from "../macros/args.ts";

/** Software scan of one or more motors along a line, together. */
export class AScan extends SoftwareScan {
  static usage = `
    ascan <motor1> <start> <stop> [<motor2> <start> <stop> ...] <intervals> <exp_time>
    Scans one or more motors together along a line, in <intervals> steps
    (intervals + 1 points), exposing the active detectors <exp_time> s at each.
    Keyword arguments (key=value) are stored with the scan as tags.`;

  starts: number[] = [];
  stops: number[] = [];
  intervals: number;

  constructor(...args: Arg[]) {
    if (args.length < 5 || (args.length - 2) % 3 !== 0) throw new UsageError("needs <motor> <start> <stop> triples, then <intervals> <exp_time>");
    super(asPositive(args[args.length - 1], "exp_time"));
    this.intervals = asInt(args[args.length - 2], "intervals", 1);
    for (let i = 0; i < args.length - 2; i += 3) {
      this.motors.push(asMotor(args[i]));
      this.starts.push(asFinite(args[i + 1], "start"));
      this.stops.push(asFinite(args[i + 2], "stop"));
    }
    if (new Set(this.motors).size !== this.motors.length) throw new UsageError("a motor is given twice");
  }

  /** Added to every position: zero here, the start positions in dscan. */
  protected origin(j: number): number {
    return 0;
  }

  protected *generatePositions(): Iterable<Position> {
    for (let i = 0; i <= this.intervals; i++) {
      const p: Position = {};
      this.motors.forEach((m, j) => {
        p[m.name] = this.origin(j) + this.starts[j] + ((this.stops[j] - this.starts[j]) * i) / this.intervals;
      });
      yield p;
    }
  }
}

/** ascan relative to the current positions; the motors go back afterwards. */
export class DScan extends AScan {
  static override usage = `
    dscan <motor1> <start> <stop> [<motor2> <start> <stop> ...] <intervals> <exp_time>
    Like ascan, but <start> and <stop> are relative to where the motors are now;
    the motors return there afterwards, also after an error or Ctrl-C.`;

  override returnToStart = true;

  protected override origin(j: number): number {
    return this.startPositions[j];
  }
}

macro("ascan", AScan);
macro("dscan", DScan);
