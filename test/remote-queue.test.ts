/**
 * The macro queue in the real shell (tmux): qadd checks a line when it is
 * queued, qstart runs it, qhist tells how it ended, and the queue and its
 * history outlive the shell, a kill -9 included.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TmuxShell, PROMPT } from "./helpers/tmux.ts";
import { scanFileSummary } from "./helpers/recorders.ts";
import { needsH5py } from "./helpers/system.ts";
import { contrast } from "./helpers/cli.ts";

/** A data directory that outlives the shells of one test. */
function dataDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "contrast-queue-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function shell(t: TestContext, dir: string): Promise<TmuxShell> {
  const s = TmuxShell.start({ env: { CONTRAST_STREAM: "tcp://127.0.0.1:0", CONTRAST_DATA_DIR: dir } });
  t.after(() => s.kill());
  await s.waitFor(PROMPT, "the first prompt");
  return s;
}

/** The screen from the last time `marker` was typed. */
function since(screen: string, marker: string): string {
  return screen.slice(screen.lastIndexOf(marker));
}

test("qadd checks a line when it is queued; qls, qmv, qrm and qclear edit the queue", async (t) => {
  const s = await shell(t, dataDir(t));
  assert.match(await s.run('qadd "ascan samx 0 1 5 0.1"'), /queued #1 at position 1: ascan samx 0 1 5 0.1/);
  assert.match(await s.run('qadd "dscan samy -1 1 4 0.1"'), /queued #2 at position 2/);

  const typo = since(await s.run('qadd "ascan samx 0 1 5"'), 'qadd "ascan samx 0 1 5"');
  assert.match(typo, /ascan: needs <motor> <start> <stop> triples/);
  assert.match(typo, /^ascan <motor1> <start> <stop>/m, "the usage is shown");
  assert.match(since(await s.run('qadd "acsan samx 0 1 5 0.1"'), 'qadd "acsan'), /no macro named 'acsan'/);
  assert.match(since(await s.run('qadd "ascan nosuchmotor 0 1 5 0.1"'), 'qadd "ascan nosuchmotor'), /motor must be a motor/);
  assert.match(since(await s.run('qadd "qstart"'), 'qadd "qstart"'), /cannot be queued/);

  assert.match(await s.run('qadd "wm samx" 1'), /queued #3 at position 1: wm samx/);
  let list = since(await s.run("qls"), "qls");
  assert.match(list, /queue stopped[^\n]*\n\s+1\. #3\s+wm samx\n\s+2\. #1\s+ascan samx 0 1 5 0\.1\n\s+3\. #2\s+dscan/);
  await s.run("qmv 2 1");
  await s.run("qrm 3");
  list = since(await s.run("qls"), "qls");
  assert.match(list, /\n\s+1\. #2\s+dscan samy -1 1 4 0\.1\n\s+2\. #1\s+ascan samx/);
  assert.doesNotMatch(list, /wm samx/);
  assert.match(since(await s.run("qrm 9"), "qrm 9"), /no item #9 in the queue/);
  assert.match(await s.run("qclear"), /removed 2 items/);
  assert.match(since(await s.run("qls"), "qls"), /\(empty\)/);
});

test("qstart runs the queue; qhist shows each item's scan number and status, and h5py reads the scans", async (t) => {
  const dir = dataDir(t);
  const s = await shell(t, dir);
  await s.run('qadd "ascan samx 0 1 3 0.05"');
  await s.run('qadd "ascan samy 0 1 2 0.05"');
  await s.run('qadd "ascan samy 0 100 2 0.05"'); // outside the limits: fails, and stops the queue
  await s.run('qadd "ascan samx 0 1 2 0.05"');
  s.type("qstart");
  await s.waitFor(/queue stopped: item #3 failed/, "the queue to stop at the failing item");
  const hist = since(await s.run("qhist"), "qhist");
  assert.match(hist, /#1\s+\S+\s+finished\s+scan #1\s+ascan samx 0 1 3 0\.05/);
  assert.match(hist, /#2\s+\S+\s+finished\s+scan #2\s+ascan samy 0 1 2 0\.05/);
  assert.match(hist, /#3\s+\S+\s+failed\s+ascan samy 0 100 2 0\.05: .*limit/);
  assert.match(since(await s.run("qls"), "qls"), /queue stopped[^\n]*\n\s+1\. #4\s+ascan samx 0 1 2/);
  if (needsH5py()) return;
  const scan1 = scanFileSummary(join(dir, "000001.h5"));
  assert.equal(scan1.status, "finished");
  assert.equal(scan1.rows.samx, 4);
  assert.equal(scanFileSummary(join(dir, "000002.h5")).rows.samy, 3);
});

test("the queue and its history survive a restart, and the queue does not start by itself", async (t) => {
  const dir = dataDir(t);
  const first = await shell(t, dir);
  await first.run('qadd "ascan samx 0 1 2 0.05"');
  first.type("qstart");
  await first.waitFor(/scan #1 finished/, "the first item");
  await first.run('qadd "ascan samx 0 1 4 0.05"');
  await first.run('qadd "mv samx 0.5"');
  first.keys("C-d");
  assert.equal(await first.waitForExit(), 0);

  const second = await shell(t, dir);
  const list = since(await second.run("qls"), "qls");
  assert.match(list, /queue stopped[^\n]*\n\s+1\. #2\s+ascan samx 0 1 4 0\.05\n\s+2\. #3\s+mv samx 0\.5/);
  assert.match(since(await second.run("qhist"), "qhist"), /#1\s+\S+\s+finished\s+scan #1/);
  await new Promise((r) => setTimeout(r, 1000));
  assert.doesNotMatch(second.screen(), /scan #2/, "nothing ran by itself");
  second.type("qstart");
  await second.waitFor(/queue: item #3: mv samx 0\.5/, "the second item");
  let hist = "";
  for (let i = 0; i < 50 && !/#3\s+\S+\s+finished/.test(hist); i++) hist = since(await second.run("qhist"), "qhist");
  assert.match(hist, /#2\s+\S+\s+finished\s+scan #2\s+ascan samx 0 1 4 0\.05\n#3\s+\S+\s+finished\s+mv samx 0\.5/);
});

test("an item running when the shell is killed (kill -9) is marked interrupted at the next start", async (t) => {
  const dir = dataDir(t);
  const first = await shell(t, dir);
  await first.run('qadd "ascan samx 0 1 200 0.1"');
  await first.run('qadd "ascan samx 0 1 2 0.05"');
  first.type("qstart");
  await first.waitFor(/^\s+2\s+0\.0100\s/m, "the third point");
  const { pid } = JSON.parse(readFileSync(join(dir, "remote.json"), "utf8")) as { pid: number };
  process.kill(pid, "SIGKILL");
  await first.waitForExit();

  const second = await shell(t, dir);
  assert.match(second.screen(), /queue: item #1 \(ascan samx 0 1 200 0\.1\) was running when the shell ended: marked interrupted/);
  assert.match(since(await second.run("qhist"), "qhist"), /#1\s+\S+\s+interrupted\s+scan #1\s+ascan samx 0 1 200 0\.1/);
  assert.match(since(await second.run("qls"), "qls"), /queue stopped[^\n]*\n\s+1\. #2\s+ascan samx 0 1 2 0\.05/);
});

test("contrast -c qstart runs the queue to its end and exits 1 when an item failed", async (t) => {
  const dir = dataDir(t);
  const env = { CONTRAST_DATA_DIR: dir, CONTRAST_STREAM: "tcp://127.0.0.1:0" };
  const good = await contrast(["beamlines/sim.ts", "-c", 'qadd "ascan samx 0 1 2 0.05"', "-c", "qstart", "-c", "qhist"], env);
  assert.equal(good.code, 0, good.out + good.err);
  assert.match(good.out, /scan #1 finished \(3 points\)\n[\s\S]*#1\s+\S+\s+finished\s+scan #1\s+ascan samx 0 1 2 0\.05/);
  const bad = await contrast(["beamlines/sim.ts", "-c", 'qadd "ascan samy 0 10 2 0.05"', "-c", 'qadd "wm samx"', "-c", "qstart"], env);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /error: queue stopped: item #2 failed/);
  assert.doesNotMatch(bad.out, /queue: item #3/, "the queue stops at the failed item");
});
