import chalk from "chalk";
import { env } from "../environment/env.ts";
import { defineMacro, UsageError, type Arg, type MacroContext } from "../macros/registry.ts";
import { arity, asMotor, asNumber, motorNumberPairs, show } from "../macros/args.ts";
import { abortable } from "../util/abort.ts";
import { fmtNumber } from "../scans/table.ts";
import { LimitError, Motor } from "./Motor.ts";
import { MotorMemorizer, type Bookmark } from "./memorizer.ts";
import { captureKeys } from "../shell/keys.ts";

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

/** Limits as `[low, high]`, an open side as -inf or inf; no limits at all: an empty string. */
function limitsText(m: Motor, [low, high]: [number, number]): string {
  if (low === -Infinity && high === Infinity) return "";
  const side = (x: number) => (Number.isFinite(x) ? fmt(m, x) : x < 0 ? "-inf" : "inf");
  return `[${side(low)}, ${side(high)}]`;
}

function dialLimits(m: Motor): [number, number] {
  const [a, b] = m.dialLimits;
  return a <= b ? [a, b] : [b, a];
}

/** The wm/wa table: user position and limits, dial position and limits. Returns the user positions by name. */
async function table(motors: Motor[]): Promise<Record<string, number>> {
  const positions = await Promise.all(motors.map((m) => m.position()));
  const dials = await Promise.all(motors.map((m) => m.dial()));
  const w = Math.max(6, ...motors.map((m) => m.name.length)) + 2;
  const lw = Math.max(8, ...motors.map((m) => Math.max(limitsText(m, m.userLimits).length, limitsText(m, dialLimits(m)).length))) + 2;
  const head = ["motor".padEnd(w), "user".padStart(12), "  ", "limits".padEnd(lw), "dial".padStart(12), "  ", "limits"];
  const lines = [chalk.bold(head.join("").trimEnd())];
  const out: Record<string, number> = {};
  motors.forEach((m, i) => {
    out[m.name] = positions[i];
    lines.push((m.name.padEnd(w) + fmt(m, positions[i]).padStart(12) + "  " + limitsText(m, m.userLimits).padEnd(lw)
      + fmt(m, dials[i]).padStart(12) + "  " + limitsText(m, dialLimits(m))).trimEnd());
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
    Where motor: prints user and dial positions, each with its limits (none
    shown for a motor without limits). Wildcards work (wm sam*). Returns the
    position of a single motor as a number, of several by name.`,
  async (args) => {
    const motors = motorsFrom(args);
    const out = await table(motors);
    return motors.length === 1 ? out[motors[0].name] : out;
  });

defineMacro("wms", `
    wms <motor1> [<motor2> ...]
    Where motor, short: prints the user positions on one line. Returns the
    position of a single motor as a number (runCommand("wms energy"), then
    env.lastMacroResult), of several by name.`,
  async (args) => {
    const motors = motorsFrom(args);
    const positions = await Promise.all(motors.map((m) => m.position()));
    env.print(motors.map((m, i) => `${m.name} ${fmt(m, positions[i])}`).join("   "));
    return motors.length === 1 ? positions[0] : Object.fromEntries(motors.map((m, i) => [m.name, positions[i]]));
  });

defineMacro("wa", `
    wa
    Where all: prints every motor visible at the current user level, as wm does.`,
  (args) => {
    arity(args, 0);
    return table(visibleMotors());
  });

defineMacro("lsm", `
    lsm
    Lists the motors visible at the current user level, with their kind and limits.`,
  async (args) => {
    arity(args, 0);
    const motors = visibleMotors();
    const w = Math.max(6, ...motors.map((m) => m.name.length)) + 2;
    const lines = [chalk.bold("name".padEnd(w) + "kind".padEnd(16) + "level".padStart(6) + "position".padStart(12) + "  limits (user)")];
    for (const m of motors) {
      const p = await m.position();
      lines.push((m.name.padEnd(w) + m.constructor.name.padEnd(16) + String(m.userLevel).padStart(6) + fmt(m, p).padStart(12)
        + "  " + limitsText(m, m.userLimits)).trimEnd());
    }
    env.print(lines.join("\n"));
    return motors.map((m) => m.name);
  });

/** Refuses a motor named twice in one line. */
function distinct(motors: Motor[]): void {
  const dup = motors.find((m, i) => motors.indexOf(m) !== i);
  if (dup) throw new UsageError(`motor ${dup.name} is given twice`);
}

defineMacro("setlim", `
    setlim <motor1> <low1> <high1> [<motor2> <low2> <high2> ...]
    Sets motors' limits, in user units (stored in dial units); -inf or inf
    leaves a side open. Every triple is checked before any limit changes.`,
  (args) => {
    if (args.length === 0 || args.length % 3 !== 0) throw new UsageError("needs triples of <motor> <low> <high>");
    const triples: [Motor, number, number][] = [];
    for (let i = 0; i < args.length; i += 3) {
      const m = asMotor(args[i]);
      const [low, high] = [asNumber(args[i + 1], `low for ${m.name}`), asNumber(args[i + 2], `high for ${m.name}`)];
      if (low === Infinity || high === -Infinity) throw new UsageError(`${m.name}: limits must be numbers, -inf and inf leave a side open (got ${low}, ${high})`);
      if (!(low <= high)) throw new UsageError(`${m.name}: low limit ${low} is above high limit ${high}`);
      triples.push([m, low, high]);
    }
    distinct(triples.map(([m]) => m));
    const out: Record<string, [number, number]> = {};
    for (const [m, low, high] of triples) {
      m.setLimits(low, high);
      env.print(`${m.name} limits now ${limitsText(m, m.userLimits) || "none"}`);
      out[m.name] = m.userLimits;
    }
    return triples.length === 1 ? out[triples[0][0].name] : out;
  });

defineMacro("setpos", `
    setpos <motor1> <position1> [<motor2> <position2> ...]
    Redefines each motor's current position (changes its offset only; the
    dial, its limits and the bookmarks stay).`,
  async (args) => {
    const pairs = motorNumberPairs(args);
    const out: Record<string, number> = {};
    for (const [m, x] of pairs) {
      await m.setPosition(x);
      env.print(`${m.name} is now at ${fmt(m, await m.position())} (offset ${m.offset})`);
      out[m.name] = m.offset;
    }
    return pairs.length === 1 ? out[pairs[0][0].name] : out;
  });

function memorizer(): MotorMemorizer {
  const mem = MotorMemorizer.current;
  if (!mem) throw new Error("no memorizer: the beamline script creates one with new MotorMemorizer(file)");
  return mem;
}

const BOOKMARK_NAME = /^[A-Za-z0-9_.-]+$/;

function bookmarkName(a: Arg | undefined): string {
  if (a instanceof Motor) throw new UsageError(`the bookmark's name comes first (${a.name} is a motor)`);
  const name = typeof a === "number" ? String(a) : a;
  if (typeof name !== "string" || !BOOKMARK_NAME.test(name)) throw new UsageError(`a bookmark name is a word of letters, digits, _ . - (got ${show(a)})`);
  return name;
}

function existing(name: string): Bookmark {
  const b = memorizer().bookmarks[name];
  if (!b) throw new UsageError(`no bookmark named '${name}' (lsbook lists them)`);
  return b;
}

/** One bookmark's lines for lsbook: its name and time, then each motor and where it goes (in user units now). */
function describe(name: string, b: Bookmark): string {
  const lines = [`${chalk.bold(name)}  ${b.time.slice(0, 19).replace("T", " ")}${b.comment ? `  ${b.comment}` : ""}`];
  for (const [motor, x] of Object.entries(b.dial ?? b.user ?? {})) {
    const m = Motor.getInstances().find((g) => g.name === motor);
    const user = b.dial ? (m ? m.dialToUser(x) : NaN) : x;
    const where = m ? fmt(m, user) : "(no such motor now)";
    lines.push(`    ${motor.padEnd(12)} ${where.padStart(12)}${b.dial ? `   dial ${m ? fmt(m, x) : x}` : "   (user position, old bookmark)"}`);
  }
  return lines.join("\n");
}

defineMacro("bookmark", `
    bookmark <name> <motor1> [<motor2> ...]
    Remembers where the motors are, under <name>, as dial positions (so the
    bookmark survives setpos). A bookmark of the same name is replaced.
    lsbook lists, restore goes back, rmbook deletes.`,
  async (args) => {
    arity(args, 2, Infinity);
    const name = bookmarkName(args[0]);
    const motors = args.slice(1).map((a) => asMotor(a));
    distinct(motors);
    const dials = await Promise.all(motors.map((m) => m.dial()));
    const dial = Object.fromEntries(motors.map((m, i) => [m.name, dials[i]]));
    memorizer().setBookmark(name, { dial, time: new Date().toISOString() });
    env.print(`bookmark ${name}: ${motors.map((m) => `${m.name} ${fmt(m, m.dialToUser(dial[m.name]))}`).join("   ")}`);
    return name;
  });

defineMacro("lsbook", `
    lsbook [<name>]
    Lists the bookmarks (or one), each motor with the user position it would
    go to now and its stored dial position.`,
  (args) => {
    arity(args, 0, 1);
    const all = memorizer().bookmarks;
    const names = args.length ? [bookmarkName(args[0])] : Object.keys(all).sort();
    names.forEach(existing);
    env.print(names.length ? names.map((n) => describe(n, all[n])).join("\n") : "no bookmarks");
    return Object.fromEntries(names.map((n) => [n, all[n]]));
  });

defineMacro("restore", `
    restore <name>
    Moves the bookmarked motors back to their bookmarked dial positions, all
    together (limits are checked first: if one is outside, nothing moves).`,
  async (args, _kw, ctx) => {
    arity(args, 1);
    const name = bookmarkName(args[0]);
    const b = existing(name);
    const pairs: [Motor, number][] = Object.entries(b.dial ?? b.user ?? {}).map(([motor, x]) => {
      const m = Motor.getInstances().find((g) => g.name === motor);
      if (!m) throw new Error(`bookmark ${name}: motor ${motor} does not exist any more; nothing moved`);
      if (m.userLevel > env.userLevel) throw new Error(`${m.name} needs user level ${m.userLevel}; nothing moved`);
      return [m, b.dial ? m.dialToUser(x) : x];
    });
    return moveAll(pairs, ctx, true);
  });

/** Asks a yes/no question at the terminal; false without one. */
async function confirm(question: string, signal: AbortSignal): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  process.stdout.write(`${question} [y/N] `);
  let release = () => {};
  const key = await abortable(new Promise<string>((resolve) => (release = captureKeys(resolve))), signal).finally(() => release());
  process.stdout.write(`${key === "y" || key === "Y" ? "y" : "n"}\n`);
  return key === "y" || key === "Y";
}

