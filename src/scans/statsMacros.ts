/** Macros on the last scan's peak statistics (stats.ts), lineup, and estimate (estimate.ts). */
import chalk from "chalk";
import { env } from "../environment/env.ts";
import { Gadget } from "../gadget.ts";
import { defineMacro, macro, UsageError, type Arg, type Kwargs, type MacroContext, type MacroInstance } from "../macros/registry.ts";
import { lookupMacro } from "../macros/run.ts";
import { arity, asString, show } from "../macros/args.ts";
import { Detector } from "../detectors/Detector.ts";
import { LimitError, Motor } from "../motors/Motor.ts";
import { AbortError, abortable } from "../util/abort.ts";
import { DScan } from "./AScan.ts";
import { SoftwareScan } from "./SoftwareScan.ts";
import { estimateDetails, estimateScan, estimateSummary } from "./estimate.ts";
import { plotSelection, showStat, statsLine, type PeakStats, type StatName } from "./stats.ts";
import { fmtNumber } from "./table.ts";

function detectorName(a: Arg | undefined): string | undefined {
  if (a === undefined) return undefined;
  if (a instanceof Detector || typeof a === "string") return typeof a === "string" ? a : a.name;
  throw new UsageError(`detector must be a detector name (got ${show(a)})`);
}

/** The last scan's statistics of `det` (default: the one shown after the scan), per axis. */
function lastStats(det?: string): { det: string; scannr: number; perAxis: Record<string, PeakStats> } {
  const last = env.lastScan;
  if (!last) throw new Error("no scan has run yet in this session: no statistics");
  const name = det ?? last.detector;
  if (name === null) throw new Error(`scan #${last.scannr} has no statistics (no scalar detector took part, or no point was taken)`);
  const perAxis = last.stats[name];
  if (!perAxis) throw new Error(`scan #${last.scannr} has no statistics of ${name} (it has: ${Object.keys(last.stats).join(", ") || "none"})`);
  return { det: name, scannr: last.scannr, perAxis };
}

/** One statistic per axis; a single axis gives a plain number. */
function printStat(what: StatName, args: Arg[]): number | null | Record<string, number | null> {
  arity(args, 0, 1);
  const { det, scannr, perAxis } = lastStats(detectorName(args[0]));
  const values = Object.entries(perAxis).map(([axis, s]) => [axis, s[what]] as const);
  env.print(`${what} of ${det} (scan #${scannr}): ` + values.map(([axis, v]) => `${axis} ${showStat(v)}`).join("  "));
  return values.length === 1 ? values[0][1] : Object.fromEntries(values);
}

for (const [name, text] of [
  ["peak", "the position of the maximum"],
  ["cen", "the middle of the two half-maximum crossings"],
  ["com", "the centre of mass (the minimum taken as background)"],
  ["fwhm", "the full width at half maximum"],
] as const) {
  defineMacro(name, `
    ${name} [<detector>]
    Prints ${text} in the last scan, for the detector shown after
    the scan (the first scalar one, or the one plotselect chose) or the one named.
    Mesh scans give one value per motor, along the line through the map's maximum.`,
  (args) => printStat(name, args));
}

defineMacro("where", `
    where [<detector>]
    Prints every peak statistic of the last scan (peak, min, cen, com, fwhm)
    and where its motors are now.`,
  async (args) => {
    arity(args, 0, 1);
    const { det, scannr, perAxis } = lastStats(detectorName(args[0]));
    const now: string[] = [];
    for (const axis of Object.keys(perAxis)) {
      const m = Gadget.byName(axis);
      if (m instanceof Motor) now.push(`${axis} ${fmtNumber(await m.position(), m.precision)}`);
    }
    env.print(`scan #${scannr} ${statsLine(det, perAxis)}` + (now.length ? `\n  now: ${now.join("  ")}` : ""));
    return perAxis;
  });

defineMacro("plotselect", `
    plotselect [<detector>]
    Chooses the detector whose peak statistics are printed after each scan
    and used by peak, cen, com, fwhm, where and goto. Without an argument,
    prints the choice; 'plotselect auto' goes back to the first scalar detector.`,
  (args) => {
    arity(args, 0, 1);
    if (args.length && args[0] !== "auto" && !(args[0] instanceof Detector)) throw new UsageError(`${show(args[0])} is not a detector (lsdet lists them)`);
    if (args.length) plotSelection.detector = args[0] instanceof Detector ? args[0].name : null;
    env.print(`statistics of: ${plotSelection.detector ?? "the first scalar detector of each scan"}`);
    return plotSelection.detector;
  });

const GOTO_TARGETS = ["peak", "cen", "com", "min"] as const;
const GOTO_USAGE = `
    goto <peak|cen|com|min> [<detector>]
    Moves the last scan's motor to that statistic of the detector (as printed
    after the scan), printing the old and the new position. Mesh scans move
    every motor. A target outside the limits moves nothing; on Ctrl-C the
    motors go back to where they were.`;

