#!/usr/bin/env -S node --single-threaded-gc
// contrast-integrate-workers: the live integration pipeline, or one worker of it
import { ensureBuilt } from "./build.js";

process.setSourceMapsEnabled(true);
try {
  await ensureBuilt();
} catch (e) {
  process.stderr.write(`contrast-integrate-workers: cannot build the sources:\n${e instanceof Error ? e.message : e}\n`);
  process.exit(1);
}
const { main } = await import("../dist/src/integration/workersCommand.js");
await main();
