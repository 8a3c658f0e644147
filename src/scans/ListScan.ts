import { SoftwareScan, type Position } from "./SoftwareScan.ts";
import { macro, UsageError, type Arg } from "../macros/registry.ts";
import { asMotor, asPositive, show } from "../macros/args.ts";
import { env } from "../environment/env.ts";

/** Visits positions given as lists, one list per motor. */
export class ListScan extends SoftwareScan {
  static usage = `
    listscan <motor1> <positions1> [<motor2> <positions2> ...] <exp_time>
    Visits the listed positions in order. A list is comma-separated numbers
    (0,0.5,2) or the name of a variable holding an array of numbers.
    All lists must be equally long.`;

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

function positionList(a: Arg): number[] {
  if (typeof a === "number") return [a];
  if (typeof a === "string") {
    const variable = env.scope[a];
    const values = Array.isArray(variable) || ArrayBuffer.isView(variable)
      ? Array.from(variable as ArrayLike<number>)
      : a.split(",").filter((s) => s.trim() !== "").map(Number);
    if (values.length && values.every((x) => typeof x === "number" && !Number.isNaN(x))) return values;
  }
  throw new UsageError(`positions must be a list like 0,1,2.5 (got ${show(a)})`);
}

/** Acquires N times without moving anything. */
export class LoopScan extends SoftwareScan {
  static usage = `
    loopscan <points> <exp_time>
    Acquires <points> times in a row without moving anything.`;

  constructor(readonly points: Arg, exp: Arg) {
    super(asPositive(exp, "exp_time"));
    if (typeof points !== "number" || !Number.isInteger(points) || points < 1) throw new UsageError(`points must be a whole number >= 1 (got ${show(points)})`);
  }

  protected *generatePositions(): Iterable<Position> {
    for (let i = 0; i < (this.points as number); i++) yield {};
  }
}

macro("listscan", ListScan);
macro("loopscan", LoopScan);
