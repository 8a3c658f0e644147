/**
 * Where this copy of contrast runs from: its TypeScript sources (under tsx,
 * as the tests do) or their build in dist/src (bin/build.js, as the shell
 * does). Code that names a module file to fork or import goes through here.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** true when running the build in dist/src */
export const COMPILED = !import.meta.url.endsWith(".ts");
export const PACKAGE_ROOT = fileURLToPath(new URL(COMPILED ? "../../../" : "../../", import.meta.url));
/** the TypeScript sources, and the files beside them (the live view's page) */
export const SOURCE_DIR = join(PACKAGE_ROOT, "src");

/** A module beside `base`, named by its source file: "./child.ts" is child.js in the build. */
export function siblingModule(name: string, base: string): URL {
  return new URL(base.endsWith(".ts") ? name : name.replace(/\.ts$/, ".js"), base);
}
