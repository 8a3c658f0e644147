import chalk from "chalk";
import { env } from "../environment/env.ts";
import { Detector } from "../detectors/Detector.ts";
import { Motor } from "../motors/Motor.ts";
import { defineMacro, UsageError, type Arg, type Kwargs } from "../macros/registry.ts";
import { arity, asInt, asString, show } from "../macros/args.ts";
import { Recorder } from "./Recorder.ts";
import { Gadget } from "../gadget.ts";
import { NOT_ANSWERING, ProcessRecorder } from "./process/ProcessRecorder.ts";
import { LivePlotRecorder } from "./liveplot/LivePlotRecorder.ts";

export interface RecorderRow {
  name: string;
  kind: string;
  active: boolean;
  alive: boolean;
  /** the recorder's process, while it runs */
  pid?: number;
  /** why it is not running (dead, stopped, not started) */
  reason?: string;
  backlog?: { points: number; bytes: number };
  writes: string;
}

function backlogText(b: RecorderRow["backlog"]): string {
  if (!b) return "-";
  return b.bytes >= 1e6 ? `${b.points} (${(b.bytes / 1e6).toFixed(0)} MB)` : String(b.points);
}

/** States of a recorder that is not running and has not died either. */
const NOT_DEAD = new Set(["not started", "starting", "stopping", "stopped"]);

defineMacro("lsrec", `
    lsrec
    Lists the recorders, with * before the active ones: kind, alive (and its
    process id) or dead (and why), points not yet stored (backlog), and what
    each writes: file, stream address or live plot URL. One that is dead,
    stopped or not answering restarts with \`startrec <name>\`.`,
  (args) => {
    arity(args, 0);
    const rows: RecorderRow[] = Recorder.getInstances().sort((a, b) => a.name.localeCompare(b.name)).map((r) => ({
      name: r.name, kind: r.constructor.name, active: r.active, alive: r.isAlive(),
      ...(r.isAlive() ? {} : { reason: r.deathReason() ?? "stopped" }),
      ...(r instanceof ProcessRecorder ? { backlog: r.backlog(), ...(r.pid ? { pid: r.pid } : {}) } : {}),
      writes: r.describe(),
    }));
    const stalled = (r: RecorderRow) => r.reason?.startsWith(NOT_ANSWERING) === true;
    const dead = (r: RecorderRow) => !r.alive && !NOT_DEAD.has(r.reason ?? "") && !stalled(r);
    const state = (r: RecorderRow) => (r.alive ? `alive${r.pid ? `, pid ${r.pid}` : ""}` : dead(r) ? `dead: ${r.reason}`
      : stalled(r) ? (r.reason ?? "").split(":")[0] : r.reason ?? "");
    const w = (f: (r: RecorderRow) => string, min: number) => Math.max(min, ...rows.map((r) => f(r).length)) + 2;
    const [wn, wk, ws, wb] = [w((r) => r.name, 4), w((r) => r.kind, 4), w(state, 5), w((r) => backlogText(r.backlog), 7)];
    const lines = [chalk.bold("  " + "name".padEnd(wn) + "kind".padEnd(wk) + "state".padEnd(ws) + "backlog".padEnd(wb) + "writes")];
    for (const r of rows) {
      const s = state(r).padEnd(ws);
      lines.push(`${r.active ? "* " : "  "}${r.name.padEnd(wn)}${r.kind.padEnd(wk)}${dead(r) || stalled(r) ? chalk.red(s) : s}${backlogText(r.backlog).padEnd(wb)}${r.writes}`);
    }
    const startable = (r: RecorderRow) => dead(r) || r.reason === "stopped" || r.reason === "not started";
    for (const r of rows) {
      if (stalled(r)) lines.push(chalk.dim(`${r.name} is ${r.reason}; wait, or kill it and start a new one with: startrec ${r.name}`));
      else if (startable(r) && r.backlog) lines.push(chalk.dim(`${r.name} is ${state(r)}; start it with: startrec ${r.name}`));
    }
    env.print(lines.join("\n"));
    return rows;
  });

defineMacro("startrec", `
    startrec <recorder> [<recorder> ...]
    Starts the recorders named again (a new process each): one that died, was
    stopped, or does not answer. One that does not answer is killed first;
    what it had not yet stored is lost (its files keep what it wrote before).
    One that runs is left alone.`,
  async (args) => {
    arity(args, 1, Infinity);
    const recorders = args.map((a) => {
      const r = Gadget.byName(asString(a, "recorder"));
      if (!(r instanceof ProcessRecorder)) throw new UsageError(`${show(a)} is not a recorder that runs in a process of its own (see lsrec)`);
      return r;
    });
    for (const r of recorders) {
      if (r.isAlive()) {
        env.print(`${r.name} is running (pid ${r.pid})`);
        continue;
      }
      const { points } = r.backlog();
      if (r.stalledFor()) env.print(chalk.yellow(`killing ${r.name} (pid ${r.pid}, ${r.deathReason()}): the ${points} points it had not stored are lost; ${r.describe()} keeps what it wrote before`));
      await r.restart();
      env.print(chalk.green(`${r.name} started (pid ${r.pid})`));
    }
  });

/** y: a detector, or "detector/key" into a dict reading. */
function plotY(a: Arg | undefined): string {
  if (a instanceof Detector) return a.name;
  const s = typeof a === "string" ? a : undefined;
  const det = s?.split("/")[0];
  if (s === undefined || !det || !(Detector.getInstances().some((d) => d.name === det)) || !/^[^/]+\/[^/]+/.test(s))
    throw new UsageError(`y must be a detector or detector/key (got ${show(a)})`);
  const keys = Detector.getInstances().find((d) => d.name === det)?.dictKeys;
  const key = s.slice(det.length + 1);
  if (keys && !keys.includes(key)) throw new UsageError(`${det} has no key ${key} (it has ${keys.join(", ")})`);
  return s;
}

function plotX(a: Arg): string {
  if (a instanceof Motor) return a.name;
  throw new UsageError(`x must be a motor (got ${show(a)}); leave it out to plot against the point number`);
}

function liveplotOptions(kwargs: Kwargs): { host?: string; port?: number } {
  for (const k of Object.keys(kwargs)) if (k !== "port" && k !== "host") throw new UsageError(`unknown keyword ${k}= (port= and host= are known)`);
  return {
    ...(kwargs.port !== undefined ? { port: asInt(kwargs.port, "port") } : {}),
    ...(kwargs.host !== undefined ? { host: asString(kwargs.host, "host") } : {}),
  };
}

defineMacro("liveplot", `
    liveplot [<x>] <y> [port=N] [host=ADDRESS]
    Plots <y> (a detector, or detector/key in a dict reading) against the motor
    <x> (default: the point number) in a web page, live, during this and the
    next scans. Replaces the previous live plot. Serves 127.0.0.1 on a free port
    unless told otherwise. Prints and returns the page's address.`,
  async (args, kwargs) => {
    arity(args, 1, 2);
    const y = plotY(args[args.length - 1]);
    const x = args.length === 2 ? plotX(args[0]) : undefined;
    const opts = liveplotOptions(kwargs);
    for (const old of LivePlotRecorder.getInstances()) {
      old.dispose();
      await old.stop();
    }
    const rec = new LivePlotRecorder({ name: "liveplot", y, ...(x ? { x } : {}), ...opts });
    try {
      await rec.start();
    } catch (e) {
      rec.dispose();
      throw e;
    }
    env.print(`live plot at ${rec.url}`);
    return rec.url;
  });
