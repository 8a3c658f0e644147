/** Fly scans in the real shell on the simulated beamline (tmux): Ctrl-C mid-line. */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { TmuxShell, PROMPT } from "./helpers/tmux.ts";
import { scanFileSummary } from "./helpers/recorders.ts";
import { needsH5py } from "./helpers/system.ts";

async function shell(t: TestContext): Promise<TmuxShell> {
  const s = TmuxShell.start({ env: { CONTRAST_STREAM: "tcp://127.0.0.1:0" } });
  t.after(() => s.kill());
  await s.waitFor(PROMPT, "the first prompt");
  return s;
}

function since(screen: string, marker: string): string {
  return screen.slice(screen.lastIndexOf(marker));
}

async function position(s: TmuxShell, motor: string): Promise<number> {
  const wm = since(await s.run(`wm ${motor}`), `wm ${motor}`);
  return Number(new RegExp(`^${motor}\\s+(\\S+)`, "m").exec(wm)?.[1]);
}

test("Ctrl-C mid-line stops the stage and the box at once; footer interrupted; a relative fly scan goes back",
  { skip: needsH5py(), timeout: 240_000 }, async (t) => {
    const s = await shell(t);
    await s.run("deactivate cam");
    // lines of 200 x 5.1 ms: about a second each
    s.type("flyscan pzx 10 90 199 pzy 0 50 5 0.005");
    await s.waitFor(/^\s+0\s+\(200,\)\s+0\s/m, "the first line");
    await sleep(400);
    let before = s.prompts();
    s.keys("C-c");
    let screen = await s.waitForPrompt(before);
    assert.match(screen, /scan #1 interrupted/);
    const x = await position(s, "pzx");
    assert.ok(x > 10 && x < 90, `the waveform stopped mid-line (pzx at ${x})`);
    await sleep(300);
    assert.equal(await position(s, "pzx"), x, "and stays stopped");
    assert.doesNotMatch(since(await s.run("ct 0.01"), "ct 0.01"), /busy/, "the box and the detectors are idle");
    assert.equal(scanFileSummary(join(s.dataDir, "000001.h5")).status, "interrupted");

    await s.run("umv pzx 50 pzy 30");
    s.type("dflyscan pzx -30 30 199 pzy -10 10 5 0.005");
    await s.waitFor(/^\s+0\s+\(200,\)\s+20\s/m, "the first line");
    await sleep(400);
    before = s.prompts();
    s.keys("C-c");
    screen = await s.waitForPrompt(before);
    assert.match(screen, /scan #2 interrupted/);
    assert.equal(await position(s, "pzx"), 50);
    assert.equal(await position(s, "pzy"), 30);
    assert.equal(scanFileSummary(join(s.dataDir, "000002.h5")).status, "interrupted");
    const ascan = since(await s.run("ascan pzy 0 10 2 0.01"), "ascan pzy");
    assert.match(ascan, /scan #3 finished \(3 points\)/);
    assert.match(ascan, /^\s+2\s+10\s+0\.\d+\s+\(100,\)/m, "det gives one number per point again, spec one spectrum");
  });
