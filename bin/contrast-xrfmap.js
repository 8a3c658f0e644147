#!/usr/bin/env node
// contrast-xrfmap <rois.json> [spectra=...] [stream=...]: the live XRF map consumer on its own (see docs/xrf.md)
import { ensureBuilt } from "./build.js";

process.setSourceMapsEnabled(true);
try {
  await ensureBuilt();
} catch (e) {
  process.stderr.write(`contrast-xrfmap: cannot build the sources:\n${e instanceof Error ? e.message : e}\n`);
  process.exit(1);
}
const { main } = await import("../dist/src/xrf/cli.js");
await main();
