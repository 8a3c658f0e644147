/**
 * The Tango gadgets against a real TangoTest device server through tools/tango-rest-gateway.py
 * (skipped with a one-line reason when tango-test / python3-tango are missing), and TangoMotor
 * against FakeRestMotorDevice, because TangoTest has no motor device (its state is RUNNING).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, beforeEach, describe, test } from "node:test";
import {
  DummyDetector,
  Gadget, env, runCommand, PathFixer, DummyScheduler, MotorSnapshot, MemoryRecorder, LimitError,
  TangoRestClient, TangoAttributeMotor, TangoAttributeDetector, TangoMotor, TangoPathFixer, TangoScheduler,
  type ScanPoint, type ScanFooter, type ScanHeader, type Value,
} from "../src/index.ts";
import { needsH5py, needsTango } from "./helpers/system.ts";
import { readScanFile } from "./helpers/recorders.ts";
import { startTango, type TangoFixture } from "./helpers/tango.ts";
import { takeOutput, tempDir } from "./helpers/beamline.ts";

const DEV = "sys/tg_test/1";
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** No gadgets, a fresh data directory, the always-ready scheduler. */
function resetEnvironment(): MemoryRecorder {
  for (const g of Gadget.getInstances()) g.dispose();
  env.paths = new PathFixer(tempDir());
  env.scheduler = new DummyScheduler();
  env.snapshot = new MotorSnapshot();
  env.hooks = {};
  env.userLevel = 3;
  takeOutput();
  return new MemoryRecorder({ name: "mem" });
}

/** The gadgets of beamlines/tangotest.ts, talking to this test's TangoTest. */
function tangoBeamline(tango: TangoFixture) {
  const rec = resetEnvironment();
  const client = new TangoRestClient({ baseUrl: tango.restUrl, tangoPort: tango.tangoPort });
  const dsw = new TangoAttributeMotor({ name: "dsw", client, device: DEV, attribute: "double_scalar_w", dialLimits: [-10, 10] });
  new TangoAttributeDetector({ name: "ds", client, device: DEV, attribute: "double_scalar" });
  new TangoAttributeDetector({ name: "ls", client, device: DEV, attribute: "long_scalar" });
  new TangoAttributeDetector({ name: "spec", client, device: DEV, attribute: "double_spectrum_ro" });
  const messages = () => rec.messages;
  return {
    client, dsw, rec,
    headers: () => messages().filter((m): m is ScanHeader => m.kind === "header"),
    points: () => messages().filter((m): m is ScanPoint => m.kind === "data"),
    footers: () => messages().filter((m): m is ScanFooter => m.kind === "footer"),
  };
}

/** Resolves with the rejection of `p` and how long it took. */
async function rejection(p: Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const t0 = performance.now();
  try {
    await p;
  } catch (error) {
    assert.ok(error instanceof Error, `expected an Error, got ${String(error)}`);
    return { error, ms: performance.now() - t0 };
  }
  assert.fail("expected a rejection");
}

