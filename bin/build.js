#!/usr/bin/env node
/**
 * The shell starts from JavaScript, not through a TypeScript loader: a loader
 * costs more than the whole start-up budget. This compiles src/ into dist/src/
 * (one .js file per .ts file, imports renamed to .js) whenever a source file
 * has changed since the last build, and compiles a setup script (.ts) into
 * dist/setups/ so that it shares the compiled modules with the shell instead
 * of loading a second copy of them.
 *
 *   node bin/build.js        builds dist/ if it is out of date
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SRC = join(ROOT, "src");
export const DIST = join(ROOT, "dist");
const STAMP = join(DIST, "stamp");

/** Path, size and modification time of each input: changes whenever a file does. */
function fingerprint(files) {
  const h = createHash("sha256");
  for (const f of files) {
    const s = statSync(f);
    h.update(`${f}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return h.digest("hex").slice(0, 16);
}

function sources() {
  return readdirSync(SRC, { recursive: true })
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .sort()
    .map((f) => join(SRC, f));
}

function readText(file) {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** Two shells may build at once: each file appears whole or not at all. */
function writeAtomically(file, text) {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Every relative import stays a separate module, renamed from .ts to .js. */
const keepModulesApart = {
  name: "keep-modules-apart",
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) =>
      args.kind === "entry-point" ? undefined : { path: args.path.replace(/\.ts$/, ".js"), external: true });
  },
};

/** esbuild's complaints as `file:line:column: text` lines, without its stack trace. */
function compileError(e) {
  if (!Array.isArray(e?.errors)) return e;
  const lines = e.errors.map((m) => `${m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : ""}${m.text}`);
  const error = new Error(lines.join("\n"));
  error.stack = error.message;
  return error;
}

/** esbuild's build(), failing with compileError() */
async function compile(options) {
  const { build, stop } = await import("esbuild");
  try {
    return await build({ bundle: true, packages: "external", platform: "node", format: "esm", target: "node20", keepNames: true, write: false, logLevel: "silent", ...options });
  } catch (e) {
    throw compileError(e);
  } finally {
    await stop(); // its service process would otherwise live as long as the shell
  }
}

/** Builds dist/src if a source file changed; returns the build's fingerprint. */
export async function ensureBuilt() {
  const files = sources();
  const key = fingerprint([...files, fileURLToPath(import.meta.url)]);
  if (readText(STAMP).trim() === key) return key;
  const result = await compile({
    entryPoints: files,
    outdir: join(DIST, "src"),
    outbase: SRC,
    sourcemap: "inline",
    sourcesContent: false,
    plugins: [keepModulesApart],
  });
  for (const out of result.outputFiles) writeAtomically(out.path, out.text);
  writeAtomically(STAMP, `${key}\n`);
  return key;
}

/** Imports of the contrast sources, by path or by package name, go to their build in dist/src. */
function compiledContrast(srcDir) {
  return {
    name: "compiled-contrast",
    setup(build) {
      build.onResolve({ filter: /^contrast$/ }, () => ({ path: pathToFileURL(join(DIST, "src", "index.js")).href, external: true }));
      build.onResolve({ filter: /\.ts$/ }, (args) => {
        const file = resolve(args.resolveDir, args.path);
        if (relative(srcDir, file).startsWith("..")) return undefined;
        const js = join(DIST, "src", relative(srcDir, file)).replace(/\.ts$/, ".js");
        return { path: pathToFileURL(js).href, external: true };
      });
    },
  };
}

/** Each bundled file still sees its own location in import.meta, not the bundle's. */
const ownLocations = {
  name: "own-locations",
  setup(build) {
    build.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
      if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
      const contents = readFileSync(args.path, "utf8")
        .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll("import.meta.filename", JSON.stringify(args.path))
        .replaceAll("import.meta.dirname", JSON.stringify(dirname(args.path)));
      return { contents, loader: /\.[cm]?ts$/.test(args.path) ? "ts" : "js" };
    });
  },
};

/**
 * Compiles a TypeScript setup script (with any helper files of its own) into
 * one module under dist/setups, again only when one of them changed; returns
 * the path to import.
 */
export async function compileSetup(setup) {
  const key = await ensureBuilt();
  const name = `${basename(setup).replace(/\.[cm]?ts$/, "")}-${createHash("sha256").update(setup).digest("hex").slice(0, 8)}`;
  const out = join(DIST, "setups", `${name}.js`);
  const inputsFile = join(DIST, "setups", `${name}.inputs`);
  const [oldKey, ...inputs] = readText(inputsFile).split("\n").filter(Boolean);
  if (inputs.length && oldKey === `${key}:${fingerprintOrNothing(inputs)}`) return out;
  const result = await compile({
    entryPoints: [setup],
    outfile: out,
    sourcemap: "inline",
    metafile: true,
    plugins: [compiledContrast(SRC), ownLocations],
  });
  const used = Object.keys(result.metafile.inputs).map((f) => resolve(f));
  writeAtomically(out, result.outputFiles[0].text);
  writeAtomically(inputsFile, [`${key}:${fingerprint(used)}`, ...used].join("\n") + "\n");
  return out;
}

function fingerprintOrNothing(files) {
  try {
    return fingerprint(files);
  } catch {
    return ""; // an input is gone: build again
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  const key = await ensureBuilt();
  console.log(`dist/src is build ${key} (${Math.round(performance.now() - t0)} ms)`);
}
