import { env } from "./env.ts";
import { defineMacro, UsageError } from "../macros/registry.ts";
import { arity, asInt, asNumber, asString } from "../macros/args.ts";
import { SimulatedBeamScheduler } from "./scheduler.ts";

defineMacro("userlevel", `
    userlevel [<level>]
    Shows or sets the user level. Gadgets above it are hidden from listings and
    refused by macros. It protects against mistakes; it is not security.`,
  (args) => {
    arity(args, 0, 1);
    if (args.length) env.userLevel = asInt(args[0], "level");
    env.print(`user level ${env.userLevel}`);
    return env.userLevel;
  });

defineMacro("path", `
    path [<directory> [<next scan number>]]
    Shows or sets where data are written, and the number the next scan gets
    (never one that scans in that directory already have).`,
  async (args) => {
    arity(args, 0, 2);
    if (args.length) {
      const dir = asString(args[0], "directory");
      if (!dir.trim()) throw new UsageError("directory must not be empty");
      const next = args.length > 1 ? asInt(args[1], "next scan number") : undefined;
      const before = env.paths.directory;
      env.paths.directory = dir;
      try {
        if (next !== undefined) env.nextScanId = next;
      } catch (e) {
        env.paths.directory = before;
        throw e;
      }
    }
    const dir = await env.paths.getDirectory();
    env.print(`data go to ${dir} (next scan #${env.nextScanId})`);
    return dir;
  });

defineMacro("beamloss", `
    beamloss <after_s> <duration_s>
    Simulated beamline only: the beam goes away <after_s> seconds from now for
    <duration_s> seconds. The scheduler is then not ready (a scan suspends and
    takes the point again) and the detectors read only their background.`,
  (args) => {
    arity(args, 2, 2);
    const after = asNumber(args[0], "after_s");
    const duration = asNumber(args[1], "duration_s");
    if (!(after >= 0) || !(duration > 0)) throw new UsageError("after_s must be >= 0 and duration_s > 0");
    const scheduler = env.scheduler;
    if (!(scheduler instanceof SimulatedBeamScheduler)) throw new Error(`beamloss needs the simulated beam's scheduler (env.scheduler is a ${scheduler.constructor.name})`);
    scheduler.beamloss(after, duration);
    env.print(`the beam goes away in ${after} s for ${duration} s`);
  });
