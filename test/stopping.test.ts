/**
 * The user can always stop what runs: Ctrl-C on a procedure (imported at the
 * prompt, or run from the command line), on a scan whose points are big,
 * many Ctrl-C in a row, SIGTERM without a prompt. The real shell in tmux,
 * the files read back with h5py.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { TmuxShell, PROMPT, ROOT } from "./helpers/tmux.ts";
import { scanFileSummary } from "./helpers/recorders.ts";
import { scriptDir } from "./helpers/cli.ts";
import { tempDir } from "./helpers/beamline.ts";
import { needsH5py, runPython } from "./helpers/system.ts";

const INDEX = join(ROOT, "src", "index.ts");

async function shell(t: TestContext, command?: string[], waitForPrompt = true): Promise<TmuxShell> {
  const s = TmuxShell.start({ env: { CONTRAST_STREAM: "tcp://127.0.0.1:0" }, command });
  t.after(() => s.kill());
  if (waitForPrompt) await s.waitFor(PROMPT, "the first prompt");
  return s;
}

function since(screen: string, marker: string): string {
  return screen.slice(screen.lastIndexOf(marker));
}

/** A procedure: a relative scan, then a line that must not run once Ctrl-C stopped the scan. */
function procedure(t: TestContext): string {
  const file = join(scriptDir(t), "proc.ts");
  writeFileSync(file, [
    `import { runCommand, env } from ${JSON.stringify(INDEX)};`,
    `await runCommand("umv samx 0.3");`,
    `await runCommand("dscan samx -1 1 100 0.1");`,
    `env.print("the procedure went on");`,
    `await runCommand("mv samx 3");`,
  ].join("\n"));
  return file;
}

/** Where samx was before and after the scan, from the file's snapshots. */
function samxSnapshots(file: string): { pre: number; post: number } {
  return runPython(String.raw`
import h5py, json, sys
s = h5py.File(sys.argv[1], "r")["entry/snapshots"]
print(json.dumps({"pre": float(s["pre_scan/samx"][()]), "post": float(s["post_scan/samx"][()])}))
`, [file]);
}