function run(args: string[], extraEnv: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...extraEnv }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe("Tango gadgets against TangoTest", { skip: needsTango() }, () => {
  let tango: TangoFixture;
  let bl: ReturnType<typeof tangoBeamline>;

  before(async () => {
    tango = await startTango();
  });
  after(async () => {
    await tango?.stop();
  });
  beforeEach(() => (bl = tangoBeamline(tango)));

  test("ascan over an attribute motor records the positions read back and the readings", async () => {
    const r = await runCommand("ascan dsw 0 1 4 0.01");
    assert.deepEqual(r, { scannr: 1, status: "finished", points: 5 });
    assert.deepEqual(bl.headers()[0].detectors, ["ds", "ls", "spec"]);
    assert.deepEqual(bl.points().map((p) => p.data.dsw), [0, 0.25, 0.5, 0.75, 1]);
    for (const p of bl.points()) {
      assert.equal(typeof p.data.ds, "number");
      assert.ok(Number.isInteger(p.data.ls), `ls ${String(p.data.ls)} is a whole number`);
      assert.ok(p.data.spec instanceof Float64Array && p.data.spec.length > 0);
    }
    assert.equal(bl.footers()[0].status, "finished");
    assert.equal(await bl.client.readNumber(DEV, "double_scalar_w"), 1);
    const out = takeOutput();
    assert.match(out, /#\s+dsw\s+ds\s+ls\s+spec\s+dt\s+left/);
    assert.match(out, /^\s+4\s+1\s+\S+\s+-?\d+\s+\(\d+,\)/m);
    assert.match(out, /scan #1 finished \(5 points\)/);
  });

  test("ct reads the spectrum attribute as a Float64Array of the device's length", async () => {
    const { value } = await bl.client.readAttribute(DEV, "double_spectrum_ro");
    assert.ok(Array.isArray(value));
    const r = (await runCommand("ct 0.01")) as Record<string, Value>;
    assert.ok(r.spec instanceof Float64Array, "spec is a Float64Array");
    assert.equal(r.spec.length, value.length);
    assert.equal(typeof r.ds, "number");
    const sum = (r.spec as Float64Array).reduce((a, b) => a + b, 0);
    assert.match(takeOutput(), new RegExp(`spec : array \\(${value.length},\\) sum ${sum} max \\d+`));
  });

  test("a target outside the limits is refused before anything is written", async () => {
    await runCommand("mv dsw 3");
    assert.equal(await bl.client.readNumber(DEV, "double_scalar_w"), 3);
    await assert.rejects(runCommand("mv dsw 20"), (e: Error) => e instanceof LimitError && /dsw: target 20 is outside the limits \[-10, 10\]/.test(e.message));
    await assert.rejects(runCommand("ascan dsw 0 20 2 0"), (e: Error) => e instanceof LimitError && /nothing moved/.test(e.message));
    assert.equal(await bl.client.readNumber(DEV, "double_scalar_w"), 3);
    assert.equal(bl.rec.messages.length, 0);
    assert.equal(await bl.dsw.busy(), false);
  });

  test("TangoPathFixer gives the directory the device holds", async () => {
    const dir = join(tempDir(), "from the device");
    await bl.client.writeAttribute(DEV, "string_scalar", dir);
    const paths = new TangoPathFixer({ client: bl.client, device: DEV, attribute: "string_scalar", directory: tempDir() });
    env.paths = paths;
    assert.equal(await paths.getDirectory(), dir);
    assert.ok(existsSync(dir), "the directory is created");
    assert.equal(paths.directory, dir);
    await runCommand("ascan dsw 0 1 1 0");
    assert.equal(bl.headers()[0].path, dir);
    assert.ok(existsSync(join(dir, ".contrast-scan-id.json")), "the scan number is kept with the data");
  });

  test("TangoScheduler holds a scan while a shutter is closed or the machine injects", async () => {
    const shutter = { device: DEV, attribute: "boolean_scalar", closedValue: false };
    await bl.client.writeAttribute(DEV, "boolean_scalar", false);
    await bl.client.writeAttribute(DEV, "short_scalar_w", 0);
    await bl.client.writeAttribute(DEV, "long_scalar_w", 42);
    const scheduler = new TangoScheduler({
      client: bl.client, shutters: [shutter], recheckSeconds: 0.05,
      injection: { device: DEV, attribute: "short_scalar_w" },
      countdown: { device: DEV, attribute: "long_scalar_w" },
    });
    env.scheduler = scheduler;
    try {
      assert.equal(scheduler.limit(), null, "no countdown before the first ready()");
      assert.equal(await scheduler.ready(), false);
      assert.equal(scheduler.describe(), "waiting: shutter sys/tg_test/1/boolean_scalar is closed");
      const limit = scheduler.limit();
      assert.ok(limit !== null && limit > 41 && limit <= 42, `limit ${limit}`);

      const scan = runCommand("ascan dsw 0 1 2 0.01");
      await sleep(600);
      assert.equal(bl.points().length, 0, "no point while the shutter is closed");
      assert.match(takeOutput(), /waiting: shutter sys\/tg_test\/1\/boolean_scalar is closed/);
      await bl.client.writeAttribute(DEV, "boolean_scalar", true);
      assert.deepEqual(await scan, { scannr: 1, status: "finished", points: 3 });
      assert.deepEqual(bl.points().map((p) => p.data.dsw), [0, 0.5, 1]);

      await bl.client.writeAttribute(DEV, "short_scalar_w", 1);
      assert.equal(await scheduler.ready(), false);
      assert.equal(scheduler.describe(), "waiting: injection (sys/tg_test/1/short_scalar_w is 1)");
      await bl.client.writeAttribute(DEV, "short_scalar_w", 0);
      assert.equal(await scheduler.ready(), true);
    } finally {
      await bl.client.writeAttribute(DEV, "boolean_scalar", true);
    }
  });

  test("TangoScheduler polled while a point is taken: a shutter closed mid-point suspends the scan, and the point is taken again", async () => {
    const shutter = { device: DEV, attribute: "boolean_scalar", closedValue: false };
    await bl.client.writeAttribute(DEV, "boolean_scalar", true);
    env.scheduler = new TangoScheduler({ client: bl.client, shutters: [shutter], recheckSeconds: 0.05 });
    env.scan.settleSeconds = 0.05;
    const timer = new DummyDetector({ name: "timer" }); // Tango attributes are read at once: this one takes the exposure time
    try {
      const scan = runCommand("ascan dsw 0 1 3 0.6");
      // closed once point 1 is being taken, not while the loop still checks the scheduler before it
      while (bl.points().length < 1 || !timer.busy()) await sleep(5);
      await bl.client.writeAttribute(DEV, "boolean_scalar", false);
      await sleep(300);
      await bl.client.writeAttribute(DEV, "boolean_scalar", true);
      assert.equal(((await scan) as { points: number }).points, 4);
      assert.deepEqual(bl.points().map((p) => p.index), [0, 1, 2, 3], "every point once, in order");
      const suspensions = bl.footers()[0].suspensions ?? [];
      assert.equal(suspensions.length, 1);
      assert.equal(suspensions[0].reason, "waiting: shutter sys/tg_test/1/boolean_scalar is closed");
      assert.match(takeOutput(), /suspended at point 1: waiting: shutter sys\/tg_test\/1\/boolean_scalar is closed/);
    } finally {
      await bl.client.writeAttribute(DEV, "boolean_scalar", true);
      env.scan.settleSeconds = 1;
    }
  });

  test("the command line runs beamlines/tangotest.ts, and its HDF5 recorder writes the scan's file", { skip: needsH5py() }, async () => {
    const dataDir = tempDir();
    const r = await run(["bin/contrast.js", "beamlines/tangotest.ts", "-c", "ascan dsw 0 1 4 0.01"], {
      CONTRAST_TANGO_REST: tango.restUrl, CONTRAST_TANGO_PORT: String(tango.tangoPort), CONTRAST_DATA_DIR: dataDir,
    });
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /#\s+dsw\s+ds\s+ls\s+spec\s+dt\s+left/);
    for (const [i, x] of ["0", "0.2500", "0.5000", "0.7500", "1"].entries()) {
      assert.match(r.stdout, new RegExp(`^\\s+${i}\\s+${x.replace(".", "\\.")}\\s`, "m"));
    }
    assert.match(r.stdout, /scan #1 finished \(5 points\)/);
    assert.ok(existsSync(join(dataDir, ".contrast-scan-id.json")), "data go to CONTRAST_DATA_DIR");
    const f = readScanFile(join(dataDir, "000001.h5"));
    assert.equal(f.values["entry/status"], "finished");
    assert.deepEqual(f.values["entry/measurement/dsw"], [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(f.shapes["entry/measurement/ds"], [5]);
    assert.equal(f.shapes["entry/measurement/spec"][0], 5);
  });
});

describe("Tango gadgets when TangoTest dies", { skip: needsTango() }, () => {
  let tango: TangoFixture | undefined;
  after(async () => {
    await tango?.stop();
  });

  test("killing the device server mid-scan fails the scan clearly; the shell keeps working", async () => {
    tango = await startTango();
    const bl = tangoBeamline(tango);
    const t = tango;
    let n = 0;
    let killedAt = 0;
    env.hooks.beforeMove = async () => {
      if (++n !== 3) return;
      await t.killDeviceServer();
      killedAt = performance.now();
    };
    const { error } = await rejection(runCommand("ascan dsw 0 1 4 0.01"));
    const ms = performance.now() - killedAt;
    assert.match(error.message, /^dsw: sys\/tg_test\/1\/double_scalar_w: write failed: .*sys\/tg_test\/1/);
    assert.ok(killedAt > 0 && ms < bl.client.timeoutMs, `the scan took ${ms} ms to fail after the kill`);
    assert.equal(bl.points().length, 2);
    const [footer] = bl.footers();
    assert.equal(footer.status, "failed");
    assert.equal(footer.error, error.message);
    assert.match(takeOutput(), /scan #1 failed: dsw: sys\/tg_test\/1\/double_scalar_w: write failed/);

    env.hooks = {};
    const wa = await rejection(runCommand("wa"));
    assert.match(wa.error.message, /^dsw: sys\/tg_test\/1\/double_scalar_w: read failed/);
    assert.ok(wa.ms < bl.client.timeoutMs, `wa took ${wa.ms} ms`);
    const ct = await rejection(runCommand("ct 0.01"));
    assert.match(ct.error.message, /^(ds|ls|spec): sys\/tg_test\/1\/(double_scalar|long_scalar|double_spectrum_ro): read failed/);
    assert.ok(ct.ms < bl.client.timeoutMs, `ct took ${ct.ms} ms`);
    assert.deepEqual(await runCommand("lsdet"), ["ds", "ls", "spec"]);
    await tango.stop();
  });

  test("TangoPathFixer falls back to the last directory once the device is gone, warning once", async () => {
    tango = await startTango();
    const bl = tangoBeamline(tango);
    const dir = tempDir();
    const manual = tempDir();
    await bl.client.writeAttribute(DEV, "string_scalar", dir);
    const paths = new TangoPathFixer({ client: bl.client, device: DEV, attribute: "string_scalar", directory: manual });
    const never = new TangoPathFixer({ client: bl.client, device: DEV, attribute: "string_scalar", directory: manual, name: "other" });
    assert.equal(await paths.getDirectory(), dir);
    await tango.killDeviceServer();
    takeOutput();

    const t0 = performance.now();
    assert.equal(await paths.getDirectory(), dir);
    assert.ok(performance.now() - t0 < bl.client.timeoutMs);
    const warning = takeOutput();
    assert.match(warning, /^warning: TangoPathFixer: sys\/tg_test\/1\/string_scalar: read failed: .*; data go to /);
    assert.equal(await paths.getDirectory(), dir);
    assert.equal(takeOutput(), "", "one warning per outage");

    assert.equal(await never.getDirectory(), manual);
    assert.match(takeOutput(), /^warning: other: sys\/tg_test\/1\/string_scalar: read failed/);
    await tango.stop();
  });
});

/**
 * TangoTest has no motor device, so this stands in for one, speaking the same REST routes:
 * writing Position starts a move at `velocity` units/s, the state is MOVING until it ends,
 * and the Stop command halts it.
 */
class FakeRestMotorDevice {
  static readonly DEVICE = "fake/motor/1";
  velocity = 10;
  faultAfterMove = false;
  writes = 0;
  statePolls = 0;
  stops = 0;
  private from = 0;
  private to = 0;
  private t0 = 0;
  private t1 = 0;
  private server: Server | undefined;
  baseUrl = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.serve(req, res));
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    const addr = this.server.address();
    const port = typeof addr === "object" && addr ? addr.port : 0;
    this.baseUrl = `http://127.0.0.1:${port}/tango/rest/v11`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private moving(): boolean {
    return performance.now() < this.t1;
  }

  private position(): number {
    if (!this.moving()) return this.to;
    return this.from + (this.to - this.from) * ((performance.now() - this.t0) / (this.t1 - this.t0));
  }

  private state(): string {
    return this.moving() ? "MOVING" : this.faultAfterMove && this.writes > 0 ? "FAULT" : "ON";
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://x");
    const m = /^\/tango\/rest\/v11\/hosts\/[^/]+\/devices\/fake\/motor\/1\/(.*)$/.exec(url.pathname);
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const value = () => ({ name: "Position", value: this.position(), quality: this.moving() ? "ATTR_CHANGING" : "ATTR_VALID", timestamp: Date.now() });
    const route = `${req.method} ${m?.[1] ?? ""}`;
    req.resume();
    if (route === "GET attributes/Position/value") return reply(200, value());
    if (route === "PUT attributes/Position/value") {
      const target = Number(url.searchParams.get("v"));
      this.writes++;
      this.from = this.position();
      this.to = target;
      this.t0 = performance.now();
      this.t1 = this.t0 + (Math.abs(target - this.from) / this.velocity) * 1000;
      return reply(200, value());
    }
    if (route === "GET state") {
      this.statePolls++;
      return reply(200, { state: this.state(), status: `The device is in ${this.state()} state.` });
    }
    if (route === "GET status") return reply(200, { status: this.faultAfterMove ? "limit switch hit" : "ok" });
    if (route === "PUT commands/Stop") {
      this.stops++;
      this.to = this.position();
      this.t1 = performance.now();
      return reply(200, { name: "Stop", output: null });
    }
    reply(404, { errors: [{ reason: "NotFound", description: `no route ${route}`, severity: "ERR", origin: "fake" }] });
  }
}

describe("TangoMotor against FakeRestMotorDevice", () => {
  const fake = new FakeRestMotorDevice();
  let motor: TangoMotor;
  let rec: MemoryRecorder;

  before(() => fake.start());
  after(() => fake.stop());
  beforeEach(() => {
    rec = resetEnvironment();
    fake.faultAfterMove = false;
    fake.writes = fake.statePolls = fake.stops = 0;
    const client = new TangoRestClient({ baseUrl: fake.baseUrl });
    motor = new TangoMotor({ name: "fm", client, device: FakeRestMotorDevice.DEVICE, pollMs: 20, dialLimits: [-10, 10] });
  });

  test("a move settles only when the device leaves MOVING", async () => {
    await runCommand("mv fm 0");
    const t0 = performance.now();
    assert.deepEqual(await runCommand("mv fm 2"), { fm: 2 });
    const ms = performance.now() - t0;
    assert.ok(ms >= 195 && ms < 1000, `the 200 ms move took ${ms} ms`);
    assert.ok(fake.statePolls >= 4, `${fake.statePolls} state polls`);
    assert.equal(await motor.position(), 2);
    assert.equal(await motor.busy(), false);
  });

  test("busy while moving; stop ends the move early", async () => {
    await runCommand("mv fm 0");
    const t0 = performance.now();
    const move = motor.move(5);
    await sleep(100);
    assert.equal(await motor.busy(), true);
    await motor.stop();
    await move;
    const x = await motor.position();
    assert.ok(x > 0.5 && x < 4.5, `stopped at ${x}, short of 5`);
    assert.ok(performance.now() - t0 < 480, "the move ended at the stop, not at the target");
    assert.equal(fake.stops, 1);
  });

  test("a target outside the limits is refused before anything is written", async () => {
    await assert.rejects(motor.move(20), LimitError);
    assert.equal(fake.writes, 0);
  });

  test("FAULT after a move fails it, naming motor and device", async () => {
    fake.faultAfterMove = true;
    const { error } = await rejection(motor.move(0.5));
    assert.equal(error.message, "fm: fake/motor/1: in FAULT after moving to 0.5: limit switch hit");
  });

  test("ascan drives it point by point", async () => {
    await runCommand("ascan fm 0 1 2 0");
    const points = rec.messages.filter((m): m is ScanPoint => m.kind === "data");
    assert.deepEqual(points.map((p) => p.data.fm), [0, 0.5, 1]);
  });
});
