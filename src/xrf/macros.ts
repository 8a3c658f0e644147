import { resolve } from "node:path";
import { env } from "../environment/env.ts";
import { Recorder } from "../recorders/Recorder.ts";
import { StreamRecorder, DEFAULT_STREAM_ADDRESS } from "../recorders/stream/StreamRecorder.ts";
import { Xspress3Simulator, DEFAULT_XSP3_ADDRESS } from "../detectors/xspress3/Xspress3Simulator.ts";
import { defineMacro, UsageError } from "../macros/registry.ts";
import { arity, asInt, asString } from "../macros/args.ts";
import { loadRois } from "./rois.ts";
import { XrfMapRecorder } from "./XrfMapRecorder.ts";

const KNOWN = ["spectra", "stream", "port", "host"];

/** The spectra stream: the simulator's (bound now, so that the consumer is there for its first series), else the default. */
async function defaultSpectra(): Promise<string> {
  const sim = Xspress3Simulator.getInstances()[0];
  if (!sim) return DEFAULT_XSP3_ADDRESS;
  await sim.bind();
  return sim.address;
}

async function stopOld(): Promise<boolean> {
  const old = XrfMapRecorder.getInstances();
  for (const r of old) {
    r.dispose();
    await r.stop();
  }
  return old.length > 0;
}

defineMacro("xrfmap", `
    xrfmap <rois.json> [spectra=ADDRESS] [stream=ADDRESS] [port=N] [host=ADDRESS]
    xrfmap stop
    Maps fluorescence live: starts the XRF map consumer as a process of its
    own (lsrec shows it as xrfmap), which pairs the spectra stream (default:
    the simulated xsp3's, else tcp://127.0.0.1:9999) with the positions on the
    stream recorder's stream, and maps every following scan until stopped:
    one map per region of <rois.json> (see examples/xrf-rois.json) in a web
    page, and scan_NNNNNN_xrf.h5, linked from the scan file as entry/xrf.
    Replaces a consumer already running. Prints and returns the page's address.`,
  async (args, kwargs) => {
    arity(args, 1);
    for (const k of Object.keys(kwargs)) if (!KNOWN.includes(k)) throw new UsageError(`unknown keyword ${k}= (${KNOWN.map((x) => `${x}=`).join(" ")} are known)`);
    const what = asString(args[0], "rois.json");
    if (what === "stop") {
      env.print((await stopOld()) ? "xrfmap stopped" : "no xrfmap running");
      return undefined;
    }
    const rois = loadRois(resolve(what)); // a bad file is refused here, with its line and field
    const stream = kwargs.stream !== undefined ? asString(kwargs.stream, "stream")
      : Recorder.getInstances().find((r): r is StreamRecorder => r instanceof StreamRecorder)?.address ?? DEFAULT_STREAM_ADDRESS;
    const spectra = kwargs.spectra !== undefined ? asString(kwargs.spectra, "spectra") : await defaultSpectra();
    await stopOld();
    const rec = new XrfMapRecorder({
      name: "xrfmap", rois, spectra, stream, dir: env.paths.directory,
      ...(kwargs.port !== undefined ? { port: asInt(kwargs.port, "port") } : {}),
      ...(kwargs.host !== undefined ? { host: asString(kwargs.host, "host") } : {}),
    });
    try {
      await rec.start();
    } catch (e) {
      rec.dispose();
      throw e;
    }
    env.print(`xrf maps of ${rois.rois.map((r) => r.name).join(" ")}: spectra from ${spectra}, positions from ${stream}; live view at ${rec.url}`);
    return rec.url;
  });
