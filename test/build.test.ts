/**
 * The shell runs from its build in dist/ (bin/build.js): what a user edits,
 * a setup script or a source file, must take effect at the next start.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { contrast, ROOT, runNode, scriptDir } from "./helpers/cli.ts";
import { tempDir } from "./helpers/beamline.ts";

/** Rewrites a file and moves its modification time on, as an editor saving twice in a second would not. */
function edit(file: string, text: string): void {
  writeFileSync(file, text);
  const later = new Date(Date.now() + 5000);
  utimesSync(file, later, later);
}

test("a setup script outside the project, with a helper file, is compiled and shares the shell's gadgets", async (t) => {
  const dir = scriptDir(t);
  const setup = join(dir, "mybeamline.ts");
  const helper = join(dir, "positions.ts");
  writeFileSync(helper, "export const START: number = 1.25;\n");
  writeFileSync(setup, [
    `import { DummyMotor } from "contrast";`,
    `import { env } from ${JSON.stringify(join(ROOT, "src", "environment", "env.ts"))};`,
    `import { START } from "./positions.ts";`,
    `new DummyMotor({ name: "tablex", dialPosition: START });`,
    `env.userLevel = 2;`,
    `console.log("setup at", import.meta.url);`,
  ].join("\n"));
  const dataDir = tempDir();
  const a = await contrast([setup, "-c", "wm tablex", "-c", "userlevel"], { CONTRAST_DATA_DIR: dataDir });
  assert.equal(a.code, 0, a.err + a.out);
  assert.match(a.out, /tablex\s+1\.250/);
  assert.match(a.out, /user level 2/);
  assert.match(a.out, new RegExp(`setup at file://${setup}`), "import.meta.url is the script's own");
  for (const built of ["mybeamline.js", "positions.js"]) assert.ok(existsSync(join(ROOT, "dist", "local", dir, built)), `a module of its own: ${built}`);

  edit(helper, "export const START: number = -3.5;\n");
  const b = await contrast([setup, "-c", "wm tablex"], { CONTRAST_DATA_DIR: dataDir });
  assert.equal(b.code, 0, b.err + b.out);
  assert.match(b.out, /tablex\s+-3\.500/, "an edited helper file takes effect");

  edit(setup, readFileSync(setup, "utf8").replace('name: "tablex"', 'name: "tabley"'));
  const c = await contrast([setup, "-c", "wm tabley"], { CONTRAST_DATA_DIR: dataDir });
  assert.equal(c.code, 0, c.err + c.out);
  assert.match(c.out, /tabley\s+-3\.500/, "an edited setup script takes effect");
});

test("a setup script with a syntax error names the file and line, and exits 1", async (t) => {
  const dir = scriptDir(t);
  const setup = join(dir, "broken.ts");
  writeFileSync(setup, `import { DummyMotor } from "contrast";\nnew DummyMotor({ name: "m" );\n`);
  const r = await contrast([setup, "-c", "wa"], { CONTRAST_DATA_DIR: tempDir() });
  assert.equal(r.code, 1);
  assert.match(r.err, /setup script .*broken\.ts failed/);
  assert.match(r.err, /broken\.ts:2:\d+/);
});

/** node bin/contrast.js in a copy of the project, so that its sources can be edited. */
const runCopy = (root: string, args: string[]) => runNode([join(root, "bin", "contrast.js"), ...args], {}, root);

test("an edited source file is rebuilt at the next start; a broken one is reported, not run", async () => {
  const root = tempDir();
  for (const part of ["bin", "src"]) cpSync(join(ROOT, part), join(root, part), { recursive: true });
  cpSync(join(ROOT, "package.json"), join(root, "package.json"));
  symlinkSync(join(ROOT, "node_modules"), join(root, "node_modules"));
  mkdirSync(join(root, "beamlines"));

  const first = await runCopy(root, ["--help"]);
  assert.equal(first.code, 0, first.err);
  assert.match(first.out, /usage: contrast \[SETUP\]/);

  const cli = join(root, "src", "shell", "cli.ts");
  const source = readFileSync(cli, "utf8");
  edit(cli, source.replace("\\nRuns the beamline setup script", "\\nEdited. Runs the beamline setup script"));
  const second = await runCopy(root, ["--help"]);
  assert.equal(second.code, 0, second.err);
  assert.match(second.out, /Edited\. Runs/);

  edit(cli, source.replace("export async function main", "export async function main("));
  const broken = await runCopy(root, ["--help"]);
  assert.equal(broken.code, 1);
  assert.match(broken.err, /contrast: cannot build the sources:\n.*cli\.ts:\d+:\d+: /);
});

test("a recorder of the user's own, in TypeScript beside the setup script, records a scan from the shell", async (t) => {
  const dir = scriptDir(t);
  mkdirSync(join(dir, "csv"));
  // the example of docs/recorders.md, importing "contrast" as a script outside the project does
  writeFileSync(join(dir, "csv", "csvChild.ts"), `
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import type { RecorderChild, ScanHeader } from "contrast";

export function openRecorder(o: { columns: string[] }): RecorderChild {
  let file = "";
  return {
    describe: () => file || "one CSV file per scan",
    header(h: ScanHeader) {
      file = join(h.path, \`\${String(h.scannr).padStart(6, "0")}.csv\`);
      appendFileSync(file, o.columns.join(",") + "\\n", { flag: "wx" });
    },
    point(p) { appendFileSync(file, o.columns.map((c) => String(p.data[c] ?? "")).join(",") + "\\n"); },
    footer(f) { appendFileSync(file, \`# \${f.status}\\n\`); },
    close() {},
  };
}`);
  writeFileSync(join(dir, "csv", "CsvRecorder.ts"), `
import { ProcessRecorder, type ProcessRecorderOptions } from "contrast";

export class CsvRecorder extends ProcessRecorder {
  constructor(opts: ProcessRecorderOptions & { columns: string[] }) {
    super(opts, { module: new URL("./csvChild.ts", import.meta.url), options: { columns: opts.columns } });
  }
}`);
  writeFileSync(join(dir, "setup.ts"), `
import { DummyMotor, DummyDetector } from "contrast";
import { CsvRecorder } from "./csv/CsvRecorder.ts";
const m = new DummyMotor({ name: "m" });
new DummyDetector({ name: "d", signal: () => 10 * m.now() });
await new CsvRecorder({ name: "csv", columns: ["m", "d"] }).start();`);
  const data = tempDir();
  const r = await contrast([join(dir, "setup.ts"), "-c", "ascan m 0 1 2 0.01", "-c", "lsrec"], { CONTRAST_DATA_DIR: data });
  assert.equal(r.code, 0, r.err + r.out);
  assert.match(r.out, /\* csv\s+CsvRecorder\s+alive/);
  assert.equal(readFileSync(join(data, "000001.csv"), "utf8"), "m,d\n0,0\n0.5,0.05\n1,0.1\n# finished\n");
});
