import chalk from "chalk";
import { env } from "../environment/env.ts";
import { defineMacro, UsageError, type Arg } from "../macros/registry.ts";
import { arity, asDetector, asPositive, show } from "../macros/args.ts";
import { tokenize } from "../macros/parse.ts";
import { Gadget } from "../gadget.ts";
import { formatValue } from "../scans/table.ts";
import { Detector, isLiveDetector } from "./Detector.ts";
import { countOnce } from "./DetectorGroup.ts";
import { TriggerSource } from "./triggers.ts";

function visibleDetectors(): Detector[] {
  return Detector.getInstances().filter((d) => d.userLevel <= env.userLevel).sort((a, b) => a.name.localeCompare(b.name));
}

function detectorsFrom(args: Arg[]): Detector[] {
  return args.length ? args.map((a) => asDetector(a)) : [];
}

defineMacro("lsdet", `
    lsdet
    Lists the detectors, with * before the active ones.`,
  (args) => {
    arity(args, 0);
    const dets = visibleDetectors();
    const w = Math.max(6, ...dets.map((d) => d.name.length)) + 2;
    const lines = [chalk.bold("  " + "name".padEnd(w) + "kind".padEnd(22) + "description")];
    for (const d of dets) lines.push(`${d.active ? "* " : "  "}${d.name.padEnd(w)}${d.constructor.name.padEnd(22)}${d.describe()}`);
    const hidden = Detector.getInstances().filter((d) => d.userLevel > env.userLevel && d.active).length;
    if (hidden) lines.push(chalk.dim(`and ${hidden} active detector${hidden > 1 ? "s" : ""} above user level ${env.userLevel}, not shown (they take part in scans)`));
    env.print(lines.join("\n"));
    return dets.filter((d) => d.active).map((d) => d.name);
  });

/**
 * activate and deactivate: the detectors named, with their new state. What a
 * wildcard matches that is not a detector (a motor) is skipped; a name typed
 * out in full must be a detector.
 */
function setActive(args: Arg[], active: boolean, line: string): string[] {
  const typed = new Set(tokenize(line).slice(1).map((t) => t.text).filter((t) => !/[*?]/.test(t)));
  const dets = detectorsFrom(args.filter((a) => a instanceof Detector || typed.has(show(a)) || !(a instanceof Gadget)));
  if (!dets.length) throw new UsageError("name at least one detector");
  for (const d of dets) d.active = active;
  return dets.map((d) => d.name);
}

defineMacro("activate", `
    activate <detector1> [<detector2> ...]
    Makes detectors take part in scans and ct. Wildcards work.`,
  (args, _kw, ctx) => setActive(args, true, ctx.line));

defineMacro("deactivate", `
    deactivate <detector1> [<detector2> ...]
    Leaves detectors out of scans and ct. Wildcards work.`,
  (args, _kw, ctx) => setActive(args, false, ctx.line));

defineMacro("ct", `
    ct [<exp_time>]
    Counts once with every active detector (default 1 s) and prints the readings.
    Nothing is recorded.`,
  async (args, _kw, ctx) => {
    arity(args, 0, 1);
    const t = args.length ? asPositive(args[0], "exp_time") : 1;
    const readings = await countOnce(t, ctx.signal);
    env.print(Object.entries(readings).map(([k, v]) => `${k.padStart(12)} : ${formatValue(v)}`).join("\n"));
    return readings;
  });

function liveDetector(args: Arg[]): Detector & ReturnType<typeof asLive> {
  const dets = args.length ? [asDetector(args[0])] : Detector.getInstances().filter((d) => d.active && isLiveDetector(d));
  const d = dets[0];
  if (!d) throw new UsageError("no active detector has a live mode");
  return asLive(d);
}

function asLive(d: Detector) {
  if (!isLiveDetector(d)) throw new UsageError(`${d.name} has no live mode`);
  return d;
}

defineMacro("startlive", `
    startlive [<detector>] [<exp_time>]
    Starts a detector's live mode (default: the first active one that has it).`,
  async (args) => {
    arity(args, 0, 2);
    const withDet = args[0] instanceof Detector;
    const d = liveDetector(withDet ? [args[0]] : []);
    const t = args[withDet ? 1 : 0];
    await d.startLive(t === undefined ? 0.1 : asPositive(t, "exp_time"));
    env.print(`${d.name} live`);
    return d.name;
  });

defineMacro("stoplive", `
    stoplive [<detector>]
    Stops live mode (default: every detector that is live).`,
  async (args) => {
    arity(args, 0, 1);
    const dets = args.length ? [asLive(asDetector(args[0]))] : Detector.getInstances().filter(isLiveDetector).filter((d) => d.live);
    for (const d of dets) await d.stopLive();
    return dets.map((d) => d.name);
  });

defineMacro("lstrig", `
    lstrig
    Lists the trigger sources, then each detector's trigger settings: the source it
    is wired to (- when it cannot be hardware triggered), hwTrig, hwTrigN, the
    minimum latency between triggered frames, and the burst settings.`,
  (args) => {
    arity(args, 0);
    const sources = [...TriggerSource.all].map((s) => s.name).sort();
    const lines = [`trigger sources: ${sources.join(", ") || "none"}`];
    for (const d of visibleDetectors()) {
      const wired = d.triggerSource ? `source=${d.triggerSource.name} minLatency=${d.hwTrigMinLatency}` : "source=-";
      lines.push(`${d.active ? "* " : "  "}${d.name.padEnd(14)} ${wired} hwTrig=${d.hwTrig} hwTrigN=${d.hwTrigN} burstN=${d.burstN} burstLatency=${d.burstLatency}`);
    }
    env.print(lines.join("\n"));
    return lines;
  });
