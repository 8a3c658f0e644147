/**
 * Recorders that die, and shells that die: kill -9 of a recorder, an
 * exception in one, a point it cannot store, kill -9 of the shell alone and
 * of its whole process group. Files are read back with Debian's h5py.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import {
  env, runCommand, Recorder, Hdf5Recorder, StreamRecorder, SimulatedDetector, type ScanFooter, type ScanPoint, type Value,
  type RecorderRow,
} from "../src/index.ts";
import { resetBeamline, takeOutput, tempDir } from "./helpers/beamline.ts";
import { ROOT } from "./helpers/cli.ts";
import { needsH5py } from "./helpers/system.ts";
import { ScriptedRecorder, StreamListener, childrenOf, isRunning, scanFileSummary, waitUntilGone } from "./helpers/recorders.ts";

after(async () => {
  await Promise.all(Recorder.getInstances().map((r) => r.stop()));
});

const file = (n: number) => join(env.paths.directory, `${String(n).padStart(6, "0")}.h5`);

async function lsrecRow(name: string): Promise<{ row: RecorderRow; text: string }> {
  takeOutput();
  const rows = (await runCommand("lsrec")) as RecorderRow[];
  return { row: rows.find((r) => r.name === name) as RecorderRow, text: takeOutput() };
}

test("kill -9 of a recorder mid-scan stops the scan with footer 'failed' naming it; lsrec shows it dead; start() brings it back",
  { skip: needsH5py(), timeout: 60_000 }, async () => {
    const { rec } = resetBeamline();
    const h5rec = new Hdf5Recorder({ name: "h5rec" });
    const stream = new StreamRecorder({ name: "stream", address: "tcp://127.0.0.1:0", heartbeatSeconds: 0.1 });
    await Promise.all([h5rec.start(), stream.start()]);
    const sub = new StreamListener(stream.address);
    try {
      await sub.waitFor((m) => m.kind === "heartbeat");
      const pid = h5rec.pid as number;
      env.progress = (p) => void (p.done === 50 && process.kill(pid, "SIGKILL"));
      await assert.rejects(runCommand("loopscan 300 0.01"), /^Error: recorder h5rec died \(killed by SIGKILL\)/);
      env.progress = undefined;
      // noticed as soon as the kernel reports the exit; tearing down a killed process takes some ms
      // (more on a loaded machine), so a few more points may go to the other recorders
      const points = rec.messages.filter((m): m is ScanPoint => m.kind === "data");
      assert.ok(points.length >= 50 && points.length < 80, `${points.length} points`);
      const footer = rec.messages.at(-1) as ScanFooter;
      assert.deepEqual([footer.kind, footer.status], ["footer", "failed"]);
      assert.match(footer.error ?? "", /recorder h5rec died \(killed by SIGKILL\)/);
      // the other recorders got the footer too
      const streamed = (await sub.waitFor((m) => m.kind === "footer")) as ScanFooter;
      assert.deepEqual([streamed.status, streamed.error], ["failed", footer.error]);
      assert.match(takeOutput(), /recorder h5rec died \(killed by SIGKILL\)[\s\S]*restart it with: startrec h5rec/);
      assert.equal(isRunning(pid), false);

      const { row, text } = await lsrecRow("h5rec");
      assert.deepEqual([row.alive, row.reason], [false, "killed by SIGKILL"]);
      assert.match(text, /h5rec\s+Hdf5Recorder\s+dead: killed by SIGKILL/);
      assert.match(text, /start it with: startrec h5rec/);
      // a scan is refused while an active recorder is dead
      await assert.rejects(runCommand("loopscan 2 0.01"), /recorder h5rec is not running \(killed by SIGKILL\)/);
      // what the killed recorder had flushed is readable
      const killed = scanFileSummary(file(1));
      assert.equal(killed.status, "running");

      await h5rec.start();
      assert.notEqual(h5rec.pid, pid);
      assert.equal((await lsrecRow("h5rec")).row.alive, true);
      await runCommand("loopscan 4 0.01"); // 5 points
      const s = scanFileSummary(file(2));
      assert.deepEqual([s.status, s.rows.det], ["finished", 5]);
    } finally {
      env.progress = undefined;
      await sub.close();
    }
  });

test("an exception in a recorder process fails the scan with the recorder's name and the end of its stderr",
  { skip: needsH5py(), timeout: 60_000 }, async () => {
    resetBeamline();
    const h5rec = new Hdf5Recorder({ name: "h5rec" });
    const crashy = new ScriptedRecorder({ name: "crashy", crashAt: 5 });
    await Promise.all([h5rec.start(), crashy.start()]);
    const err = await runCommand("ascan samx 0 1 100 0.01").then(() => null, (e: Error) => e);
    assert.ok(err);
    assert.match(err.message, /^recorder crashy died \(exited with code 1\); the last lines of its stderr:/);
    assert.match(err.message, /about to fail at point 5/);
    assert.match(err.message, /crashy crashed: Error: boom at point 5/);
    const s = scanFileSummary(file(1));
    assert.equal(s.status, "failed");
    assert.match(s.error ?? "", /recorder crashy died \(exited with code 1\)/);
    assert.ok(s.rows.samx >= 6 && s.rows.samx <= 30, `${s.rows.samx} points`); // stopped soon after the crash
    const { row } = await lsrecRow("crashy");
    assert.deepEqual([row.alive, row.reason], [false, "exited with code 1"]);
    assert.equal(h5rec.isAlive(), true);
  });

test("continueOnDeath: a dying recorder is reported once and the scan goes on", { skip: needsH5py(), timeout: 60_000 }, async () => {
  resetBeamline();
  const h5rec = new Hdf5Recorder({ name: "h5rec" });
  const crashy = new ScriptedRecorder({ name: "crashy", crashAt: 3, continueOnDeath: true });
  await Promise.all([h5rec.start(), crashy.start()]);
  await runCommand("ascan samx 0 1 20 0.01");
  const out = takeOutput();
  assert.match(out, /recorder crashy died \(exited with code 1\)/);
  assert.equal(out.match(/going on without it \(continueOnDeath\)/g)?.length, 1, out);
  assert.match(out, /scan #1 finished \(21 points\)/);
  const s = scanFileSummary(file(1));
  assert.deepEqual([s.status, s.rows.samx], ["finished", 21]);
  // the next scan is not refused for it, and says once more that it goes on without it
  await runCommand("loopscan 3 0.01"); // 4 points
  const next = takeOutput();
  assert.equal(next.match(/warning: recorder crashy is not running \(exited with code 1\); going on without it/g)?.length, 1, next);
  assert.match(next, /scan #2 finished \(4 points\)/);
  assert.deepEqual(scanFileSummary(file(2)).rows.det, 4);
});

test("Ctrl-C at the terminal (SIGINT) leaves recorders alone; SIGTERM makes one close its scan and end",
  { skip: needsH5py(), timeout: 60_000 }, async () => {
    resetBeamline();
    const h5rec = new Hdf5Recorder({ name: "h5rec" });
    await h5rec.start();
    const pid = h5rec.pid as number;
    env.progress = (p) => {
      if (p.done === 5) process.kill(pid, "SIGINT");
      if (p.done === 30) process.kill(pid, "SIGTERM");
    };
    try {
      await assert.rejects(runCommand("loopscan 200 0.01"), /^Error: recorder h5rec died \(exited with code 0\)/);
    } finally {
      env.progress = undefined;
    }
    const s = scanFileSummary(file(1));
    assert.deepEqual([s.status, s.error], ["failed", "the recorder got SIGTERM during the scan"]);
    // it went on after SIGINT; SIGTERM dropped what it had not yet written
    assert.ok(s.rows.det > 5 && s.rows.det < 200, `${s.rows.det} rows`);
  });

/** Counts, except at point 3, where it reads a word. */
class FickleDetector extends SimulatedDetector {
  private n = 0;
  protected reading(): Value {
    return this.n++ === 3 ? "overflow" : this.n;
  }
}

