/**
 * A module loader hook for the shell run from its build: an import of a
 * TypeScript file (`await import("./examples/spiral.ts")` at the prompt) gets
 * that file's build (bin/build.js compileScript), compiled when it changed.
 * Registered only when first needed (src/shell/typescriptImports.ts): a hook
 * slows every import after it.
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { compileScript } from "./build.js";

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (!resolved.url.startsWith("file:") || !/\.[cm]?ts$/.test(resolved.url)) return resolved;
  const compiled = await compileScript(fileURLToPath(resolved.url));
  return { url: pathToFileURL(compiled).href, format: "module", shortCircuit: true };
}
