/**
 * contrast-xrfmap <rois.json> [spectra=ADDRESS] [stream=ADDRESS] [dir=DIR] [port=N] [host=ADDRESS]
 *
 * The XRF map consumer on its own, on this or any other machine that reaches
 * the two streams. Runs until Ctrl-C.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { loadRois } from "./rois.ts";
import { XrfConsumer } from "./XrfConsumer.ts";
import { DEFAULT_STREAM_ADDRESS } from "../recorders/stream/StreamRecorder.ts";
import { DEFAULT_XSP3_ADDRESS } from "../detectors/xspress3/Xspress3Simulator.ts";

const USAGE = `usage: contrast-xrfmap <rois.json> [spectra=ADDRESS] [stream=ADDRESS] [dir=DIR] [port=N] [host=ADDRESS]
  spectra  the Xspress3 streamer's PUB socket (default ${DEFAULT_XSP3_ADDRESS})
  stream   the contrast stream recorder's PUB socket (default ${DEFAULT_STREAM_ADDRESS})
  dir      where maps go when a scan's start was missed (default: the current directory)
  port, host  the live view's address (default 127.0.0.1, any free port)`;

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const kw: Record<string, string> = {};
  const files: string[] = [];
  for (const a of argv) {
    const m = /^(\w+)=(.*)$/.exec(a);
    if (m) kw[m[1]] = m[2];
    else files.push(a);
  }
  const unknown = Object.keys(kw).filter((k) => !["spectra", "stream", "dir", "port", "host"].includes(k));
  if (files.length !== 1 || unknown.length || argv.includes("--help") || (kw.port !== undefined && !/^\d+$/.test(kw.port))) {
    process.stderr.write(`${unknown.length ? `unknown: ${unknown.join(", ")}\n` : ""}${USAGE}\n`);
    process.exit(2);
  }
  let rois;
  try {
    rois = loadRois(resolve(files[0]));
  } catch (e) {
    process.stderr.write(`contrast-xrfmap: ${(e as Error).message}\n`);
    process.exit(1);
  }
  const spectra = kw.spectra ?? DEFAULT_XSP3_ADDRESS;
  const stream = kw.stream ?? DEFAULT_STREAM_ADDRESS;
  const consumer = new XrfConsumer({
    rois, spectra, stream, dir: resolve(kw.dir ?? "."), view: { host: kw.host ?? "127.0.0.1", port: Number(kw.port ?? 0) },
  });
  const url = await consumer.start();
  process.stdout.write(`xrf maps of ${rois.rois.map((r) => r.name).join(" ")}: spectra from ${spectra}, positions from ${stream}; live view at ${url}\n`);
  const stop = () => void consumer.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

// run as a script (node --import tsx src/xrf/cli.ts ...), not when imported by bin/contrast-xrfmap.js
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
