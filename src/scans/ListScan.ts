import { SoftwareScan, type Position } from "./SoftwareScan.ts";
import { macro, UsageError, type Arg } from "../macros/registry.ts";
import { arity, asInt, asMotor, asPositive, show } from "../macros/args.ts";
import { env } from "../environment/env.ts";

/** Visits positions given as lists, one list per motor. */
export class ListScan extends SoftwareScan {
  static usage = `
    listscan <motor1> <positions1> [<motor2> <positions2> ...] <exp_time>
    Visits the listed positions in order. A list is a Python list
    ([0, 0.5, 10**-2]), comma-separated numbers (0,0.5,2) or the name of a
    variable holding an array of numbers. All lists must be equally long.`;

  lists: number[][] = [];

  constructor(...args: Arg[]) {
    if (args.length < 3 || args.length % 2 !== 1) throw new UsageError("needs <motor> <positions> pairs, then <exp_time>");
    super(asPositive(args[args.length - 1], "exp_time"));
    for (let i = 0; i < args.length - 1; i += 2) {
      this.motors.push(asMotor(args[i]));
      this.lists.push(positionList(args[i + 1]));
    }
    if (new Set(this.lists.map((l) => l.length)).size !== 1) throw new UsageError("the position lists differ in length");
  }

  protected *generatePositions(): Iterable<Position> {
    for (let i = 0; i < this.lists[0].length; i++) {
      const p: Position = {};
      this.motors.forEach((m, j) => (p[m.name] = this.lists[j][i]));
      yield p;
    }
  }
}

/** A number, a list ("0,1,2.5", or "[0,1,2.5]" as the parser gives a Python list back) or a variable's array. */
function positionList(a: Arg): number[] {
  if (typeof a === "number" && Number.isFinite(a)) return [a];
  if (typeof a === "string") {
    const variable = env.scope[a];
    const values = Array.isArray(variable) || ArrayBuffer.isView(variable)
      ? Array.from(variable as ArrayLike<number>)
      : a.replace(/^\[(.*)\]$/s, "$1").split(",").map((s) => (s.trim() === "" ? NaN : Number(s)));
    if (values.length && values.every((x) => typeof x === "number" && Number.isFinite(x))) return values;
  }
  throw new UsageError(`positions must be a list like [0, 1, 2.5] or 0,1,2.5 (got ${show(a)})`);
}

/** Acquires intervals + 1 times without moving anything. */
export class LoopScan extends SoftwareScan {
  static usage = `
    loopscan <intervals> [<exp_time>]
    Acquires <intervals> + 1 times in a row without moving anything (as ascan
    takes intervals + 1 points), exposing <exp_time> s each (default 1).`;

  readonly intervals: number;

  constructor(...args: Arg[]) {
    arity(args, 1, 2);
    super(args.length > 1 ? asPositive(args[1], "exp_time") : 1);
    this.intervals = asInt(args[0], "intervals", 0);
  }

  protected *generatePositions(): Iterable<Position> {
    for (let i = 0; i <= this.intervals; i++) yield {};
  }
}

macro("listscan", ListScan);
macro("loopscan", LoopScan);