/** Moves the last scan's motors to a statistic; returns the new positions by motor. */
export async function gotoStat(what: (typeof GOTO_TARGETS)[number], det: string | undefined, ctx: MacroContext): Promise<Record<string, number>> {
  const found = lastStats(det);
  const pairs: [Motor, number][] = [];
  for (const [axis, s] of Object.entries(found.perAxis)) {
    const m = Gadget.byName(axis);
    if (!(m instanceof Motor)) throw new Error(`scan #${found.scannr} has no motor to move (its axis is ${axis})`);
    const target = s[what];
    if (target === null) throw new Error(`${what} of ${found.det} vs ${axis} is not defined in scan #${found.scannr} (the peak does not fall to half its height on both sides): nothing moved`);
    pairs.push([m, target]);
  }
  for (const [m, x] of pairs) {
    try {
      m.checkTarget(x);
    } catch (e) {
      if (e instanceof LimitError) throw new LimitError(`goto ${what}: ${e.message}; nothing moved`);
      throw e;
    }
  }
  const before = await Promise.all(pairs.map(([m]) => m.position()));
  try {
    await abortable(Promise.all(pairs.map(([m, x]) => m.move(x))), ctx.signal);
  } catch (e) {
    await Promise.allSettled(pairs.map(([m]) => m.stop()));
    if (e instanceof AbortError) {
      env.print(chalk.yellow(`goto ${what} stopped: going back`));
      await abortable(Promise.all(pairs.map(([m], j) => m.move(before[j]))), ctx.cleanupSignal).catch(() => {
        env.print(chalk.red("return move stopped: the motors were left where they are"));
      });
    }
    throw e;
  }
  const out: Record<string, number> = {};
  for (const [j, [m]] of pairs.entries()) {
    out[m.name] = await m.position();
    env.print(`${m.name} ${fmtNumber(before[j], m.precision)} -> ${fmtNumber(out[m.name], m.precision)}  (${what} of ${found.det}, scan #${found.scannr})`);
  }
  return out;
}

defineMacro("goto", GOTO_USAGE, (args, _kw, ctx) => {
  arity(args, 1, 2);
  const what = asString(args[0], "statistic");
  if (!(GOTO_TARGETS as readonly string[]).includes(what)) throw new UsageError(`goto goes to peak, cen, com or min (got ${show(args[0])})`);
  return gotoStat(what as (typeof GOTO_TARGETS)[number], detectorName(args[1]), ctx);
});

/** A dscan, then goto peak (the BLISS and apstools habit). */
class Lineup implements MacroInstance {
  static usage = `
    lineup <motor> <start> <stop> <intervals> <exp_time>
    A dscan of one motor, then goto peak: the motor ends on the maximum
    of the detector shown after the scan (plotselect chooses it).`;

  private readonly scan: DScan;
  kwargs: Kwargs = {};

  constructor(...args: Arg[]) {
    arity(args, 5);
    this.scan = new DScan(...args);
  }

  async run(ctx: MacroContext): Promise<Record<string, number>> {
    this.scan.kwargs = this.kwargs;
    await this.scan.run(ctx);
    return gotoStat("peak", undefined, ctx);
  }
}
macro("lineup", Lineup);

/** Bluesky's dry run: positions checked against the limits, nothing moved, and the estimate printed. */
class Estimate implements MacroInstance {
  static usage = `
    estimate <scan line>
    Prints how many points a scan has and how long it should take (motion
    from the motors' velocities, exposure, and the overhead per point
    measured on earlier scans), and checks every position against the limits
    without moving anything. Example: estimate ascan samx 0 1 20 0.1`;

  private readonly scan: SoftwareScan;
  kwargs: Kwargs = {};

  constructor(...args: Arg[]) {
    if (!args.length) throw new UsageError("name a scan, e.g. estimate ascan samx 0 1 20 0.1");
    const m = lookupMacro(asString(args[0], "scan"));
    let scan: MacroInstance;
    try {
      scan = m.create(args.slice(1), {});
    } catch (e) {
      if (e instanceof UsageError) throw new UsageError(`${m.name}: ${e.message}\n${m.usage}`);
      throw e;
    }
    if (!(scan instanceof SoftwareScan)) throw new UsageError(`${m.name} is not a scan: estimate works on ascan, dscan, mesh, ...`);
    this.scan = scan;
  }

  async run(ctx: MacroContext): Promise<{ points: number; seconds: number; violation: string | null }> {
    this.scan.kwargs = this.kwargs;
    const violations: LimitError[] = [];
    const positions = await this.scan.plan(violations);
    const active = Detector.getInstances().some((d) => d.active);
    const e = estimateScan(this.scan.motors, this.scan.startPositions, positions, active ? this.scan.secondsPerPoint() : 0, this.scan.returnToStart);
    const line = ctx.line.replace(/^estimate\s+/, "");
    env.print(`${chalk.bold(line)}  ${chalk.dim(`(${estimateSummary(e)})`)}\n  ${estimateDetails(e)}`);
    const violation = violations[0]?.message ?? null;
    env.print(violation ? chalk.red(`  limits: ${violation}`) : chalk.green("  limits: every position is inside"));
    return { points: e.points, seconds: e.total, violation };
  }
}

macro("estimate", Estimate);
