#!/usr/bin/env node
// contrast-integrate --poni FILE --input FILE.h5:/path ... --out OUT.h5: offline radial integration
import { ensureBuilt } from "./build.js";

process.setSourceMapsEnabled(true);
try {
  await ensureBuilt();
} catch (e) {
  process.stderr.write(`contrast-integrate: cannot build the sources:\n${e instanceof Error ? e.message : e}\n`);
  process.exit(1);
}
const { main } = await import("../dist/src/integration/integrateCommand.js");
await main();
