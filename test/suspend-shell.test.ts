/** The real shell under tmux: a simulated beam loss suspends the scan and says so; Ctrl-P pauses and resumes it. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { TmuxShell, PROMPT } from "./helpers/tmux.ts";
import { needs, needsH5py, SYSTEM_PYTHON } from "./helpers/system.ts";
import { existsSync } from "node:fs";

const skip = needs("tmux", existsSync("/usr/bin/tmux")) || needsH5py();

/** measurement/samx and the number of suspensions, with their reasons, as h5py reads them. */
function fileOf(dir: string, scannr: number): { samx: number[]; det: number[]; reasons: string[] } {
  const py = `import h5py, json, sys
e = h5py.File(sys.argv[1], "r")["entry"]
r = [x.decode() if isinstance(x, bytes) else x for x in e["suspensions/reason"][()]] if "suspensions" in e else []
print(json.dumps({"samx": e["measurement/samx"][()].tolist(), "det": e["measurement/det"][()].tolist(), "reasons": r}))`;
  return JSON.parse(execFileSync(SYSTEM_PYTHON, ["-c", py, join(dir, `${String(scannr).padStart(6, "0")}.h5`)], { encoding: "utf8" })) as never;
}

test("beamloss during an ascan in the shell: suspended and why (status line too), resumed, every point with beam in the file", { skip }, async () => {
  const s = TmuxShell.start({ env: { CONTRAST_STREAM: "tcp://127.0.0.1:0" } });
  try {
    await s.waitFor(PROMPT, "the prompt");
    await s.run("mv samy 0.5");
    await s.run("ascan samx 0 1 2 0", 120_000); // the recorders are running: the next scan starts at once
    await s.run("beamloss 1 1");
    const before = s.prompts();
    s.type("ascan samx 0 1 12 0.3");
    await s.waitFor(/SUSPENDED: beam lost \(simulated\)/, "the status line saying suspended");
    const screen = await s.waitForPrompt(before, 120_000);
    assert.match(screen, /scan #(\d+) suspended at point \d+: beam lost \(simulated\)/);
    assert.match(screen, /scan #\d+ resumed after [\d.]+ s: taking point \d+ again/);
    const nr = Number(/scan #(\d+) finished \(13 points\)/.exec(screen)?.[1]);
    assert.ok(nr >= 0, screen);
    const f = fileOf(s.dataDir, nr);
    assert.equal(f.samx.length, 13);
    f.samx.forEach((x, i) => assert.ok(Math.abs(x - i / 12) < 1e-9, `point ${i} at ${x}, once and in order`));
    for (const v of f.det) assert.ok(v > 2 * 10 * 0.3, `det ${v} is more than the background`);
    assert.deepEqual(f.reasons, ["beam lost (simulated)"]);
  } finally {
    s.kill();
  }
});

test("Ctrl-P during a scan pauses it (the status line says so) and Ctrl-P again resumes it", { skip }, async () => {
  const s = TmuxShell.start({ env: { CONTRAST_STREAM: "tcp://127.0.0.1:0" } });
  try {
    await s.waitFor(PROMPT, "the prompt");
    const before = s.prompts();
    s.type("ascan samx 0 1 10 0.2");
    await s.waitFor(/\^P pause/, "the status line with the pause key");
    s.keys("C-p");
    await s.waitFor(/paused before point \d+: the motors stay where they are/, "the pause");
    await s.waitFor(/PAUSED \(\^P resumes\)/, "the status line saying paused");
    s.keys("C-p");
    const screen = await s.waitForPrompt(before, 120_000);
    assert.match(screen, /scan #\d+ resumed/);
    const nr = Number(/scan #(\d+) finished \(11 points\)/.exec(screen)?.[1]);
    assert.ok(nr >= 0, screen);
    const f = fileOf(s.dataDir, nr);
    assert.deepEqual(f.samx, Array.from({ length: 11 }, (_, i) => i / 10));
    assert.deepEqual(f.reasons, ["paused"]);
  } finally {
    s.kill();
  }
});
