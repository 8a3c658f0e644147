import chalk from "chalk";
import { env } from "../environment/env.ts";
import { macro, UsageError, type Arg, type MacroContext } from "../macros/registry.ts";
import { arity, asFinite, asMotor, asPositive, show } from "../macros/args.ts";
import { Motor } from "../motors/Motor.ts";
import { AbortError, abortable } from "../util/abort.ts";
import { CTRL_C, captureKeys } from "../shell/keys.ts";
import { SoftwareScan, type Position, type ScanResult } from "./SoftwareScan.ts";

interface Axis {
  motor: Motor;
  step: number;
}

const LEFT = ["\x1b[D", "\x1bOD"];
const RIGHT = ["\x1b[C", "\x1bOC"];
const UP = ["\x1b[A", "\x1bOA"];
const DOWN = ["\x1b[B", "\x1bOB"];
const STOP = ["q", "Q", "\x1b"];

function axesFrom(args: Arg[]): { axes: Axis[]; exposure: number } {
  arity(args, 2, 5);
  const axes: Axis[] = [];
  let i = 0;
  while (i < args.length && args[i] instanceof Motor) {
    if (axes.length === 2) throw new UsageError("tweak takes one or two motors");
    if (i + 1 >= args.length) throw new UsageError(`${show(args[i])} needs a step`);
    const step = asFinite(args[i + 1], `step for ${show(args[i])}`);
    if (step === 0 || !Number.isFinite(step)) throw new UsageError(`step for ${show(args[i])} must be a finite number other than 0`);
    axes.push({ motor: asMotor(args[i]), step });
    i += 2;
  }
  if (!axes.length) asMotor(args[0], "motor1");
  if (axes.length === 2 && axes[0].motor === axes[1].motor) throw new UsageError("the two motors must differ");
  if (args.length - i > 1) throw new UsageError(`unexpected ${show(args[i + 1])}`);
  return { axes, exposure: i < args.length ? asPositive(args[i], "exp_time") : 0.1 };
}

/** The direction (axis index, sign) a key asks for, if any. */
function direction(key: string, axes: Axis[]): [Axis, number] | null {
  const last = axes[axes.length - 1];
  if (LEFT.includes(key)) return [axes[0], -1];
  if (RIGHT.includes(key)) return [axes[0], 1];
  if (DOWN.includes(key)) return [last, -1];
  if (UP.includes(key)) return [last, 1];
  return null;
}

/**
 * A scan whose points come from the arrow keys: the first point is where
 * the motors are, each arrow key steps one motor and takes the next point.
 * It is recorded as any scan is (a scan number, a file, the stream); a step
 * outside the limits is skipped with a message. q or Escape ends it
 * (finished), Ctrl-C interrupts it.
 */
export class Tweak extends SoftwareScan {
  static usage = `
    tweak <motor1> <step1> [<motor2> <step2>] [<exp_time>]
    A scan driven by the arrow keys: left/right move <motor1> by <step1>,
    up/down move the last motor given by its step. The first point is where
    the motors are; after each step the active detectors count <exp_time> s
    (default 0.1) and the point is recorded, with a scan number and a file as
    for any scan. A step outside the limits is refused with a message and
    nothing moves. q or Escape ends the scan; Ctrl-C interrupts it and stops
    the motors. Needs a terminal.`;

  private readonly axes: Axis[];
  private readonly keys: string[] = [];
  private wake = () => {};

  constructor(...args: Arg[]) {
    const { axes, exposure } = axesFrom(args);
    super(exposure);
    this.axes = axes;
    this.motors = axes.map((a) => a.motor);
  }

  protected generatePositions(): Iterable<Position> {
    return [];
  }

  private nextKey(signal: AbortSignal): Promise<string> {
    return abortable(new Promise<string>((resolve) => {
      this.wake = () => {
        if (!this.keys.length) return;
        this.wake = () => {}; // keys pressed while a point is taken wait for the next call
        resolve(this.keys.shift() as string);
      };
      this.wake();
    }), signal);
  }

  protected override async *positionsAsTheyCome(signal: AbortSignal): AsyncGenerator<Position> {
    const at = Object.fromEntries(this.motors.map((m, j) => [m.name, this.startPositions[j]]));
    yield { ...at };
    for (;;) {
      const key = await this.nextKey(signal);
      if (STOP.includes(key)) return;
      if (key === CTRL_C) throw new AbortError();
      const d = direction(key, this.axes);
      if (!d) continue;
      const [axis, sign] = d;
      const target = (await axis.motor.position()) + sign * axis.step;
      at[axis.motor.name] = target;
      const others = this.axes.filter((a) => a !== axis);
      for (const a of others) at[a.motor.name] = await a.motor.position();
      yield { ...at };
    }
  }

  override async run(ctx: Partial<MacroContext> = {}): Promise<ScanResult> {
    if (!process.stdin.isTTY) throw new Error("tweak reads the arrow keys, so it needs a terminal (stdin is not a TTY)");
    const release = captureKeys((k) => {
      this.keys.push(k);
      this.wake();
    });
    try {
      const [first, last] = [this.axes[0], this.axes[this.axes.length - 1]];
      env.print(chalk.dim(this.axes.length === 1
        ? `left/right (or down/up) step ${first.motor.name} by ${first.step}; q or Esc ends the scan`
        : `left/right step ${first.motor.name} by ${first.step}, down/up ${last.motor.name} by ${last.step}; q or Esc ends the scan`));
      return await super.run(ctx);
    } finally {
      release();
    }
  }
}

macro("tweak", Tweak);
