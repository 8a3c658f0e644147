import chalk from "chalk";
import { env } from "../environment/env.ts";
import { defineMacro, UsageError, type Arg } from "../macros/registry.ts";
import { arity, asDetector, asPositive, show } from "../macros/args.ts";
import { tokenize } from "../macros/parse.ts";
import { Gadget } from "../gadget.ts";
import { isDict, isLink, isNdArray, isTypedArray, type Value } from "../data/values.ts";
import { Detector, isLiveDetector } from "./Detector.ts";
import { countOnce } from "./DetectorGroup.ts";
import { TriggerSource } from "./triggers.ts";

function visibleDetectors(): Detector[] {
  return Detector.getInstances().filter((d) => d.userLevel <= env.userLevel).sort((a, b) => a.name.localeCompare(b.name));
}

function detectorsFrom(args: Arg[]): Detector[] {
  return args.length ? args.map((a) => asDetector(a)) : [];
}

/** busy (acquiring), live, or nothing: what lsdet shows in its state column. */
function state(d: Detector): string {
  if (d.busy()) return "busy";
  return isLiveDetector(d) && d.live ? "live" : "";
}

defineMacro("lsdet", `
    lsdet
    Lists the detectors, with * before the active ones; the state column says
    busy for a detector that is acquiring (a scan would refuse it) and live
    for one in live mode.`,
  (args) => {
    arity(args, 0);
    const dets = visibleDetectors();
    const w = Math.max(6, ...dets.map((d) => d.name.length)) + 2;
    const lines = [chalk.bold("  " + "name".padEnd(w) + "kind".padEnd(22) + "state".padEnd(7) + "description")];
    for (const d of dets) {
      const st = state(d);
      lines.push(`${d.active ? "* " : "  "}${d.name.padEnd(w)}${d.constructor.name.padEnd(22)}${st === "busy" ? chalk.yellow(st.padEnd(7)) : st.padEnd(7)}${d.describe()}`.trimEnd());
    }
    const hidden = Detector.getInstances().filter((d) => d.userLevel > env.userLevel && d.active).length;
    if (hidden) lines.push(chalk.dim(`and ${hidden} active detector${hidden > 1 ? "s" : ""} above user level ${env.userLevel}, not shown (they take part in scans)`));
    env.print(lines.join("\n"));
    return dets.filter((d) => d.active).map((d) => d.name);
  });

/**
 * activate and deactivate: the detectors named, with their new state; with
 * no name, every detector visible at the user level. What a wildcard
 * matches that is not a detector (a motor) is skipped; a name typed out in
 * full must be a detector.
 */
function setActive(args: Arg[], active: boolean, line: string): string[] {
  const typed = new Set(tokenize(line).slice(1).map((t) => t.text).filter((t) => !/[*?]/.test(t)));
  const dets = args.length
    ? detectorsFrom(args.filter((a) => a instanceof Detector || typed.has(show(a)) || !(a instanceof Gadget)))
    : visibleDetectors();
  if (!dets.length) throw new UsageError(args.length ? "name at least one detector" : "no detector is visible at this user level");
  for (const d of dets) d.active = active;
  return dets.map((d) => d.name);
}

defineMacro("activate", `
    activate [<detector1> <detector2> ...]
    Makes detectors take part in scans and ct; with no name, every detector
    visible at the current user level. Wildcards work.`,
  (args, _kw, ctx) => setActive(args, true, ctx.line));

defineMacro("deactivate", `
    deactivate [<detector1> <detector2> ...]
    Leaves detectors out of scans and ct; with no name, every detector
    visible at the current user level. Wildcards work.`,
  (args, _kw, ctx) => setActive(args, false, ctx.line));

const number = (x: number) => String(x);

/** A reading as ct prints it: a number in full, an array as its shape with sum and maximum, a dict as its keys and values. */
export function describeValue(v: Value): string {
  if (typeof v === "number") return number(v);
  if (v === null) return "None";
  if (typeof v === "string" || typeof v === "boolean") return String(v);
  if (isLink(v)) return `link to ${v.file}:${v.path}`;
  if (isTypedArray(v) || isNdArray(v)) {
    const data = isTypedArray(v) ? v : v.data;
    const shape = isTypedArray(v) ? [v.length] : v.shape;
    let sum = 0;
    let max = -Infinity;
    for (let i = 0; i < data.length; i++) {
      const x = Number(data[i]);
      sum += x;
      if (x > max) max = x;
    }
    return `array (${shape.join(", ")}${shape.length === 1 ? "," : ""}) sum ${number(sum)} max ${data.length ? number(max) : "-"}`;
  }
  if (isDict(v)) return `{${Object.entries(v).map(([k, x]) => `${k}: ${describeValue(x)}`).join(", ")}}`;
  return String(v);
}

defineMacro("ct", `
    ct [<exp_time>]
    Counts once with every active detector (default 1 s) and prints each
    reading: a number in full, an array as its shape with its sum and
    maximum, a dict as its keys and values. Returns all readings by detector
    name. Nothing is recorded. env.hooks.beforeCt runs before counting,
    env.hooks.afterCt after (also when counting failed).`,
  async (args, _kw, ctx) => {
    arity(args, 0, 1);
    const exposure = args.length ? asPositive(args[0], "exp_time") : 1;
    await env.hooks.beforeCt?.({ exposure });
    let readings: Record<string, Value> | undefined;
    try {
      readings = await countOnce(exposure, ctx.signal);
    } finally {
      await env.hooks.afterCt?.({ exposure, readings });
    }
    const w = Math.max(6, ...Object.keys(readings).map((k) => k.length));
    env.print(Object.entries(readings).map(([k, v]) => `${k.padStart(w)} : ${describeValue(v)}`).join("\n"));
    return readings;
  });

function asLive(d: Detector) {
  if (!isLiveDetector(d)) throw new UsageError(`${d.name} has no live mode`);
  return d;
}

defineMacro("startlive", `
    startlive [<detector1> <detector2> ...] [<exp_time>]
    Starts live mode (a reading every <exp_time> s, default 0.1; nothing is
    recorded) of the detectors named, or with no name of every active
    detector that has one. stoplive stops it.`,
  async (args) => {
    const named = args.filter((a) => a instanceof Detector);
    const rest = args.slice(named.length);
    if (rest.length > 1 || args.slice(0, named.length).some((a) => !(a instanceof Detector))) {
      throw new UsageError("detectors first, then at most one exposure time");
    }
    const exposure = rest.length ? asPositive(rest[0], "exp_time") : 0.1;
    const dets = named.length ? named.map((d) => asLive(d as Detector)) : Detector.getInstances().filter((d) => d.active).filter(isLiveDetector);
    if (!dets.length) throw new UsageError("no active detector has a live mode");
    for (const d of dets) await d.startLive(exposure);
    env.print(`live: ${dets.map((d) => d.name).join(", ")}`);
    return dets.map((d) => d.name);
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
