#!/usr/bin/env node
// contrast [SETUP] [PROCEDURE] [-c LINE ...]: the shell, from its build in dist/ (rebuilt here when a source changed)
import { ensureBuilt } from "./build.js";

// stack traces name the .ts files and lines that a user edits
process.setSourceMapsEnabled(true);

try {
  await ensureBuilt();
} catch (e) {
  process.stderr.write(`contrast: cannot build the sources:\n${e instanceof Error ? e.message : e}\n`);
  process.exit(1);
}
const { main } = await import("../dist/src/shell/cli.js");
await main();
