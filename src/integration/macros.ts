import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { env } from "../environment/env.ts";
import { defineMacro, UsageError, type Kwargs } from "../macros/registry.ts";
import { arity, asInt, asNumber, asString } from "../macros/args.ts";
import { SimulatedEiger } from "../detectors/eiger/SimulatedEiger.ts";
import { formatPoni, readPoniFile } from "./poni.ts";
import { loadMask } from "./mask.ts";
import { radialUnit, type RadialUnitName } from "./units.ts";
import { DEFAULT_OPTIONS, type IntegrationOptions } from "./setup.ts";
import { IntegrationRecorder } from "./IntegrationRecorder.ts";

const KNOWN = ["workers", "poni", "stream", "bins", "unit", "split", "mask", "sectors", "polarization", "solid_angle", "radial_range", "view_range", "view_port"];

function rangeKeyword(kwargs: Kwargs, name: string): [number, number] | null {
  if (kwargs[name] === undefined) return null;
  const parts = asString(kwargs[name], name).split(/[\s,]+/).map(Number);
  if (parts.length !== 2 || parts.some((n) => !Number.isFinite(n))) throw new UsageError(`${name}= is "LO HI"`);
  return [parts[0], parts[1]];
}

function integrationOptions(kwargs: Kwargs, poni: string): IntegrationOptions {
  for (const k of Object.keys(kwargs)) if (!KNOWN.includes(k)) throw new UsageError(`unknown keyword ${k}= (${KNOWN.map((n) => `${n}=`).join(" ")})`);
  const split = kwargs.split === undefined ? "bbox" : asString(kwargs.split, "split");
  if (split !== "bbox" && split !== "none") throw new UsageError(`split= is "bbox" or "none", not ${split}`);
  const radialRange = rangeKeyword(kwargs, "radial_range");
  let unit: RadialUnitName = "q_nm^-1";
  if (kwargs.unit !== undefined) {
    try {
      unit = radialUnit(asString(kwargs.unit, "unit")).name;
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  return {
    ...DEFAULT_OPTIONS, poni, unit, split, radialRange,
    bins: kwargs.bins === undefined ? 1000 : asInt(kwargs.bins, "bins", 1),
    mask: kwargs.mask === undefined ? null : resolve(asString(kwargs.mask, "mask")),
    sectors: kwargs.sectors === undefined ? null : asInt(kwargs.sectors, "sectors", 1),
    polarization: kwargs.polarization === undefined ? null : asNumber(kwargs.polarization, "polarization"),
    solidAngle: kwargs.solid_angle === undefined ? true : asNumber(kwargs.solid_angle, "solid_angle") !== 0,
  };
}

async function stopPipeline(): Promise<boolean> {
  let stopped = false;
  for (const old of IntegrationRecorder.getInstances()) {
    await old.stop();
    old.dispose();
    stopped = true;
  }
  return stopped;
}

defineMacro("integrate", `
    integrate [<detector>] [workers=N] [poni="FILE"] [bins=N] [unit="q_nm^-1"|"q_A^-1"|"2th_deg"|"r_mm"]
              [split="bbox"|"none"] [radial_range="LO HI"] [sectors=K] [mask="FILE.h5:/path"]
              [polarization=P] [solid_angle=0] [stream="tcp://HOST:PORT"]
              [view_range="LO HI"] [view_port=N]
    integrate stop
    Starts the live radial integration of <detector>'s stream (a simulated Eiger;
    without one, the Eiger stream given by stream= with poni=): a receiver, N worker
    processes (default 2) and a collector, as the recorder 'integration' (lsrec
    shows it). Each scan's results go to scan_NNNNNN_integrated.h5 beside the
    scan file, which links them as entry/integrated. A web page at the printed
    address shows the latest I(q) and the map of the sum over view_range= (default:
    all bins) on the scan positions (view_port=, default any free port). Without
    poni= the simulated Eiger's own geometry is
    used. 'integrate stop' ends the pipeline. See docs/integration.md.`,
  async (args, kwargs) => {
    arity(args, 0, 1);
    if (args[0] === "stop") {
      env.print((await stopPipeline()) ? "integration pipeline stopped" : "no integration pipeline is running");
      return;
    }
    const detector = args[0];
    let stream: string;
    let poni: string;
    if (detector instanceof SimulatedEiger) {
      stream = kwargs.stream === undefined ? detector.address : asString(kwargs.stream, "stream");
      if (kwargs.poni !== undefined) poni = resolve(asString(kwargs.poni, "poni"));
      else {
        poni = join(env.paths.directory, `${detector.name}.poni`);
        writeFileSync(poni, formatPoni(detector.geometry));
      }
    } else if (detector === undefined && kwargs.stream !== undefined && kwargs.poni !== undefined) {
      stream = asString(kwargs.stream, "stream");
      poni = resolve(asString(kwargs.poni, "poni"));
    } else throw new UsageError(detector === undefined ? "without a detector, give stream= and poni=" : `${String(detector)} is not a simulated Eiger`);
    const integration = integrationOptions(kwargs, poni);
    // refused here, before any process starts: a PONI file that does not read, a mask of the wrong shape
    const geometry = readPoniFile(poni);
    if (integration.mask) await loadMask(integration.mask, geometry.detector.shape);
    const workers = kwargs.workers === undefined ? 2 : asInt(kwargs.workers, "workers", 0);
    const view = { host: "127.0.0.1", port: kwargs.view_port === undefined ? 0 : asInt(kwargs.view_port, "view_port", 0), range: rangeKeyword(kwargs, "view_range") };
    await stopPipeline();
    const recorder = new IntegrationRecorder({ name: "integration" }, {
      integration,
      pipeline: { stream, framesBind: "tcp://127.0.0.1:*", resultsBind: "tcp://127.0.0.1:*", directory: env.paths.directory, workers, resendAfterMs: 30_000 },
      view,
    });
    try {
      await recorder.start();
    } catch (e) {
      recorder.dispose();
      throw e;
    }
    env.print(`integration pipeline running (pid ${recorder.pid}): ${stream} -> ${workers} workers -> scan_NNNNNN_integrated.h5; view at ${recorder.url}`);
  });
