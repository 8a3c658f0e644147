#!/usr/bin/env node
/**
 * The shell starts from JavaScript, not through a TypeScript loader: a loader
 * costs more than the whole start-up budget. This compiles src/ into dist/src/
 * (one .js file per .ts file, imports renamed to .js) whenever a source file
 * has changed since the last build, and compiles other TypeScript files (a
 * setup script and what it imports) into dist/local/ so that they share the
 * compiled modules with the shell instead of loading a second copy of them.
 *
 *   node bin/build.js        builds dist/ if it is out of date
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SRC = join(ROOT, "src");
export const DIST = join(ROOT, "dist");
const STAMP = join(DIST, "stamp");

/** Size and modification time of a file: they change whenever it does. */
function stampOf(file) {
  try {
    const s = statSync(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return "gone";
  }
}

/** One short hash of the path and stamp of each input. */
function fingerprint(files) {
  const h = createHash("sha256");
  for (const f of files) h.update(`${f}\0${stampOf(f)}\n`);
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

const TYPESCRIPT = /\.[cm]?ts$/;
const inSources = (file) => !relative(SRC, file).startsWith("..");

/** The build of a TypeScript file: dist/src/... for the sources, dist/local/<its absolute path> for any other. */
export function compiledPath(file) {
  return (inSources(file) ? join(DIST, "src", relative(SRC, file)) : join(DIST, "local", file)).replace(TYPESCRIPT, ".js");
}

/**
 * Imports keep pointing at separate modules, now at their builds: a TypeScript
 * file's import of another (collected in `deps`), of the sources, or of the
 * package `contrast`.
 */
function towardsBuilds(deps) {
  return {
    name: "towards-builds",
    setup(build) {
      build.onResolve({ filter: /^contrast$/ }, () => ({ path: pathToFileURL(join(DIST, "src", "index.js")).href, external: true }));
      build.onResolve({ filter: /^(\.{1,2}\/|\/|file:)/ }, (args) => {
        if (args.kind === "entry-point") return undefined;
        let file = args.path.startsWith("file:") ? fileURLToPath(args.path) : resolve(args.resolveDir, args.path);
        if (!existsSync(file) && existsSync(`${file}.ts`)) file = `${file}.ts`;
        if (!TYPESCRIPT.test(file)) return { path: pathToFileURL(file).href, external: true };
        if (!inSources(file)) deps.get(args.importer)?.add(file);
        return { path: pathToFileURL(compiledPath(file)).href, external: true };
      });
    },
  };
}

/** A compiled file still sees its own location in import.meta, not its build's. */
const ownLocations = {
  name: "own-locations",
  setup(build) {
    build.onLoad({ filter: TYPESCRIPT }, (args) => ({
      loader: "ts",
      contents: readFileSync(args.path, "utf8")
        .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll("import.meta.filename", JSON.stringify(args.path))
        .replaceAll("import.meta.dirname", JSON.stringify(dirname(args.path))),
    }));
  },
};

/** What the last compilation of `file` recorded, if it is still good for this build and this version of the file. */
function freshRecord(file, key) {
  try {
    const record = JSON.parse(readFileSync(`${compiledPath(file)}.json`, "utf8"));
    return record.key === key && record.stamp === stampOf(file) ? record : null;
  } catch {
    return null;
  }
}

async function compileFiles(files, key) {
  const deps = new Map(files.map((f) => [f, new Set()]));
  const result = await compile({
    entryPoints: files,
    outdir: join(DIST, "local"),
    outbase: "/",
    sourcemap: "inline",
    plugins: [towardsBuilds(deps), ownLocations],
  });
  for (const out of result.outputFiles) writeAtomically(out.path, out.text);
  for (const [file, used] of deps) {
    writeAtomically(`${compiledPath(file)}.json`, JSON.stringify({ key, stamp: stampOf(file), deps: [...used] }));
  }
  return deps;
}

/**
 * Compiles a TypeScript file outside the sources (a setup script, a procedure,
 * a scan of the user's) and the TypeScript files it imports, each into a
 * module of its own, again only when one of them changed; returns the path to
 * import. Its imports of the sources go to their build, so a script and the
 * shell share one env and one set of gadgets, and a file imported twice (by
 * the setup script, then by a procedure) is one module.
 */
export async function compileScript(file) {
  const key = await ensureBuilt();
  if (inSources(file)) return compiledPath(file);
  const seen = new Set();
  const stale = [];
  const visit = (f) => {
    if (seen.has(f)) return;
    seen.add(f);
    const record = freshRecord(f, key);
    if (record) record.deps.forEach(visit);
    else stale.push(f);
  };
  visit(file);
  while (stale.length) {
    const deps = await compileFiles(stale.splice(0), key);
    for (const used of deps.values()) used.forEach(visit);
  }
  return compiledPath(file);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  const key = await ensureBuilt();
  console.log(`dist/src is build ${key} (${Math.round(performance.now() - t0)} ms)`);
}
