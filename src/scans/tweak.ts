import chalk from "chalk";
import { env } from "../environment/env.ts";
import { defineMacro, UsageError, type Arg, type MacroContext } from "../macros/registry.ts";
import { arity, asFinite, asMotor, asPositive, show } from "../macros/args.ts";
import { LimitError, Motor } from "../motors/Motor.ts";
import { countOnce } from "../detectors/DetectorGroup.ts";
import { AbortError, abortable } from "../util/abort.ts";
import { CTRL_C, captureKeys } from "../shell/keys.ts";
import { fmtNumber, formatValue } from "./table.ts";

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

async function report(axes: Axis[], exposure: number, signal: AbortSignal): Promise<void> {
  const positions = await Promise.all(axes.map(async (a) => `${a.motor.name} ${fmtNumber(await a.motor.position(), a.motor.precision)}`));
  const readings = Object.entries(await countOnce(exposure, signal)).map(([k, v]) => `${k} ${formatValue(v)}`);
  env.print(`${chalk.bold(positions.join("  "))}  ${chalk.dim("|")}  ${readings.join("  ")}`);
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

async function tweak(args: Arg[], ctx: MacroContext): Promise<Record<string, number>> {
  const { axes, exposure } = axesFrom(args);
  if (!process.stdin.isTTY) throw new Error("tweak reads the arrow keys, so it needs a terminal (stdin is not a TTY)");
  const keys: string[] = [];
  let wake = () => {};
  const release = captureKeys((k) => {
    keys.push(k);
    wake();
  });
  const nextKey = () => abortable(new Promise<string>((resolve) => {
    wake = () => {
      if (!keys.length) return;
      wake = () => {}; // keys pressed while a step runs wait for the next call
      resolve(keys.shift() as string);
    };
    wake();
  }), ctx.signal);
  try {
    const [first, last] = [axes[0], axes[axes.length - 1]];
    env.print(chalk.dim(axes.length === 1
      ? `left/right (or down/up) step ${first.motor.name} by ${first.step}; q or Esc stops`
      : `left/right step ${first.motor.name} by ${first.step}, down/up ${last.motor.name} by ${last.step}; q or Esc stops`));
    await report(axes, exposure, ctx.signal);
    for (;;) {
      const key = await nextKey();
      if (STOP.includes(key)) break;
      if (key === CTRL_C) throw new AbortError();
      const d = direction(key, axes);
      if (!d) continue;
      const [axis, sign] = d;
      try {
        await abortable(axis.motor.move((await axis.motor.position()) + sign * axis.step), ctx.signal);
      } catch (e) {
        if (!(e instanceof LimitError)) throw e;
        env.print(chalk.red(e.message));
        continue;
      }
      await report(axes, exposure, ctx.signal);
    }
  } catch (e) {
    await Promise.allSettled(axes.map((a) => a.motor.stop()));
    throw e;
  } finally {
    release();
  }
  const out: Record<string, number> = {};
  for (const a of axes) out[a.motor.name] = await a.motor.position();
  return out;
}

defineMacro("tweak", `
    tweak <motor1> <step1> [<motor2> <step2>] [<exp_time>]
    Steps motors with the arrow keys: left/right move <motor1> by <step1>,
    up/down move the last motor given by its step. After each step the active
    detectors count <exp_time> s (default 0.1) and the position and readings
    are printed. q or Escape stops; Ctrl-C stops the motors too. Needs a
    terminal. Returns the final positions.`,
  (args, _kw, ctx) => tweak(args, ctx));
