/**
 * Faults of the storage, on the real shell: a full disk (a small tmpfs), a
 * disk another writer fills during the scan, the data directory deleted
 * during a scan, and a recorder process that stops answering (SIGSTOP, as a
 * hung NFS mount would look). Files are read back with Debian's h5py.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, contrast, scriptDir, type Run } from "./helpers/cli.ts";
import { TmuxShell } from "./helpers/tmux.ts";
import { PY_PLAIN_VALUES, needsH5py, runPython } from "./helpers/system.ts";

const STREAM = { CONTRAST_STREAM: "tcp://127.0.0.1:0" };

/** What h5py sees in a scan file: status, error, and the length of every column of entry/measurement. */
const SUMMARY = String.raw`${PY_PLAIN_VALUES}
f = h5py.File(sys.argv[1], "r")
e = f["entry"]
m = e["measurement"]
print(json.dumps({"status": clean(e["status"][()]), "error": clean(e["error"][()]) if "error" in e else None,
    "lengths": {k: m[k].shape[0] for k in m if isinstance(m[k], h5py.Dataset)}}))
`;
interface Summary { status: string; error: string | null; lengths: Record<string, number> }
const summary = (file: string): Summary => runPython<Summary>(SUMMARY, [file]);

/** A 30 MB tmpfs, unmounted when the test ends; or a skip reason where mounting is not allowed. */
function smallDisk(t: TestContext): string | false {
  const dir = mkdtempSync(join(tmpdir(), "contrast-small-"));
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", "size=30m", "tmpfs", dir], { encoding: "utf8" });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return false;
  }
  t.after(() => {
    spawnSync("umount", ["-l", dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
/** Mounting needs root (CI runs tests as root); elsewhere the disk-full tests skip. */
const mountRefused = (() => {
  const dir = mkdtempSync(join(tmpdir(), "contrast-mount-probe-"));
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { encoding: "utf8" });
  if (r.status === 0) spawnSync("umount", [dir]);
  rmSync(dir, { recursive: true, force: true });
  return r.status === 0 ? false : `mount -t tmpfs is not allowed here (${(r.stderr || r.error?.message || "").trim().split("\n")[0]})`;
})();

/** `contrast -c LINE`, calling `during(output so far)` as output comes, until it returns true. */
function contrastWatching(line: string, env: Record<string, string>, during: (out: string) => boolean = () => true): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/contrast.js", "beamlines/sim.ts", "-c", line], {
      cwd: ROOT, env: { ...process.env, FORCE_COLOR: "0", ...STREAM, ...env }, stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let watching = true;
    child.stdout.on("data", (d) => {
      out += d;
      if (watching) watching = !during(out);
    });
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

/** Writes zeros into `file` until the file system is full. */
function fillDisk(file: string): void {
  const fd = openSync(file, "w");
  const block = Buffer.alloc(1 << 20);
  try {
    for (;;) writeSync(fd, block);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
  } finally {
    closeSync(fd);
  }
}

/** Runs lsrec every half second until its answer matches. */
async function lsrecUntil(sh: TmuxShell, pattern: RegExp): Promise<string> {
  for (let i = 0; ; i++) {
    const out = await sh.run("lsrec");
    const last = out.slice(out.lastIndexOf("contrast> lsrec"));
    if (pattern.test(last)) return last;
    if (i > 60) throw new Error(`lsrec never matched ${pattern}:\n${last}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test("a full disk: the scan that cannot fit is refused with the estimate; with nospacecheck=1 it fails before the disk is full, and the file keeps every point, status failed", { skip: needsH5py() || mountRefused }, async (t) => {
  const disk = smallDisk(t);
  assert.ok(disk, "mount failed after the probe worked");
  const data = join(disk, "data");
  const env = { CONTRAST_DATA_DIR: data };

  const refused = await contrastWatching("loopscan 3000 0.001", env);
  assert.equal(refused.code, 1, refused.out + refused.err);
  assert.match(refused.out, /scan not started: it would write about 10\d\.\d MB \(3001 points × 33\.\d kB: cam 32\.8 kB\), but \S+ has \d+\.\d MB free; .*nospacecheck=1/);
  assert.deepEqual(readdirSync(data).filter((f) => f.endsWith(".h5")), []);

  const run = await contrastWatching("loopscan 3000 0.001 nospacecheck=1", env);
  const all = run.out + run.err;
  assert.equal(run.code, 1, all);
  const m = /scan #(\d+) failed: h5rec: the disk is nearly full: [\d.]+ MB free in \S+, 16\.0 MB kept in reserve to close the file; it holds the first (\d+) points/.exec(run.out);
  assert.ok(m, all);
  assert.doesNotMatch(all, /finished|HDF5-DIAG/);
  const file = join(data, `${m[1].padStart(6, "0")}.h5`);
  const s = summary(file);
  assert.equal(s.status, "failed");
  assert.match(s.error ?? "", /h5rec: the disk is nearly full/);
  const points = Number(m[2]);
  assert.ok(points > 100 && points < 3001, `${points} points`);
  for (const [name, n] of Object.entries(s.lengths)) assert.equal(n, points, `entry/measurement/${name}`);
  assert.deepEqual(readdirSync(data).filter((f) => f.endsWith(".spare")), [], "the spare file is given back");
});

test("a disk another writer fills during the scan: the scan fails at once naming h5rec and the cause, in one line, and the file stays readable, status failed", { skip: needsH5py() || mountRefused }, async (t) => {
  const disk = smallDisk(t);
  assert.ok(disk, "mount failed after the probe worked");
  const data = join(disk, "data");
  const run = await contrastWatching("loopscan 800 0.01", { CONTRAST_DATA_DIR: data }, (out) => {
    if (!/^ +50 /m.test(out)) return false;
    fillDisk(join(disk, "filler"));
    return true;
  });
  const all = run.out + run.err;
  assert.equal(run.code, 1, all);
  // a write error (ENOSPC) or the free-space check, whichever sees it first
  assert.match(run.out, /scan #1 failed: h5rec: (writing point \d+ to \S+000001\.h5: No space left on device|the disk is nearly full)/, all);
  assert.doesNotMatch(all, /finished|HDF5-DIAG/);
  assert.ok(all.split("\n").filter((l) => /No space left/.test(l)).length <= 3, all);
  rmSync(join(disk, "filler"));
  const s = summary(join(data, "000001.h5"));
  assert.equal(s.status, "failed");
  const lengths = new Set(Object.values(s.lengths));
  assert.equal(lengths.size, 1, JSON.stringify(s.lengths));
  assert.ok([...lengths][0] >= 50, JSON.stringify(s.lengths));
});

test("the data directory deleted during a scan fails the scan at the next flush, not finished", { skip: needsH5py() }, async () => {
  const data = mkdtempSync(join(tmpdir(), "contrast-deleted-"));
  try {
    const run = await contrastWatching("loopscan 300 0.02", { CONTRAST_DATA_DIR: data }, (out) => {
      if (!/^ +20 /m.test(out)) return false;
      rmSync(data, { recursive: true, force: true });
      return true;
    });
    const all = run.out + run.err;
    assert.equal(run.code, 1, all);
    assert.match(run.out, /scan #1 failed: h5rec: \S+000001\.h5 was deleted during the scan \(or its directory was\): its data are lost \((\d+) points\)/, all);
    assert.doesNotMatch(all, /finished/);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test("a footer the recorder could not store makes the scan failed, not finished, and contrast -c exit 1", async (t) => {
  const dir = scriptDir(t);
  const data = mkdtempSync(join(tmpdir(), "contrast-footer-"));
  t.after(() => rmSync(data, { recursive: true, force: true }));
  // the data directory goes while the last point is taken: only closing the file can notice
  writeFileSync(join(dir, "setup.ts"), `
import { rmSync } from "node:fs";
import ${JSON.stringify(join(ROOT, "beamlines", "sim.ts"))};
import { env } from ${JSON.stringify(join(ROOT, "src", "index.ts"))};
env.hooks.whileAcquiring = (scan) => { if (scan.pointsDone === 2) rmSync(${JSON.stringify(data)}, { recursive: true, force: true }); };
`);
  const r = await contrast([join(dir, "setup.ts"), "-c", "loopscan 3 0.01"], { ...STREAM, CONTRAST_DATA_DIR: data });
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.out, /scan #1 failed: h5rec: footer not stored: \S+000001\.h5 was deleted during the scan/, r.out + r.err);
  assert.doesNotMatch(r.out, /finished/);
});

test("a stopped recorder: the scan says so within seconds, one Ctrl-C gives up and says what may be lost, lsrec and the next scan say it does not answer, startrec brings a new one", { skip: needsH5py() }, async () => {
  const sh = TmuxShell.start({ env: STREAM });
  let pid = 0;
  let idle = 0;
  try {
    await sh.waitFor(/\[\d+\] contrast> /);
    // the recorders start in the background
    const rec = await lsrecUntil(sh, /h5rec\s+Hdf5Recorder\s+alive, pid \d+/);
    pid = Number(/h5rec\s+Hdf5Recorder\s+alive, pid (\d+)/.exec(rec)?.[1]);
    const before = sh.prompts();
    sh.type("loopscan 100000 0.01 nospacecheck=1");
    await sh.waitFor(/^ +20 /m, "point 20");
    process.kill(pid, "SIGSTOP");
    await sh.waitFor(/recorder h5rec has not answered for [45] s \(\d+ points not yet stored\): its process \(pid \d+\) is stopped or its disk hangs; Ctrl-C gives up waiting for it/);
    sh.keys("C-c");
    const stopped = await sh.waitForPrompt(before);
    assert.match(stopped, /h5rec: footer not stored: recorder h5rec gave up waiting: no answer for \d+ s; the footer and up to \d+ points not yet stored may be lost/);
    assert.match(stopped, /scan #1 interrupted/);

    const listed = await sh.run("lsrec");
    assert.match(listed, /\* h5rec\s+Hdf5Recorder\s+not answering for \d+ s/);
    assert.match(listed, /wait, or kill it and start a new one with: startrec h5rec/);
    const refused = await sh.run("loopscan 2 0.01");
    assert.match(refused, /scan not started: recorder h5rec is not answering for \d+ s: its process \(pid \d+\) is stopped or its disk hangs; restart it \(startrec h5rec\)/);
    assert.doesNotMatch(refused, /scan #2/);

    const restarted = await sh.run("startrec h5rec");
    assert.match(restarted, /killing h5rec \(pid \d+, not answering/);
    const newPid = Number(/h5rec started \(pid (\d+)\)/.exec(restarted)?.[1]);
    assert.ok(newPid > 0 && newPid !== pid, restarted);
    const scan = await sh.run("loopscan 2 0.01");
    assert.match(scan, /scan #2 finished \(3 points\)/);
    const s = summary(join(sh.dataDir, "000002.h5"));
    assert.equal(s.status, "finished");
    assert.deepEqual(new Set(Object.values(s.lengths)), new Set([3]));

    // stopped between scans: the next scan is refused, not left hanging; once it runs again, scans work
    idle = newPid;
    process.kill(idle, "SIGSTOP");
    await lsrecUntil(sh, /h5rec\s+Hdf5Recorder\s+not answering for/);
    const idleRefused = await sh.run("loopscan 2 0.01");
    assert.match(idleRefused.slice(idleRefused.lastIndexOf("loopscan 2 0.01")), /scan not started: recorder h5rec is not answering/);
    process.kill(idle, "SIGCONT");
    await lsrecUntil(sh, /h5rec\s+Hdf5Recorder\s+alive/);
    const again = await sh.run("loopscan 1 0.01");
    assert.match(again, /scan #3 finished \(2 points\)/);
  } finally {
    for (const p of [pid, idle]) try { process.kill(p, "SIGCONT"); } catch { /* gone */ }
    sh.kill();
  }
});

test("startrec without a recorder prints its usage", async () => {
  const sh = TmuxShell.start({ env: STREAM });
  try {
    await sh.waitFor(/\[\d+\] contrast> /);
    const out = await sh.run("startrec");
    assert.match(out, /startrec <recorder> \[<recorder> \.\.\.\]/);
    const help = await sh.run("help startrec");
    assert.match(help, /One that does not answer is killed first/);
  } finally {
    sh.kill();
  }
});