test("a point the recorder cannot store fails the scan with the writer's message; the recorder lives on",
  { skip: needsH5py(), timeout: 60_000 }, async () => {
    resetBeamline();
    new FickleDetector({ name: "fickle" });
    const h5rec = new Hdf5Recorder({ name: "h5rec" });
    await h5rec.start();
    await assert.rejects(runCommand("ascan samx 0 1 50 0.01"),
      { message: "h5rec: /entry/measurement/fickle: point 3 gives a string, earlier points gave a number" });
    const s = scanFileSummary(file(1));
    assert.equal(s.status, "failed");
    assert.equal(s.error, "h5rec: /entry/measurement/fickle: point 3 gives a string, earlier points gave a number");
    assert.equal(h5rec.isAlive(), true);
    await runCommand("deactivate fickle");
    await runCommand("ascan samx 0 1 2 0.01");
    assert.equal(scanFileSummary(file(2)).status, "finished");
  });

interface Killed { dir: string; rowsBefore: number; rowsPrinted: number; children: number[] }

/** Runs `loopscan 400 0.01` in the CLI, SIGKILLs it (or its process group) once it has printed 60 rows, 20 of them more than 1.1 s ago. */
async function killShellMidScan(group: boolean): Promise<Killed> {
  const dir = tempDir();
  const shell = spawn(process.execPath, ["bin/contrast.js", "beamlines/sim.ts", "-c", "loopscan 400 0.01"], {
    cwd: ROOT, detached: group, stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FORCE_COLOR: "0", CONTRAST_DATA_DIR: dir, CONTRAST_STREAM: "tcp://127.0.0.1:0" },
  });
  const rows: number[] = [];
  let killed = false;
  let children: number[] = [];
  let out = "";
  let err = "";
  shell.stderr.on("data", (d) => (err += d));
  const gone = new Promise((r) => shell.on("exit", r));
  const killedAt = await new Promise<number>((resolve, reject) => {
    shell.on("exit", () => killed || reject(new Error(`the shell exited early:\n${out}\n${err}`)));
    let partial = "";
    shell.stdout.setEncoding("utf8");
    shell.stdout.on("data", (d: string) => {
      const lines = (partial + d).split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) {
        out += l + "\n";
        if (!/^\s+\d+\s+\S/.test(l)) continue;
        const now = Date.now();
        rows.push(now);
        if (rows.length >= 60 && now - rows[19] >= 1100 && !killed) { // 20 rows at least 1 s old, however slow the machine
          killed = true;
          children = childrenOf(shell.pid as number).filter((c) => c.args.includes("contrast-recorder")).map((c) => c.pid);
          if (group) process.kill(-(shell.pid as number), "SIGKILL");
          else shell.kill("SIGKILL");
          resolve(now);
        }
      }
    });
  });
  await gone;
  return { dir, rowsBefore: rows.filter((t) => t <= killedAt - 1000).length, rowsPrinted: rows.length, children };
}

