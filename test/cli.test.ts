import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { contrast, scriptDir } from "./helpers/cli.ts";
import { tempDir } from "./helpers/beamline.ts";
import { readScanFile } from "./helpers/recorders.ts";
import { needsH5py } from "./helpers/system.ts";
import { ROOT } from "./helpers/tmux.ts";

test("contrast SETUP -c LINE runs the lines on the simulated beamline and exits 0", async () => {
  const dir = tempDir();
  const r = await contrast(["beamlines/sim.ts", "-c", "wa", "-c", "ascan samx 0 1 2 0.01"], { CONTRAST_DATA_DIR: dir });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /samx\s+0\.000\s+0\.000/);
  assert.match(r.out, /scan #1: ascan samx 0 1 2 0.01/);
  assert.match(r.out, /#\s+samx\s+det\s+spec\s+counter\s+cam\s+panda0\s+norm\s+dt\s+left/);
  assert.match(r.out, /scan #1 finished \(3 points\)/);
  assert.doesNotMatch(r.out, /^gap\b/m, "gap is above the simulated beamline's user level");
});

test("scan numbers continue after a restart and are never reused", async () => {
  const dir = tempDir();
  const a = await contrast(["beamlines/sim.ts", "-c", "loopscan 1 0", "-c", "loopscan 1 0"], { CONTRAST_DATA_DIR: dir });
  assert.equal(a.code, 0, a.err);
  const b = await contrast(["beamlines/sim.ts", "-c", "loopscan 1 0", "-c", "path"], { CONTRAST_DATA_DIR: dir });
  assert.match(b.out, /scan #3: loopscan 1 0/);
  assert.match(b.out, /next scan #4/);
});

test("the first failing line stops the run with exit code 1 and its error", async () => {
  const r = await contrast(["-c", "mv samx 1", "-c", "mv samy 9", "-c", "mv samx 2"], { CONTRAST_DATA_DIR: tempDir() });
  assert.equal(r.code, 1);
  assert.match(r.out, /samy: target 9 is outside the limits \[-5, 5\]/);
  assert.doesNotMatch(r.out, /samx 2/);
});

test("a wrong macro line prints the usage and exits 1", async () => {
  const r = await contrast(["-c", "ascan samx 0 1"], { CONTRAST_DATA_DIR: tempDir() });
  assert.equal(r.code, 1);
  assert.match(r.out, /ascan: needs <motor> <start> <stop> triples/);
  assert.match(r.out, /ascan <motor1> <start> <stop> \[<motor2> <start> <stop> \.\.\.\] <intervals> <exp_time>/);
  const u = await contrast(["-c", "nosuchthing 1 2"], { CONTRAST_DATA_DIR: tempDir() });
  assert.equal(u.code, 1);
  assert.match(u.out, /not a macro line/);
});

test("a setup script that throws is reported and exits 1", async () => {
  const r = await contrast(["/nonexistent/setup.ts", "-c", "wa"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /setup script \/nonexistent\/setup.ts failed/);
});

test("the paper's examples run: a spiral macro class and a runCommand procedure", async () => {
  const dir = tempDir();
  const r = await contrast(["examples/energy-series.ts", "-c", "wm energy"], { CONTRAST_DATA_DIR: dir });
  assert.equal(r.code, 0, r.err + r.out);
  for (let n = 1; n <= 5; n++) assert.match(r.out, new RegExp(`scan #${n}: spiral samx samy 0.1 20 0.01`));
  assert.match(r.out, /energy\s+11\.0000/);
  assert.equal((r.out.match(/finished \(20 points\)/g) ?? []).length, 5);
});

test("lsdet, lsm and lsrec name each gadget's class as written in the sources", async () => {
  const r = await contrast(["beamlines/sim.ts", "-c", "lsdet", "-c", "lsm", "-c", "lsrec"], { CONTRAST_DATA_DIR: tempDir(), CONTRAST_STREAM: "tcp://127.0.0.1:0" });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^ {2}eiger\s+DummyWritingDetector\s/m);
  assert.match(r.out, /^samx\s+DummyMotor\s/m);
  assert.match(r.out, /^s1gap\s+PseudoMotor\s/m);
  assert.match(r.out, /^\* h5rec\s+Hdf5Recorder\s/m);
});

test("the first prompt shows the next scan number of the directory the path fixer gives, not of the manual one", async (t) => {
  const manual = tempDir();
  const given = tempDir();
  writeFileSync(join(given, ".contrast-scan-id.json"), JSON.stringify({ nextScanId: 41 }));
  const setup = join(scriptDir(t), "asks-a-device.ts");
  writeFileSync(setup, `
import { env, PathFixer } from "contrast";
class DevicePathFixer extends PathFixer {
  private asked: string | null = null;
  override get directory(): string { return this.asked ?? super.directory; }
  override set directory(d: string) { super.directory = d; }
  override async getDirectory(): Promise<string> { return (this.asked = ${JSON.stringify(given)}); }
}
env.paths = new DevicePathFixer(${JSON.stringify(manual)});`);
  const r = await contrast([setup]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^\[41\] contrast> /m);
});

test("ct at the command line prints every value: numbers in full, arrays as shape, sum and maximum, dicts as keys and values", async () => {
  const r = await contrast(["beamlines/sim.ts", "-c", "ct 0.1", "-c", "startlive", "-c", "lsdet", "-c", "stoplive"], { CONTRAST_DATA_DIR: tempDir(), CONTRAST_STREAM: "tcp://127.0.0.1:0" });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^ +det : \d+(\.\d+)?$/m);
  assert.match(r.out, /^ +spec : array \(100,\) sum \d+(\.\d+)? max \d+(\.\d+)?$/m);
  assert.match(r.out, /^ *counter : \{counts: 10, monitor: 100, ratio: 0\.1\}$/m);
  assert.match(r.out, /^ +cam : array \(128, 128\) sum \d+ max \d+$/m);
  assert.match(r.out, /^live: det, spec, counter, cam, panda0$/m, "startlive with no name: every active detector with a live mode");
  assert.match(r.out, /^\* cam\s+Dummy2dDetector\s+live\s/m);
});

test("a pseudo detector computing a dict is written as a group of its keys, read back by h5py", { skip: needsH5py() }, async (t) => {
  const dir = tempDir();
  const setup = join(scriptDir(t), "dict-pseudo.ts");
  writeFileSync(setup, `
import ${JSON.stringify(join(ROOT, "beamlines/sim.ts"))};
import { PseudoDetector } from "contrast";
new PseudoDetector({ name: "pb", expression: { monitor: "counter.monitor", twice: "2 * counter.counts" } });`);
  const r = await contrast([setup, "-c", "ascan samx 0 1 1 0.1"], { CONTRAST_DATA_DIR: dir, CONTRAST_STREAM: "tcp://127.0.0.1:0" });
  assert.equal(r.code, 0, r.out + r.err);
  const f = readScanFile(join(dir, "000001.h5"));
  assert.deepEqual(f.values["entry/measurement/pb/monitor"], [100, 100]);
  assert.deepEqual(f.values["entry/measurement/pb/twice"], [20, 20]);
});
