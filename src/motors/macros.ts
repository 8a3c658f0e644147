import chalk from "chalk";
import { env } from "../environment/env.ts";
import { defineMacro, UsageError, type Arg, type MacroContext } from "../macros/registry.ts";
import { arity, asFinite, asInt, asMotor, asNumber, motorNumberPairs, show } from "../macros/args.ts";
import { abortable } from "../util/abort.ts";
import { fmtNumber } from "../scans/table.ts";
import { LimitError, Motor } from "./Motor.ts";
import { MotorMemorizer } from "./memorizer.ts";

function visibleMotors(): Motor[] {
  return Motor.getInstances().filter((m) => m.userLevel <= env.userLevel).sort((a, b) => a.name.localeCompare(b.name));
}

const fmt = (m: Motor, x: number) => fmtNumber(x, m.precision);

/** Checks every target, then moves all motors together; on Ctrl-C every motor is stopped. */
async function moveAll(pairs: [Motor, number][], ctx: MacroContext, show = false): Promise<Record<string, number>> {
  for (const [m, x] of pairs) {
    await m.checkTargets([x]).catch((e: unknown) => {
      throw e instanceof LimitError && e.detail ? new LimitError(e.detail) : e;
    });
  }
  const moving = Promise.all(pairs.map(([m, x]) => m.move(x)));
  let ticker: NodeJS.Timeout | undefined;
  const line = async () => (await Promise.all(pairs.map(async ([m]) => `${m.name} ${fmt(m, await m.position())}`))).join("   ");
  if (show && process.stdout.isTTY) ticker = setInterval(() => void line().then((l) => process.stdout.write(`\r${l}\x1b[K`)), 100);
  try {
    await abortable(moving, ctx.signal);
  } catch (e) {
    await Promise.allSettled(pairs.map(([m]) => m.stop()));
    throw e;
  } finally {
    if (ticker) clearInterval(ticker);
    if (ticker) process.stdout.write("\r\x1b[K");
  }
  if (show) env.print(await line());
  const out: Record<string, number> = {};
  for (const [m] of pairs) out[m.name] = await m.position();
  return out;
}

async function relative(args: Arg[]): Promise<[Motor, number][]> {
  const pairs = motorNumberPairs(args);
  return Promise.all(pairs.map(async ([m, d]) => [m, (await m.position()) + d] as [Motor, number]));
}

defineMacro("mv", `
    mv <motor1> <position1> [<motor2> <position2> ...]
    Moves motors to absolute positions, all together, and waits. Every target
    is checked against the limits first: if one is outside, nothing moves.`,
  (args, _kw, ctx) => moveAll(motorNumberPairs(args), ctx));

defineMacro("mvr", `
    mvr <motor1> <distance1> [<motor2> <distance2> ...]
    Moves motors relative to where they are, all together, and waits.`,
  async (args, _kw, ctx) => moveAll(await relative(args), ctx));

defineMacro("umv", `
    umv <motor1> <position1> [<motor2> <position2> ...]
    Like mv, showing the positions as they change.`,
  (args, _kw, ctx) => moveAll(motorNumberPairs(args), ctx, true));

defineMacro("umvr", `
    umvr <motor1> <distance1> [<motor2> <distance2> ...]
    Like mvr, showing the positions as they change.`,
  async (args, _kw, ctx) => moveAll(await relative(args), ctx, true));

async function table(motors: Motor[], withLimits: boolean): Promise<Record<string, number>> {
  const positions = await Promise.all(motors.map((m) => m.position()));
  const dials = await Promise.all(motors.map((m) => m.dial()));
  const w = Math.max(6, ...motors.map((m) => m.name.length)) + 2;
  const head = ["motor".padEnd(w), "user".padStart(12), "dial".padStart(12)];
  if (withLimits) head.push("limits (user)".padStart(26));
  const lines = [chalk.bold(head.join(""))];
  const out: Record<string, number> = {};
  motors.forEach((m, i) => {
    out[m.name] = positions[i];
    let line = m.name.padEnd(w) + fmt(m, positions[i]).padStart(12) + fmt(m, dials[i]).padStart(12);
    if (withLimits) line += `[${m.userLimits.map((x) => fmt(m, x)).join(", ")}]`.padStart(26);
    lines.push(line);
  });
  env.print(lines.join("\n"));
  return out;
}

function motorsFrom(args: Arg[]): Motor[] {
  if (args.length === 0) throw new UsageError("name at least one motor");
  return args.map((a) => asMotor(a));
}

defineMacro("wm", `
    wm <motor1> [<motor2> ...]
    Where motor: prints user and dial positions and limits. Wildcards work (wm sam*).`,
  (args) => table(motorsFrom(args), true));

