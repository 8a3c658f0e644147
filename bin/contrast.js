#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx.
import { register } from "tsx/esm/api";
register();
const { fileURLToPath } = await import("node:url");
process.argv[1] = fileURLToPath(new URL("../src/shell/cli.ts", import.meta.url));
await import("../src/shell/cli.ts");
