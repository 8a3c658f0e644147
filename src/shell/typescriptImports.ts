import { register } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { COMPILED, PACKAGE_ROOT } from "../util/layout.ts";

let registered = false;

/**
 * From the build, lets `import()` of a TypeScript file work (bin/typescriptHook.js).
 * Called before a typed line that imports something, not at start-up: the hook
 * would slow every import after it, the shell's own included.
 */
export function allowTypeScriptImports(): void {
  if (registered || !COMPILED) return;
  registered = true;
  register(pathToFileURL(join(PACKAGE_ROOT, "bin", "typescriptHook.js")));
}