test("Ctrl-C stops a procedure imported at the prompt: scan interrupted and returned, lines typed ahead dropped, the procedure's next line not run", { skip: needsH5py() }, async (t) => {
  const proc = procedure(t);
  const s = await shell(t);
  s.type(`await import(${JSON.stringify(proc)})`);
  await s.waitFor(/^\s+3\s+-0\.6400\s/m, "point 3 of the procedure's scan");
  // typed during the procedure's scan: they wait, never run beside it, and Ctrl-C drops them
  s.type("mv samx 3");
  s.type("wm samy");
  const before = s.prompts();
  s.keys("C-c");
  const screen = since(await s.waitForPrompt(before), "await import");
  assert.match(screen, /scan #1 interrupted/);
  assert.match(screen, /\^C 2 lines typed ahead discarded/);
  assert.doesNotMatch(screen, /the procedure went on/);
  assert.match(since(await s.run("wm samx"), "wm samx"), /^samx\s+0\.300\s/m, "returned to its start, and neither mv ran");
  const file = join(s.dataDir, "000001.h5");
  assert.equal(scanFileSummary(file).status, "interrupted");
  assert.deepEqual(samxSnapshots(file), { pre: 0.3, post: 0.3 });
  assert.match(since(await s.run("1+1"), "1+1"), /^2$/m, "the shell goes on");
});

test("contrast SETUP PROCEDURE: Ctrl-C stops the procedure's scan with its clean-up, the next line does not run, the exit status is 130", { skip: needsH5py() }, async (t) => {
  const proc = procedure(t);
  const s = await shell(t, ["node", "bin/contrast.js", "beamlines/sim.ts", proc], false);
  await s.waitFor(/^\s+3\s+-0\.6400\s/m, "point 3 of the procedure's scan");
  s.keys("C-c");
  assert.equal(await s.waitForExit(), 130);
  const screen = s.screen();
  assert.match(screen, /scan #1 interrupted/);
  assert.doesNotMatch(screen, /the procedure went on|scan #2/);
  const file = join(s.dataDir, "000001.h5");
  assert.equal(scanFileSummary(file).status, "interrupted");
  assert.deepEqual(samxSnapshots(file), { pre: 0.3, post: 0.3 });
});

test("a procedure run from the command line that ends exits 0, one that fails exits 1", async (t) => {
  const dir = scriptDir(t);
  const good = join(dir, "good.ts");
  const bad = join(dir, "bad.ts");
  writeFileSync(good, `import { runCommand } from ${JSON.stringify(INDEX)};\nawait runCommand("mv samx 1");\nawait runCommand("wm samx");\n`);
  writeFileSync(bad, `import { runCommand } from ${JSON.stringify(INDEX)};\nawait runCommand("mv samy 9");\nawait runCommand("wm samx");\n`);
  const data = tempDir();
  const ok = await run(["beamlines/sim.ts", good], data);
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.out, /^samx\s+1\.000\s/m);
  const failed = await run(["beamlines/sim.ts", bad], data);
  assert.equal(failed.code, 1, failed.out);
  assert.match(failed.out, /samy: target 9 is outside the limits/);
  assert.doesNotMatch(failed.out, /^samx\s/m);
});

test("Ctrl-C stops a scan whose points are big images at once, not after its last point", { skip: needsH5py() }, async (t) => {
  const setup = join(scriptDir(t), "bigcam.ts");
  writeFileSync(setup, [
    `import ${JSON.stringify(join(ROOT, "beamlines", "sim.ts"))};`,
    `import { Dummy2dDetector } from ${JSON.stringify(INDEX)};`,
    `new Dummy2dDetector({ name: "bigcam", shape: [1024, 1024] });`,
  ].join("\n"));
  const s = await shell(t, ["node", "bin/contrast.js", setup]);
  s.type("loopscan 400 0");
  await s.waitFor(/^\s+5\s/m, "point 5");
  const before = s.prompts();
  s.keys("C-c");
  const screen = since(await s.waitForPrompt(before), "loopscan 400 0");
  const points = Number(/scan #1 interrupted \((\d+) points\)/.exec(screen)?.[1]);
  assert.ok(points >= 6 && points < 200, `stopped after ${points} of 400 points`);
  const summary = scanFileSummary(join(s.dataDir, "000001.h5"));
  assert.equal(summary.status, "interrupted");
  assert.equal(summary.rows.bigcam, points);
});

test("five Ctrl-C during a scan, and more at the idle prompt, never close the shell; exit does", async (t) => {
  const s = await shell(t);
  await s.run("umv samx 0.3");
  s.type("dscan samx -1 1 100 0.1");
  await s.waitFor(/^\s+3\s+-0\.6400\s/m, "point 3");
  for (let i = 0; i < 5; i++) s.keys("C-c");
  await s.waitFor(/scan #1 interrupted/);
  // answers rather than prompts are waited for: the presses that reach the idle prompt draw prompts too
  s.type("20+1");
  await s.waitFor(/^21$/m, "20+1 answered");
  const hint = /\(Ctrl-D or exit leaves the shell\)/g;
  const hints = s.count(hint);
  s.type("1+", false);
  for (let i = 0; i < 3; i++) s.keys("C-c");
  await s.waitFor((x) => (x.match(hint)?.length ?? 0) >= hints + 2, "the hint");
  assert.equal(s.exitStatus(), null, "still running");
  s.type("40+2");
  await s.waitFor(/^42$/m, "40+2 answered");
  // an unfinished statement: Ctrl-C drops it, as Node does
  s.type("{");
  await s.waitFor(/^\.\.\. $/m, "the continuation prompt");
  s.keys("C-c");
  s.type("6*8");
  await s.waitFor(/^48$/m, "6*8 answered");
  s.type("exit");
  assert.equal(await s.waitForExit(), 0);
});

test("one macro at a time: one started from a script while another runs is refused, one typed at the prompt waits its turn", async (t) => {
  const s = await shell(t);
  s.type(`setTimeout(() => runCommand("dscan samx -1 1 30 0.1"), 0); setTimeout(() => runCommand("mv samx 3").catch((e) => env.print(e.message)), 1000); undefined`);
  await s.waitFor(/'mv samx 3' not started: 'dscan samx -1 1 30 0\.1' is running \(one macro at a time\)/, "the refusal");
  const screen = since(await s.run("wm samx"), "wm samx");
  assert.match(screen, /waiting for 'dscan samx -1 1 30 0\.1' to finish/);
  assert.match(screen, /scan #1 finished \(31 points\)[\s\S]*^samx\s+0\.000\s/m, "wm ran after the scan, which returned samx to 0; mv never ran");
});

test("a macro that does not respond: the third Ctrl-C gives the prompt back, and no other macro starts beside it", async (t) => {
  const s = await shell(t);
  await s.run(`defineMacro("hang", "hang: never ends", () => new Promise(() => {}))`);
  s.type("hang");
  await s.waitFor((x) => x.trimEnd().endsWith("hang"), "the line taken");
  const before = s.prompts();
  for (let i = 0; i < 3; i++) s.keys("C-c");
  assert.match(since(await s.waitForPrompt(before), "hang"), /stopped waiting for the macro; it may still be running/);
  const waiting = s.prompts();
  s.type("mv samx 1");
  await s.waitFor(/waiting for 'hang' to finish \(Ctrl-C stops waiting\)/);
  s.keys("C-c");
  assert.match(since(await s.waitForPrompt(waiting), "mv samx 1"), /^interrupted$/m);
  assert.match(since(await s.run("await samx.position()"), "samx.position"), /^0$/m, "mv never ran; JavaScript still does");
});

test("SIGTERM stops a -c scan like Ctrl-C: footer interrupted, files closed, exit status 143", { skip: needsH5py() }, async () => {
  const data = tempDir();
  const child = spawn(process.execPath, ["bin/contrast.js", "beamlines/sim.ts", "-c", "umv samx 0.3", "-c", "dscan samx -1 1 100 0.1", "-c", "mv samx 3"], {
    cwd: ROOT, env: { ...process.env, FORCE_COLOR: "0", CONTRAST_DATA_DIR: data, CONTRAST_STREAM: "tcp://127.0.0.1:0" }, stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const ended = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  await new Promise<void>((resolve) => child.stdout.on("data", (d) => {
    out += d;
    if (/^\s+3\s+-0\.6400\s/m.test(out)) resolve();
  }));
  child.kill("SIGTERM");
  assert.equal(await ended, 143, out);
  assert.match(out, /scan #1 interrupted/);
  assert.doesNotMatch(out, /samx 3/);
  const file = join(data, "000001.h5");
  assert.equal(scanFileSummary(file).status, "interrupted");
  assert.deepEqual(samxSnapshots(file), { pre: 0.3, post: 0.3 });
});

/** `contrast ARGS` without a terminal. */
function run(args: string[], data: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["bin/contrast.js", ...args], {
      cwd: ROOT, env: { ...process.env, FORCE_COLOR: "0", CONTRAST_DATA_DIR: data, CONTRAST_STREAM: "tcp://127.0.0.1:0" }, stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => resolve({ code, out }));
  });
}
