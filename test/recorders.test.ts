/**
 * The recorders against the real parts: real scans through child processes,
 * files read back with Debian's h5py, the stream read with a real SUB socket,
 * the live plot over HTTP, and the shell run as a user runs it.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { Publisher } from "zeromq";
import {
  env, runCommand, Recorder, Hdf5Recorder, StreamRecorder, LivePlotRecorder, DummyDictDetector, DummyWritingDetector,
  Dummy2dDetector, AbortError, type ScanFooter, type ScanHeader, type ScanPoint, type NdArray, type RecorderRow,
} from "../src/index.ts";
import { encodeMessage } from "../src/recorders/stream/wire.ts";
import { watchEvents } from "../src/recorders/liveplot/EventsClient.ts";
import type { ToPage } from "../src/recorders/liveplot/protocol.ts";
import { resetBeamline, takeOutput, tempDir } from "./helpers/beamline.ts";
import { ROOT } from "./helpers/cli.ts";
import { needsH5py } from "./helpers/system.ts";
import { ScriptedRecorder, StreamListener, isRunning, readScanFile, scanFileSummary } from "./helpers/recorders.ts";

after(async () => {
  await Promise.all(Recorder.getInstances().map((r) => r.stop()));
});

const file = (n: number) => join(env.paths.directory, `${String(n).padStart(6, "0")}.h5`);

async function h5rec(opts: Partial<ConstructorParameters<typeof Hdf5Recorder>[0]> = {}): Promise<Hdf5Recorder> {
  const r = new Hdf5Recorder({ name: "h5rec", ...opts });
  await r.start();
  return r;
}

async function lsrec(): Promise<{ rows: RecorderRow[]; text: string }> {
  takeOutput();
  const rows = (await runCommand("lsrec")) as RecorderRow[];
  return { rows, text: takeOutput() };
}

test("a scan's HDF5 file holds motors, detectors, snapshots, description, tags, NeXus attributes and links; it is closed when the scan returns",
  { skip: needsH5py(), timeout: 60_000 }, async () => {
    const { rec } = resetBeamline();
    new DummyDictDetector({ name: "counter" });
    new DummyWritingDetector({ name: "eiger" });
    const h5 = await h5rec();
    // `ps` says what the process is
    const cmdline = readFileSync(`/proc/${h5.pid}/cmdline`, "utf8").split("\0").join(" ");
    assert.match(cmdline, /contrast-recorder h5rec Hdf5Recorder/);

    await runCommand("ascan samx 0 1 4 0.01 sample=Au");
    // read at once: the footer's send settled only once the file was closed
    const f = readScanFile(file(1));
    const v = f.values;
    const points = rec.messages.filter((m): m is ScanPoint => m.kind === "data");
    assert.equal(v["entry/status"], "finished");
    assert.deepEqual(v["entry/description"], ["ascan samx 0 1 4 0.01 sample=Au"]);
    assert.equal(v["entry/tags/sample"], "Au");
    assert.match(String(v["entry/start_time"]), /^\d{4}-\d\d-\d\dT/);
    assert.match(String(v["entry/end_time"]), /^\d{4}-\d\d-\d\dT/);
    assert.equal(v["entry/error"], undefined);
    // measurement: motors and detectors, point by point, as the scan saw them
    assert.deepEqual(v["entry/measurement/samx"], [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(v["entry/measurement/det"], points.map((p) => p.data.det));
    assert.deepEqual(f.shapes["entry/measurement/spec"], [5, 100]);
    assert.deepEqual(v["entry/measurement/spec"], points.map((p) => Array.from(p.data.spec as Float64Array)));
    assert.deepEqual(v["entry/measurement/counter/monitor"], points.map((p) => (p.data.counter as { monitor: number }).monitor));
    assert.deepEqual((v["entry/measurement/dt"] as number[]).length, 5);
    // snapshots before and after
    assert.equal(v["entry/snapshots/pre_scan/samx"], 0);
    assert.equal(v["entry/snapshots/post_scan/samx"], 1);
    assert.equal(v["entry/snapshots/pre_scan/samy"], 0);
    // NeXus: a generic viewer plots det against samx
    assert.deepEqual(f.attrs["/"], { default: "entry" });
    assert.deepEqual(f.attrs["entry"], { NX_class: "NXentry", default: "plot" });
    assert.deepEqual(f.attrs["entry/plot"], { NX_class: "NXdata", signal: "det", axes: ["samx"], samx_indices: 0 });
    // the writing detector's own file, linked relative to the scan file, resolves to its 5 frames
    const link = f.links["entry/measurement/eiger"];
    assert.deepEqual([link.file, link.path, link.shape], ["scan_000001_eiger.h5", DummyWritingDetector.datasetPath, [5, 64, 64]]);
    assert.deepEqual(link.first, [0, 0, 0, 0]);

    const { rows, text } = await lsrec();
    const row = rows.find((r) => r.name === "h5rec") as RecorderRow;
    assert.deepEqual([row.kind, row.alive, row.pid, row.backlog?.points], ["Hdf5Recorder", true, h5.pid, 0]);
    assert.match(text, new RegExp(`\\* h5rec\\s+Hdf5Recorder\\s+alive, pid ${h5.pid}\\s+0\\s+${file(1)} \\(finished, 5 points\\)`));
  });

test("failed and interrupted scans say so in their files", { skip: needsH5py(), timeout: 60_000 }, async () => {
  const { det } = resetBeamline();
  await h5rec();
  env.hooks.beforeStart = (scan) => {
    if (scan.pointsDone === 3) det.failNext = 100; // more than the group's retries
  };
  await assert.rejects(runCommand("ascan samx 0 1 9 0.01"), /simulated failure to start/);
  env.hooks = {};
  det.failNext = 0;
  const failed = scanFileSummary(file(1));
  assert.equal(failed.status, "failed");
  assert.match(failed.error ?? "", /det: simulated failure to start/);
  assert.equal(failed.rows.samx, 3);

  const ctl = new AbortController();
  env.progress = (p) => void (p.done === 4 && ctl.abort());
  await assert.rejects(runCommand("loopscan 50 0.01", { signal: ctl.signal }), AbortError);
  env.progress = undefined;
  const interrupted = scanFileSummary(file(2));
  assert.equal(interrupted.status, "interrupted");
  assert.equal(interrupted.error, null);
  assert.equal(interrupted.rows.det, 4);
});

test("a scan whose file exists already is refused before anything moves, and the file is left alone",
  { skip: needsH5py(), timeout: 60_000 }, async () => {
    const { samx, rec } = resetBeamline();
    await h5rec();
    await samx.move(0.3);
    const dir = env.paths.directory;
    const before = "someone else's data";
    // another program takes the file name between the scan number and the header
    let once = true;
    env.snapshot = {
      capture: async () => {
        if (once) writeFileSync(join(dir, "000001.h5"), before);
        once = false;
        return { samx: await samx.position() };
      },
    };
    await assert.rejects(runCommand("ascan samx 0 1 5 0.01"),
      { message: `h5rec: scan file ${join(dir, "000001.h5")} already exists; refusing to overwrite it` });
    assert.equal(await samx.position(), 0.3);
    assert.equal(readFileSync(join(dir, "000001.h5"), "utf8"), before);
    assert.deepEqual(rec.messages.map((m) => m.kind), ["header", "footer"]);
    assert.equal((rec.messages[1] as ScanFooter).status, "failed");
    // the recorder is fine: the next scan is written
    await runCommand("ascan samx 0 1 2 0.01");
    assert.deepEqual(scanFileSummary(file(2)).rows.samx, 3);
  });

test("the stream publishes header, points (arrays rebuilt) and footer to a SUB socket, and heartbeats",
  { timeout: 60_000 }, async () => {
    const { rec } = resetBeamline();
    new Dummy2dDetector({ name: "cam", shape: [256, 512] }); // 256 kB frames: they go through the side pipe
    const stream = new StreamRecorder({ name: "stream", address: "tcp://127.0.0.1:0", heartbeatSeconds: 0.1 });
    await stream.start();
    assert.match(stream.address, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(stream.address, "tcp://127.0.0.1:0");
    const sub = new StreamListener(stream.address);
    try {
      const beat = await sub.waitFor((m) => m.kind === "heartbeat"); // subscribed: nothing after this is missed
      assert.equal(beat.status, "heartbeat");
      await runCommand("ascan samx 0 1 3 0.01 sample=Au");
      await sub.waitFor((m) => m.kind === "footer");
      const msgs = sub.scan(1);
      assert.deepEqual(msgs.map((m) => `${m.kind}:${m.status}`),
        ["header:started", "data:running", "data:running", "data:running", "data:running", "footer:finished"]);
      const h = msgs[0] as ScanHeader;
      assert.deepEqual([h.description, h.motors, h.detectors, h.tags], ["ascan samx 0 1 3 0.01 sample=Au", ["samx"], ["det", "spec", "cam"], { sample: "Au" }]);
      const sent = rec.messages.filter((m): m is ScanPoint => m.kind === "data");
      msgs.slice(1, 5).forEach((m, i) => {
        const p = m as ScanPoint;
        assert.equal(p.index, i);
        assert.equal(p.data.samx, sent[i].data.samx);
        assert.ok(p.data.spec instanceof Float64Array);
        assert.deepEqual(p.data.spec, sent[i].data.spec);
        const cam = p.data.cam as NdArray;
        assert.deepEqual(cam.shape, [256, 512]);
        assert.ok(cam.data instanceof Uint16Array);
        assert.deepEqual(cam.data, (sent[i].data.cam as NdArray).data);
      });
      assert.match((await lsrec()).text, new RegExp(`stream\\s+StreamRecorder\\s+alive.*PUB ${stream.address}`));
    } finally {
      await sub.close();
    }
  });

test("a taken stream port is a clear error from start(), and the socket holding it is not disturbed", { timeout: 60_000 }, async () => {
  resetBeamline();
  const other = new Publisher({ linger: 0, sendTimeout: 0 });
  await other.bind("tcp://127.0.0.1:0");
  const address = other.lastEndpoint as string;
  const stream = new StreamRecorder({ name: "stream", address });
  try {
    await assert.rejects(stream.start(), { message: `stream: cannot bind ${address}: address in use` });
    assert.equal(stream.isAlive(), false);
    const { text } = await lsrec();
    assert.match(text, /stream\s+StreamRecorder\s+dead: cannot bind .*: address in use/);
    // while it starts again it is neither alive nor dead
    const again = stream.start().catch(() => {});
    const starting = (await lsrec()).text;
    assert.match(starting, /stream\s+StreamRecorder\s+starting\s/);
    assert.doesNotMatch(starting, /dead|start it with/);
    await again;
    assert.match(text, /start it with: startrec stream/);
    // the other publisher still publishes
    const sub = new StreamListener(address);
    const beat = setInterval(() => void other.send(encodeMessage({ kind: "heartbeat", status: "heartbeat", time: 1 })).catch(() => {}), 50);
    try {
      await sub.waitFor((m) => m.kind === "heartbeat" && m.time === 1);
    } finally {
      clearInterval(beat);
      await sub.close();
    }
  } finally {
    other.close();
  }
});

test("with a small backlog limit and a slow writer the scan waits for the recorder, says so once, and memory stays bounded",
  { skip: needsH5py(), timeout: 120_000 }, async () => {
    const { rec, det, spec } = resetBeamline();
    rec.active = det.active = spec.active = false;
    new Dummy2dDetector({ name: "cam", shape: [1024, 1024] }); // 2 MB frames, gzip-compressed: slow to write
    const frame = 1024 * 1024 * 2;
    const h5 = await h5rec({ gzip: ["cam"], maxBacklogPoints: 4, maxBacklogBytes: 2.5 * frame });
    let most = { points: 0, bytes: 0 };
    env.progress = () => {
      const b = h5.backlog();
      most = { points: Math.max(most.points, b.points), bytes: Math.max(most.bytes, b.bytes) };
    };
    try {
      await runCommand("loopscan 29 0"); // 30 points
    } finally {
      env.progress = undefined;
    }
    const out = takeOutput();
    assert.equal(out.match(/waiting for recorder h5rec: \d+ points \([\d.]+ MB\) not yet stored/g)?.length, 1, out);
    assert.ok(most.points >= 1 && most.points <= 2, `backlog went up to ${most.points} points`);
    assert.ok(most.bytes <= 2.5 * frame, `backlog went up to ${most.bytes} bytes`);
    const s = scanFileSummary(file(1));
    assert.deepEqual([s.status, s.rows.cam], ["finished", 30]);
  });

test("liveplot [x] y serves a page fed by the scans, keeps serving between scans, and replaces the previous one",
  { timeout: 60_000 }, async () => {
    resetBeamline();
    const url = (await runCommand("liveplot samx det")) as string;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.match(takeOutput(), new RegExp(`live plot at ${url}`));
    const page = await get(url);
    assert.equal(page.status, 200);
    assert.match(page.body, /<html/i);

    const seen: ToPage[] = [];
    const client = await watchEvents(url, (batch) => seen.push(...batch));
    try {
      await runCommand("ascan samx 0 1 4 0.01");
      const deadline = Date.now() + 10_000;
      const xs = () => seen.flatMap((m) => (m.type === "points" ? m.xs : []));
      while (!(xs().length === 5 && seen.some((m) => m.type === "status" && m.status === "finished")) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(xs(), [0, 0.25, 0.5, 0.75, 1]);
      assert.equal((await get(url)).status, 200, "still serving after the scan");
    } finally {
      client.close();
    }
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    try {
      const port = (taken.address() as AddressInfo).port;
      await assert.rejects(runCommand(`liveplot det port=${port}`),
        { message: `liveplot: cannot serve the live plot on 127.0.0.1:${port}: address in use` });
    } finally {
      taken.close();
    }
    const url2 = (await runCommand("liveplot counterless/key").catch((e: Error) => e.message)) as string;
    assert.match(url2, /y must be a detector or detector\/key/);
    await assert.rejects(runCommand("liveplot"), /liveplot \[<x>\] <y>/);
    const url3 = (await runCommand("liveplot det")) as string;
    assert.equal(LivePlotRecorder.getInstances().length, 1);
    assert.notEqual(url3, url);
    assert.equal((await get(url3)).status, 200);
  });

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).on("error", reject).end();
  });
}

/** Runs the CLI, timing each line of output. */
function contrastTimed(args: string[], extraEnv: Record<string, string>) {
  return new Promise<{ code: number | null; lines: { t: number; text: string }[]; err: string; exitedAt: number }>((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/contrast.js", ...args], {
      cwd: ROOT, env: { ...process.env, FORCE_COLOR: "0", ...extraEnv }, stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: { t: number; text: string }[] = [];
    let partial = "";
    let err = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d: string) => {
      const parts = (partial + d).split("\n");
      partial = parts.pop() ?? "";
      for (const text of parts) lines.push({ t: Date.now(), text });
    });
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) => {
      const exitedAt = Date.now();
      child.on("close", () => resolve({ code, lines, err, exitedAt }));
    });
  });
}

