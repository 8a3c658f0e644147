import { register } from "node:module";

/**
 * tsx rewrites every dependency that uses dynamic import() and builds a
 * full-resolution source map for it: 4 s for h5wasm's 4 MB file, paid at
 * every start of a recorder process. Dependencies that are ES modules are
 * plain JavaScript, so this hook (run before tsx's) loads them as they are.
 */
const HOOK = `
import { readFile } from "node:fs/promises";
export async function load(url, context, nextLoad) {
  if (context.format === "module" && url.startsWith("file:") && url.includes("/node_modules/"))
    return { format: "module", source: await readFile(new URL(url)), shortCircuit: true };
  return nextLoad(url, context);
}`;

export function loadDependenciesAsTheyAre(): void {
  register(`data:text/javascript,${encodeURIComponent(HOOK)}`);
}