test("kill -9 of the shell alone mid-scan: the recorder notices, closes the file, and exits; every point up to 1 s before is there",
  { skip: needsH5py(), timeout: 120_000 }, async () => {
    const k = await killShellMidScan(false);
    assert.ok(k.rowsBefore >= 20, `only ${k.rowsBefore} rows were printed more than 1 s before the kill`);
    assert.equal(k.children.length, 2);
    await waitUntilGone(k.children);
    const s = scanFileSummary(join(k.dir, "000001.h5"));
    assert.equal(s.status, "failed");
    assert.equal(s.error, "the shell went away during the scan");
    for (const [name, n] of Object.entries(s.rows)) {
      assert.ok(n >= k.rowsBefore, `${name}: ${n} rows, but ${k.rowsBefore} were printed more than 1 s before the kill`);
      assert.ok(n <= k.rowsPrinted + 2, `${name}: ${n} rows, more than the ${k.rowsPrinted} printed`);
    }
  });

test("kill -9 of the shell's whole process group mid-scan leaves a readable file with every point up to 1 s before",
  { skip: needsH5py(), timeout: 120_000 }, async () => {
    const k = await killShellMidScan(true);
    assert.ok(k.rowsBefore >= 20, `only ${k.rowsBefore} rows were printed more than 1 s before the kill`);
    await waitUntilGone(k.children);
    const s = scanFileSummary(join(k.dir, "000001.h5"));
    assert.equal(s.status, "running"); // nobody was left to close it
    for (const [name, n] of Object.entries(s.rows)) {
      assert.ok(n >= k.rowsBefore, `${name}: ${n} rows, but ${k.rowsBefore} were printed more than 1 s before the kill`);
    }
  });