defineMacro("wms", `
    wms <motor1> [<motor2> ...]
    Where motor, short: prints the user positions on one line and returns
    them by name (for scripts: (await runCommand("wms samx")).samx).`,
  async (args) => {
    const motors = motorsFrom(args);
    const positions = await Promise.all(motors.map((m) => m.position()));
    env.print(motors.map((m, i) => `${m.name} ${fmt(m, positions[i])}`).join("   "));
    return Object.fromEntries(motors.map((m, i) => [m.name, positions[i]]));
  });

defineMacro("wa", `
    wa
    Where all: prints every motor visible at the current user level.`,
  (args) => {
    arity(args, 0);
    return table(visibleMotors(), false);
  });

defineMacro("lsm", `
    lsm
    Lists the motors visible at the current user level, with their kind and limits.`,
  async (args) => {
    arity(args, 0);
    const motors = visibleMotors();
    const w = Math.max(6, ...motors.map((m) => m.name.length)) + 2;
    const lines = [chalk.bold("name".padEnd(w) + "kind".padEnd(16) + "level".padStart(6) + "position".padStart(12) + "limits (user)".padStart(26))];
    for (const m of motors) {
      const p = await m.position();
      lines.push(m.name.padEnd(w) + m.constructor.name.padEnd(16) + String(m.userLevel).padStart(6) + fmt(m, p).padStart(12)
        + `[${m.userLimits.map((x) => fmt(m, x)).join(", ")}]`.padStart(26));
    }
    env.print(lines.join("\n"));
    return motors.map((m) => m.name);
  });

defineMacro("setlim", `
    setlim <motor> <low> <high>
    Sets a motor's limits, in user units (stored in dial units); -inf or inf
    leaves a side open.`,
  (args) => {
    arity(args, 3);
    const m = asMotor(args[0]);
    m.setLimits(asNumber(args[1], "low"), asNumber(args[2], "high"));
    env.print(`${m.name} limits now [${m.userLimits.map((x) => fmt(m, x)).join(", ")}]`);
    return m.userLimits;
  });

defineMacro("setpos", `
    setpos <motor> <position>
    Redefines the motor's current position as <position> (changes its offset only).`,
  async (args) => {
    arity(args, 2);
    const m = asMotor(args[0]);
    await m.setPosition(asFinite(args[1], "position"));
    env.print(`${m.name} is now at ${fmt(m, await m.position())} (offset ${m.offset})`);
    return m.offset;
  });

function memorizer(): MotorMemorizer {
  const mem = MotorMemorizer.current;
  if (!mem) throw new Error("no memorizer: the beamline script creates one with new MotorMemorizer(file)");
  return mem;
}

defineMacro("bookmark", `
    bookmark <motor> [<comment>]
    Remembers the motor's current position (lsbook lists, restore goes back).`,
  async (args) => {
    arity(args, 1, 2);
    const m = asMotor(args[0]);
    const position = await m.position();
    const index = memorizer().addBookmark({ motor: m.name, position, comment: args[1] === undefined ? "" : show(args[1]).replace(/^"|"$/g, ""), time: new Date().toISOString() });
    env.print(`bookmark ${index}: ${m.name} at ${fmt(m, position)}`);
    return index;
  });

defineMacro("lsbook", `
    lsbook [<motor>]
    Lists the bookmarks, of one motor or of all.`,
  (args) => {
    arity(args, 0, 1);
    const only = args[0] === undefined ? null : asMotor(args[0]).name;
    const rows = memorizer().bookmarks.map((b, i) => ({ ...b, index: i })).filter((b) => !only || b.motor === only);
    env.print(rows.length
      ? rows.map((b) => `${String(b.index).padStart(3)}  ${b.motor.padEnd(10)} ${String(b.position).padStart(12)}  ${b.time.slice(0, 19)}  ${b.comment}`).join("\n")
      : "no bookmarks");
    return rows;
  });

defineMacro("restore", `
    restore <index>
    Moves the bookmarked motor back to its bookmarked position.`,
  async (args, _kw, ctx) => {
    arity(args, 1);
    const b = memorizer().bookmarks[asInt(args[0], "index")];
    if (!b) throw new UsageError(`no bookmark ${show(args[0])} (lsbook lists them)`);
    const m = Motor.getInstances().find((x) => x.name === b.motor);
    if (!m) throw new Error(`bookmark ${show(args[0])}: motor ${b.motor} does not exist any more`);
    if (m.userLevel > env.userLevel) throw new Error(`${m.name} needs user level ${m.userLevel}`);
    return moveAll([[m, b.position]], ctx, true);
  });

defineMacro("rmbook", `
    rmbook <index>
    Deletes a bookmark.`,
  (args) => {
    arity(args, 1);
    const i = asInt(args[0], "index");
    if (!memorizer().bookmarks[i]) throw new UsageError(`no bookmark ${i} (lsbook lists them)`);
    return memorizer().removeBookmark(i);
  });