defineMacro("rmbook", `
    rmbook <name1> [<name2> ...]
    rmbook [yes=1]
    Deletes the named bookmarks. With no name it deletes all of them: at the
    prompt it asks first (y deletes, any other key keeps them); without a
    terminal (a script run with -c, a piped shell) it deletes nothing unless
    given yes=1, which also skips the question.`,
  async (args, kw, ctx) => {
    const unknown = Object.keys(kw).filter((k) => k !== "yes");
    if (unknown.length) throw new UsageError(`unknown keyword ${unknown[0]}`);
    if (kw.yes !== undefined && (args.length || (kw.yes !== 1 && kw.yes !== 0))) throw new UsageError("yes=1 goes alone (it confirms removing all)");
    const names = args.map(bookmarkName);
    names.forEach(existing);
    const mem = memorizer();
    if (names.length) {
      mem.removeBookmarks(names);
      env.print(`removed ${names.join(", ")}`);
      return names;
    }
    const all = Object.keys(mem.bookmarks);
    if (!all.length) {
      env.print("no bookmarks");
      return [];
    }
    if (kw.yes !== 1) {
      const asked = process.stdin.isTTY;
      if (!(await confirm(`remove all ${all.length} bookmark${all.length === 1 ? "" : "s"} (${all.join(", ")})?`, ctx.signal))) {
        env.print(asked ? "nothing removed" : `nothing removed: no terminal to ask; rmbook yes=1 removes all ${all.length} bookmark${all.length === 1 ? "" : "s"}`);
        return [];
      }
    }
    mem.removeBookmarks(all);
    env.print(`removed all ${all.length} bookmark${all.length === 1 ? "" : "s"}`);
    return all;
  });