test("contrast -c on the simulated beamline writes the file, exits promptly, and leaves no recorder behind; a taken stream port is a warning",
  { skip: needsH5py(), timeout: 120_000 }, async () => {
    const dir = tempDir();
    const r = await contrastTimed(["beamlines/sim.ts", "-c", "ascan samx 0 1 5 0.01", "-c", "lsrec"],
      { CONTRAST_DATA_DIR: dir, CONTRAST_STREAM: "tcp://127.0.0.1:0" });
    const out = r.lines.map((l) => l.text).join("\n");
    assert.equal(r.code, 0, out + r.err);
    const done = r.lines.find((l) => /scan #1 finished/.test(l.text));
    assert.ok(done, out);
    assert.ok(r.exitedAt - done.t < 5000, `exited ${r.exitedAt - done.t} ms after the scan`);
    const pids = [...out.matchAll(/alive, pid (\d+)/g)].map((m) => Number(m[1]));
    assert.equal(pids.length, 2, out);
    assert.match(out, /stream\s+StreamRecorder\s+alive, pid \d+\s+0\s+PUB tcp:\/\/127\.0\.0\.1:(?!0\b)\d+/);
    assert.deepEqual(pids.filter(isRunning), []);
    const s = scanFileSummary(join(dir, "000001.h5"));
    assert.deepEqual([s.status, s.rows.samx, s.rows.det], ["finished", 6, 6]);

    const taken = new Publisher({ linger: 0 });
    await taken.bind("tcp://127.0.0.1:0");
    try {
      const dir2 = tempDir();
      const r2 = await contrastTimed(["beamlines/sim.ts", "-c", "ascan samx 0 1 2 0.01"],
        { CONTRAST_DATA_DIR: dir2, CONTRAST_STREAM: taken.lastEndpoint as string });
      const out2 = r2.lines.map((l) => l.text).join("\n");
      assert.equal(r2.code, 0, out2 + r2.err);
      assert.match(out2, new RegExp(`warning: stream: cannot bind ${taken.lastEndpoint}: address in use; going on without the stream`));
      assert.equal(scanFileSummary(join(dir2, "000001.h5")).status, "finished");
    } finally {
      taken.close();
    }
    assert.ok(existsSync(join(dir, ".contrast-scan-id.json")));
  });

test("examples/stream_consumer.ts prints each message's status and array shapes", { timeout: 60_000 }, async () => {
  resetBeamline();
  new Dummy2dDetector({ name: "cam", shape: [32, 48] });
  const stream = new StreamRecorder({ name: "stream", address: "tcp://127.0.0.1:0", heartbeatSeconds: 0.1 });
  await stream.start();
  const consumer = spawn(process.execPath, ["--import", "tsx", "examples/stream_consumer.ts", stream.address],
    { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  consumer.stdout.setEncoding("utf8");
  const seen = (re: RegExp) => new Promise<void>((resolve) => {
    const check = () => re.test(out) && (consumer.stdout.off("data", check), resolve());
    consumer.stdout.on("data", check);
    check();
  });
  consumer.stdout.on("data", (d: string) => (out += d));
  try {
    await seen(/^heartbeat/m);
    await runCommand("ascan samx 0 1 1 0.01");
    await seen(/^finished 1 /m);
    const lines = out.split("\n").filter((l) => !l.startsWith("heartbeat") && !l.startsWith("listening"));
    assert.deepEqual(lines.slice(0, 4), [
      "started 1  {}",
      `running 1 0 {"/data/spec":"<f8[100]","/data/cam":"<u2[32,48]"}`,
      `running 1 1 {"/data/spec":"<f8[100]","/data/cam":"<u2[32,48]"}`,
      "finished 1  {}",
    ]);
  } finally {
    consumer.kill();
  }
});

test("a footer that takes more than a second says what it waits for; the scan returns once it is stored", { timeout: 60_000 }, async () => {
  resetBeamline();
  const slow = new ScriptedRecorder({ name: "slow", footerDelayMs: 1500 });
  await slow.start();
  const t0 = Date.now();
  await runCommand("loopscan 3 0.01");
  assert.ok(Date.now() - t0 >= 1500, "the scan returned before the footer was stored");
  assert.match(takeOutput(), /waiting for slow to store scan #1 \(0 points to go\)/);
});
