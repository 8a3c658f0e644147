/**
 * Limits and numbers a user types, and the messages that help, seen as the
 * user sees them: in the real shell under tmux, or through `contrast -c`.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TmuxShell, PROMPT, ROOT } from "./helpers/tmux.ts";
import { contrast, scriptDir } from "./helpers/cli.ts";
import { tempDir } from "./helpers/beamline.ts";
import { readScanFile } from "./helpers/recorders.ts";
import { needsH5py } from "./helpers/system.ts";

const STREAM = { CONTRAST_STREAM: "tcp://127.0.0.1:0" };

async function shell(t: TestContext, command?: string[]): Promise<TmuxShell> {
  const s = TmuxShell.start({ env: STREAM, command });
  t.after(() => s.kill());
  await s.waitFor(PROMPT, "the first prompt");
  return s;
}

/** What the shell printed for the line last typed. */
async function run(s: TmuxShell, line: string): Promise<string> {
  const screen = await s.run(line);
  return screen.slice(screen.lastIndexOf(`contrast> ${line}`));
}

test("a scan over a pseudo motor checks its blades' limits at every point before anything moves", { skip: needsH5py() }, async (t) => {
  const s = await shell(t);
  const out = await run(s, "ascan s1gap 0 20 2 0");
  assert.match(out, /point 2: s1gap 20 needs s1l: target -10 is outside the limits \[-5, 5\]; nothing moved/);
  assert.doesNotMatch(out, /scan #1|^\s+0\s/m, "no scan started, no point recorded");
  assert.match(out, /\[1\] contrast> $/m, "no scan number used up");
  assert.match(await run(s, "wm s1l s1r"), /s1l\s+-0\.500\s+\[-5\.000, 5\.000\]\s+-0\.500[\s\S]*s1r\s+0\.500\s+\[-5\.000, 5\.000\]\s+0\.500/);
  assert.equal(existsSync(join(s.dataDir, "000001.h5")), false);
  // the same for a move, and one inside the limits works
  assert.match(await run(s, "mv s1gap 12"), /error: s1gap 12 needs s1l: target -6 is outside the limits \[-5, 5\]\n/);
  assert.match(await run(s, "ascan s1gap 1 4 3 0"), /scan #1 finished \(4 points\)/);
  const f = readScanFile(join(s.dataDir, "000001.h5"));
  assert.deepEqual((f.values["entry/measurement/s1gap"] as number[]).map((x) => +x.toFixed(6)), [1, 2, 3, 4]);
});

test("non-finite targets and positions are refused with the usage, and nothing changes", async (t) => {
  const s = await shell(t);
  for (const line of ["mv samx inf", "mv samx 1e309", "umv samx -inf", "mvr samx 1e400", "mv samx 2*inf"]) {
    const out = await run(s, line);
    assert.match(out, /position for samx must be a finite number \(got -?Infinity\)/, line);
    assert.match(out, /Moves motors|Like mv/, `${line}: the usage follows`);
  }
  assert.match(await run(s, "setpos samx inf"), /setpos: position for samx must be a finite number \(got Infinity\)\nsetpos <motor1> <position1>/);
  assert.match(await run(s, "ascan samx 0 inf 2 0"), /ascan: stop must be a finite number \(got Infinity\)\nascan <motor1>/);
  assert.match(await run(s, "mesh samx 0 1e309 2 samy 0 1 2 0"), /point 0: samx: target NaN is not a finite number; nothing moved|must be a finite number/);
  assert.match(await run(s, "setlim samx inf inf"), /samx: limits must be numbers, -inf and inf leave a side open/);
  assert.match(await run(s, "setlim samx 0/0 1"), /setlim: low for samx must be a number \(got NaN\)\nsetlim <motor1>/);
  assert.match(await run(s, "wm samx"), /^samx\s+0\.000\s+0\.000$/m, "no limits: none shown");
  assert.equal(readdirSync(s.dataDir).filter((f) => f.endsWith(".h5")).length, 0);
  // open limits stay possible
  assert.match(await run(s, "setlim samx -inf 3"), /samx limits now \[-inf, 3\.000\]/);
});

test("bad paths, scan numbers and live plot keys are refused with the usage", async () => {
  const dir = tempDir();
  const cases: [string, RegExp][] = [
    ['path ""', /path: directory must not be empty\npath \[<directory> \[<next scan number>\]\]/],
    [`path ${dir} -1`, /path: next scan number must be a whole number >= 0 \(got -1\)\npath \[<directory>/],
    ["liveplot counter/nokey", /liveplot: counter has no key nokey \(it has counts, monitor, ratio\)\nliveplot \[<x>\] <y>/],
  ];
  for (const [line, expected] of cases) {
    const r = await contrast(["beamlines/sim.ts", "-c", line], { ...STREAM, CONTRAST_DATA_DIR: dir });
    assert.equal(r.code, 1, line);
    assert.match(r.out + r.err, expected, line);
  }
  const r = await contrast(["beamlines/sim.ts", "-c", `path ${dir} 40`, "-c", "ascan samx 0 1 1 0"], { ...STREAM, CONTRAST_DATA_DIR: dir });
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /next scan #40\)[\s\S]*scan #40 finished/);
});

test("help, ?name, # comments and wms answer at the prompt", async (t) => {
  const s = await shell(t);
  const help = await run(s, "help");
  assert.match(help, /^ascan\s+ascan <motor1> <start> <stop>/m);
  assert.match(help, /^wms\s+wms <motor1>/m);
  assert.match(help, /help NAME \(or NAME\?\) shows one macro's usage/);
  for (const line of ["?ascan", "ascan?", "help ascan"]) assert.match(await run(s, line), /ascan <motor1> <start> <stop>[\s\S]*Scans one or more motors together/, line);
  assert.doesNotMatch(await run(s, "mv samx 0.5 samy 0.25 # to the spot"), /error|usage|too many/i);
  assert.match(await run(s, "wms samx samy"), /^samx 0\.500   samy 0\.250$/m);
  assert.match(await run(s, "ascan samx 0 1 2 0 # a first look"), /scan #1 finished \(3 points\)/);
  assert.match(await run(s, 'mv samx 1 samy "#2"'), /position for samy must be a number \(got "#2"\)/, "a quoted # is not a comment");
});

test("deactivate * skips motors; lsdet counts hidden active detectors; a pseudo detector names its inactive input", async (t) => {
  const setup = join(scriptDir(t), "hidden-detector.ts");
  writeFileSync(setup, `
import ${JSON.stringify(join(ROOT, "beamlines/sim.ts"))};
import { DummyDetector } from "contrast";
new DummyDetector({ name: "hidden", userLevel: 5 });`);
  const s = await shell(t, ["node", "bin/contrast.js", setup]);
  const ls = await run(s, "lsdet");
  assert.doesNotMatch(ls, /hidden/);
  assert.match(ls, /and 1 active detector above user level 3, not shown/);
  assert.match(await run(s, "activate hidden"), /hidden needs user level 5 \(the level now is 3/);
  assert.doesNotMatch(await run(s, "deactivate *"), /must be a detector|error/);
  const after = await run(s, "lsdet");
  assert.doesNotMatch(after, /^\* /m, "every visible detector is inactive");
  assert.match(after, /and 1 active detector above user level 3/, "the hidden one is left alone");
  assert.match(await run(s, "deactivate samx"), /detector must be a detector \(got samx\)/, "a motor named in full is an error");
  await run(s, "activate norm counter");
  const ct = await run(s, "ct 0.01");
  assert.match(ct, /norm: 'det \/ counter\.monitor' needs det, which is not active \(activate det, or deactivate norm\)/);
  assert.doesNotMatch(ct, /determinant|Matrix/i);
});

test("rmbook with no name asks at the prompt: n keeps the bookmarks, y removes them all; wms returns a number", async (t) => {
  const s = await shell(t);
  assert.match(await run(s, "bookmark a samx samy"), /bookmark a: samx 0\.000   samy 0\.000/);
  await run(s, "bookmark b samx");
  s.type("rmbook");
  await s.waitFor(/remove all 2 bookmarks \(a, b\)\? \[y\/N\] $/m, "the question");
  s.type("n", false);
  await s.waitFor(/\[y\/N\] n\nnothing removed\n\[\d+\] contrast> $/m, "the answer no");
  assert.match(await run(s, "lsbook"), /^a\s[\s\S]*^b\s/m);
  s.type("rmbook");
  await s.waitFor(/\[y\/N\] $/m, "the question again");
  s.type("y", false);
  await s.waitFor(/\[y\/N\] y\nremoved all 2 bookmarks\n\[\d+\] contrast> $/m, "the answer yes");
  assert.match(await run(s, "lsbook"), /no bookmarks/);
  // a NanoMAX-style script reads a position as a float
  assert.match(await run(s, 'await runCommand("wms energy"); [typeof env.lastMacroResult, env.lastMacroResult]'), /\[ 'number', 10 \]/);
});

test("at the prompt: shortcuts are listed and explained without running, extra words refused; an unknown word says no macro, a comment is nothing", async (t) => {
  const setup = join(scriptDir(t), "shortcuts.ts");
  writeFileSync(setup, `
import ${JSON.stringify(join(ROOT, "beamlines/sim.ts"))};
import { env } from "contrast";
env.shortcuts.set("there", "mv samx 2");`);
  const s = await shell(t, ["node", "bin/contrast.js", setup]);
  for (const line of ["there?", "?there", "help there"]) {
    assert.match(await run(s, line), /there is a shortcut for: mv samx 2\nIt takes no arguments\. It runs mv: mv <motor1> <position1>/, line);
  }
  assert.match(await run(s, "wms samx"), /^samx 0\.000$/m, "explaining did not move samx");
  assert.match(await run(s, "there 3"), /there is a shortcut for 'mv samx 2' and takes no arguments \(got '3'\); nothing was run/);
  assert.match(await run(s, "wms samx"), /^samx 0\.000$/m);
  assert.match(await run(s, "lsmac"), /^shortcuts \(each runs its line; help NAME explains it\):\nthere\s+= mv samx 2$/m);
  assert.doesNotMatch(await run(s, "there"), /error/);
  assert.match(await run(s, "wms samx"), /^samx 2\.000$/m);
  const typo = await run(s, "mvd samx 1");
  assert.match(typo, /no macro named 'mvd' \(did you mean mv, mvr\? lsmac lists them\)/);
  assert.doesNotMatch(typo, /SyntaxError|Unexpected/);
  const comment = await run(s, "# only a comment");
  assert.doesNotMatch(comment, /error|SyntaxError|Invalid/i);
  assert.match(comment, /# only a comment\n\[\d+\] contrast> $/m);
  assert.match(await run(s, "1 + 1"), /^2$/m, "JavaScript still works");
});
