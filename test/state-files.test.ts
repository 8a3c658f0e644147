/**
 * The shell's state files (.contrast-motors.json, .contrast-scan-id.json) when
 * they are corrupt, hand-edited, or cannot be written: the shell starts, says
 * which file and which field, moves the bad file aside, never goes back in its
 * scan numbering, and a change it cannot save is not made.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TmuxShell, PROMPT } from "./helpers/tmux.ts";
import { contrast } from "./helpers/cli.ts";
import { tempDir } from "./helpers/beamline.ts";
import { readScanFile } from "./helpers/recorders.ts";
import { needsH5py } from "./helpers/system.ts";

const MEMORY = ".contrast-motors.json";
const SCAN_ID = ".contrast-scan-id.json";
const STREAM = { CONTRAST_STREAM: "tcp://127.0.0.1:0" };

async function shell(t: TestContext, dataDir: string): Promise<TmuxShell> {
  // the history goes elsewhere: an open file would keep the data directory from being remounted read-only
  const s = TmuxShell.start({ env: { ...STREAM, CONTRAST_DATA_DIR: dataDir, CONTRAST_HISTORY: join(tempDir(), "history") } });
  t.after(() => s.kill());
  await s.waitFor(PROMPT, "the first prompt");
  return s;
}

/** The part of the screen after the last time `marker` was typed. */
function since(screen: string, marker: string): string {
  return screen.slice(screen.lastIndexOf(marker));
}

function movedAside(dir: string, name: string): string[] {
  return readdirSync(dir).filter((f) => f.startsWith(`${name}.corrupt-`));
}

/** A small tmpfs of its own at a fresh directory, unmounted when the test ends; a skip reason where mount is not allowed. */
function tmpfs(t: TestContext, size = "1m"): string | null {
  const dir = mkdtempSync(join(tmpdir(), "contrast-tmpfs-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "pipe" });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    t.skip(`mount is not allowed here (${String(e).split("\n")[0]})`);
    return null;
  }
  t.after(() => {
    execFileSync("umount", ["-l", dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

test("a truncated motor memory file is moved aside, the shell starts and names the file", async (t) => {
  const dir = tempDir();
  const text = '{\n  "motors": {\n    "samx": {\n      "offset": 0.25,\n      "dialLi';
  writeFileSync(join(dir, MEMORY), text);
  const s = await shell(t, dir);
  assert.match(s.screen(), new RegExp(`warning: ${join(dir, MEMORY).replace(/[.]/g, "\\.")}: not valid JSON .*moved aside to .*${MEMORY.replace(/[.]/g, "\\.")}\\.corrupt-`));
  const aside = movedAside(dir, MEMORY);
  assert.equal(aside.length, 1);
  assert.equal(readFileSync(join(dir, aside[0]), "utf8"), text, "the corrupt file is kept, unchanged, for the user to look at");
  // the shell works, and remembers again
  assert.match(since(await s.run("setlim samx -2 2"), "setlim samx"), /samx limits now \[-2\.000, 2\.000\]/);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, MEMORY), "utf8")).motors.samx, { offset: 0, dialLimits: [-2, 2] });
});

test("hand-edited fields in the motor memory are named, and nothing of the file is applied", async (t) => {
  const cases: [unknown, RegExp][] = [
    [{ motors: { samx: { offset: "abc", dialLimits: [null, null] } } }, /field motors\.samx\.offset must be a finite number \(got "abc"\)/],
    [{ motors: { samx: { offset: 0, dialLimits: [null, "5"] } } }, /field motors\.samx\.dialLimits\[1\] must be a finite number/],
    [{ motors: { samy: { offset: 1, dialLimits: [-1, 1] } }, bookmarks: [{ motor: "samx", position: null, comment: "", time: "" }] }, /field bookmarks\[0\]\.position must be a finite number \(got null\)/],
    [[1, 2], /not a JSON object/],
  ];
  for (const [content, field] of cases) {
    const dir = tempDir();
    writeFileSync(join(dir, MEMORY), JSON.stringify(content));
    const r = await contrast(["beamlines/sim.ts", "-c", "wm samx samy"], { ...STREAM, CONTRAST_DATA_DIR: dir });
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, new RegExp(`warning: .*${MEMORY.replace(/[.]/g, "\\.")}: ${field.source}`));
    assert.match(r.out, /^samx\s+0\.000\s+0\.000$/m, "no offset or limit of the bad file is applied");
    assert.match(r.out, /^samy\s+0\.000\s+\[-5\.000, 5\.000\]\s+0\.000\s+\[-5\.000, 5\.000\]$/m);
    assert.equal(movedAside(dir, MEMORY).length, 1);
    assert.equal(existsSync(join(dir, MEMORY)), false);
  }
});

test('"offset": "abc" no longer makes positions NaN: the scan file holds numbers', { skip: needsH5py() }, async () => {
  const dir = tempDir();
  writeFileSync(join(dir, MEMORY), JSON.stringify({ motors: { samx: { offset: "abc", dialLimits: [null, null] } }, bookmarks: [] }));
  const r = await contrast(["beamlines/sim.ts", "-c", "ascan samx 0 1 2 0"], { ...STREAM, CONTRAST_DATA_DIR: dir });
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /field motors\.samx\.offset/);
  const f = readScanFile(join(dir, "000001.h5"));
  assert.deepEqual(f.values["entry/measurement/samx"], [0, 0.5, 1]);
  assert.equal(f.values["entry/snapshots/pre_scan/samx"], 0);
  assert.equal(f.values["entry/snapshots/post_scan/samx"], 1);
  assert.equal(f.values["entry/status"], "finished");
});

