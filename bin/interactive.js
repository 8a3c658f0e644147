// `node --import ./bin/interactive.js -i`: Node's own REPL as the contrast shell (see src/shell/interactive.ts)
import { ensureBuilt } from "./build.js";

process.setSourceMapsEnabled(true);
await ensureBuilt();
await import("../dist/src/shell/interactive.js");