test("a truncated scan-number file is moved aside and numbering goes on from the highest NNNNNN.h5", { skip: needsH5py() }, async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "000007.h5"), "");
  writeFileSync(join(dir, SCAN_ID), '{"nextSca');
  const r = await contrast(["beamlines/sim.ts", "-c", "ascan samx 0 1 1 0"], { ...STREAM, CONTRAST_DATA_DIR: dir });
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, new RegExp(`warning: .*${SCAN_ID.replace(/[.]/g, "\\.")}: not valid JSON`));
  assert.match(r.out, /scan #8 finished \(2 points\)/);
  assert.equal(movedAside(dir, SCAN_ID).length, 1);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, SCAN_ID), "utf8")), { nextScanId: 9 });
  const f = readScanFile(join(dir, "000008.h5"));
  assert.deepEqual(f.values["entry/measurement/samx"], [0, 1]);
  assert.equal(f.values["entry/status"], "finished");

  // a hand-edited number is named too
  writeFileSync(join(dir, SCAN_ID), JSON.stringify({ nextScanId: -4 }));
  const again = await contrast(["beamlines/sim.ts", "-c", "path"], { ...STREAM, CONTRAST_DATA_DIR: dir });
  assert.match(again.out, /field nextScanId must be a whole number >= 0 \(got -4\)/);
  assert.match(again.out, /next scan #9\)/);
});

test("scan numbers never go backwards in a session, even when the data directory is deleted", { skip: needsH5py() }, async (t) => {
  const dir = join(tempDir(), "data");
  mkdirSync(dir);
  const s = await shell(t, dir);
  await s.run("ascan samx 0 1 1 0");
  assert.match(since(await s.run("ascan samx 0 1 1 0"), "ascan samx"), /scan #2 finished/);
  rmSync(dir, { recursive: true, force: true });
  const screen = since(await s.run("ascan samx 0 1 2 0"), "ascan samx 0 1 2");
  assert.match(screen, /scan #3 finished \(3 points\)/);
  assert.match(screen, /\[4\] contrast> $/m);
  assert.deepEqual(readScanFile(join(dir, "000003.h5")).values["entry/measurement/samx"], [0, 0.5, 1]);
  // nor by hand
  const back = since(await s.run(`path ${dir} 2`), "path ");
  assert.match(back, /scan number 2 would go backwards: .* the next is 4/);
  assert.match(since(await s.run("path"), "path\n"), /next scan #4\)/);
});

test("on a read-only directory a limit or offset that cannot be saved is not changed, and no scan number is taken", async (t) => {
  const dir = tmpfs(t);
  if (!dir) return;
  const s = await shell(t, dir);
  await s.run("setlim samx -3 3");
  execFileSync("mount", ["-o", "remount,ro", dir]);
  const lim = since(await s.run("setlim samx -1 1"), "setlim samx -1");
  assert.match(lim, new RegExp(`samx: limits not changed: saving samx's offset and limits: cannot write ${dir}/${MEMORY.replace(/[.]/g, "\\.")}: EROFS`));
  assert.match(since(await s.run("wm samx"), "wm samx"), /samx\s+0\.000\s+\[-3\.000, 3\.000\]\s+0\.000\s+\[-3\.000, 3\.000\]/);
  assert.doesNotMatch(since(await s.run("mv samx 2"), "mv samx 2"), /error|outside the limits/, "2 is inside the limits kept");
  const pos = since(await s.run("setpos samx 0"), "setpos samx 0");
  assert.match(pos, /samx: offset not changed: .*EROFS/);
  assert.match(since(await s.run("wm samx"), "wm samx"), /samx\s+2\.000\s+\[-3\.000, 3\.000\]\s+2\.000/);
  assert.match(since(await s.run("bookmark here samx"), "bookmark here"), /bookmark here: cannot write .*EROFS/);
  assert.match(since(await s.run("lsbook"), "lsbook"), /no bookmarks/);
  const scan = since(await s.run("ascan samx 0 1 1 0"), "ascan samx");
  assert.match(scan, new RegExp(`saving the next scan number \\(2\\): cannot write ${dir}/${SCAN_ID.replace(/[.]/g, "\\.")}: EROFS`));
  assert.match(scan, /\[1\] contrast> $/m, "the scan number is not used up");
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".tmp")), []);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, MEMORY), "utf8")).motors.samx, { offset: 0, dialLimits: [-3, 3] });
});

test("on a full disk saving the motor memory fails naming the file, and leaves no .tmp behind", async (t) => {
  const dir = tmpfs(t, "256k");
  if (!dir) return;
  const first = await contrast(["beamlines/sim.ts", "-c", "setlim samx -3 3"], { ...STREAM, CONTRAST_DATA_DIR: dir });
  assert.equal(first.code, 0, first.out + first.err);
  const free = statfsSync(dir);
  writeFileSync(join(dir, "filler"), Buffer.alloc(Number(free.bavail * free.bsize))); // fills the disk
  const r = await contrast(["beamlines/sim.ts", "-c", "setlim samx -1 1"], { ...STREAM, CONTRAST_DATA_DIR: dir });
  assert.equal(r.code, 1);
  assert.match(r.out + r.err, new RegExp(`samx: limits not changed: saving samx's offset and limits: cannot write ${dir}/${MEMORY.replace(/[.]/g, "\\.")}: ENOSPC`));
  assert.deepEqual(readdirSync(dir).sort(), [MEMORY, "filler"].sort());
  assert.deepEqual(JSON.parse(readFileSync(join(dir, MEMORY), "utf8")).motors.samx, { offset: 0, dialLimits: [-3, 3] });
});

test("corrupt files on a read-only directory: the shell starts, says so once, and scans are refused with the reason", async (t) => {
  const dir = tmpfs(t);
  if (!dir) return;
  writeFileSync(join(dir, MEMORY), "{");
  writeFileSync(join(dir, SCAN_ID), '{"nextScanId": "x"}');
  execFileSync("mount", ["-o", "remount,ro", dir]);
  const s = await shell(t, dir);
  await s.run("wa");
  await s.run("path");
  const screen = s.screen();
  assert.match(screen, /\.contrast-motors\.json: not valid JSON .*could not be moved aside \(EROFS/);
  assert.equal(screen.match(/\.contrast-scan-id\.json: field nextScanId must be a whole number >= 0 \(got "x"\)/g)?.length, 1, "told once, not at every prompt");
  assert.match(since(screen, "path"), /next scan #1\)/);
  assert.match(since(await s.run("ascan samx 0 1 1 0"), "ascan samx"), /cannot write .*\.contrast-scan-id\.json: EROFS/);
});
