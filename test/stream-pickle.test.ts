/**
 * The original's stream format: pickled dicts read by Debian's Python with
 * pyzmq's recv_pyobj over a real socket, numpy arrays included.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  env, runCommand, Recorder, StreamRecorder, Dummy2dDetector, DummyDictDetector, DummyWritingDetector, AbortError,
  type ScanHeader, type ScanPoint, type Value,
} from "../src/index.ts";
import { isLink, isNdArray, isTypedArray, ndarray } from "../src/data/values.ts";
import { pickle, type Picklable } from "../src/recorders/stream/pickle.ts";
import { PickleFormat } from "../src/recorders/stream/pickleFormat.ts";
import { dtypeOf } from "../src/recorders/stream/wire.ts";
import { resetBeamline } from "./helpers/beamline.ts";
import { needsPyzmq, SYSTEM_PYTHON } from "./helpers/system.ts";

after(async () => {
  await Promise.all(Recorder.getInstances().map((r) => r.stop()));
});

/**
 * Python's view of what it unpickled, as JSON that keeps the types apart:
 * ints as {"int": n}, arrays as {"dtype", "shape", "values"}. It also checks
 * that pickletools reads each message as protocol 2 and as one dict.
 */
const VIEW = String.raw`
import json, pickle, pickletools, numpy as np
def view(v):
    if isinstance(v, bool) or v is None or isinstance(v, (str, float)): return v
    if isinstance(v, int): return {"int": v}
    if isinstance(v, np.ndarray): return {"dtype": v.dtype.str, "shape": list(v.shape), "values": v.tolist()}
    if isinstance(v, dict): return {k: view(x) for k, x in v.items()}
    if isinstance(v, list): return [view(x) for x in v]
    raise TypeError(type(v))
def check(frame):
    proto = max(op.proto for op, _, _ in pickletools.genops(frame))
    assert proto <= 2, proto
    obj = pickle.loads(frame)
    assert type(obj) is dict, type(obj)
    return obj
`;

/** What the Python view of a JavaScript value should be (numbers are floats, bigints ints). */
function expected(v: Picklable): unknown {
  if (typeof v === "bigint") return { int: Number(v) };
  if (isTypedArray(v)) return expected(ndarray(v, [v.length]));
  if (isNdArray(v)) {
    const flat = Array.from(v.data as ArrayLike<number | bigint>, Number);
    const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
    const nest = (shape: number[], at: number): unknown => shape.length === 0 ? flat[at]
      : Array.from({ length: shape[0] }, (_, i) => nest(shape.slice(1), at + i * size(shape.slice(1))));
    return { dtype: dtypeOf(v.data), shape: v.shape, values: nest(v.shape, 0) };
  }
  if (Array.isArray(v)) return v.map(expected);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expected(x)]));
  return v;
}

test("Python unpickles every kind of value exactly: floats, ints of any size, strings, nested dicts, lists, numpy arrays",
  { skip: needsPyzmq() }, () => {
    const value: Picklable = {
      f: 1.5, neg: -0.25, tiny: 1e-300, zero: 0, none: null, yes: true, no: false,
      small: 7n, word: 65535n, int32: -(2n ** 31n), big: 2n ** 40n, i64min: -(2n ** 63n), u64max: 2n ** 64n - 1n, m129: -129n,
      text: "héllo ✓ \n 'quoted'", empty: "", list: [1, "x", [], {}], tuple_like: [1n, 2n, 3n, 4n],
      nested: { a: { b: { c: new Float32Array([0.5, -1]) } } },
      img: ndarray(new Uint16Array(12).map((_, i) => i * 5000), [3, 4]),
      vol: ndarray(new Float64Array(8).map((_, i) => i / 3), [2, 2, 2]),
      i1: new Int8Array([-128, 0, 127]), u1: new Uint8Array([0, 128, 255]), i2: new Int16Array([-32768, 1]),
      i4: ndarray(new Int32Array([-1, 2, -3, 4]), [2, 2]), u4: new Uint32Array([4294967295]),
      i8: new BigInt64Array([-(2n ** 62n), 5n]), u8: new BigUint64Array([2n ** 52n]), none_array: new Float64Array(0),
    };
    const r = spawnSync(SYSTEM_PYTHON, ["-c", `${VIEW}\nimport sys\nprint(json.dumps(view(check(sys.stdin.buffer.read()))))`],
      { input: pickle(value), encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), expected(value));
  });

/** A Python SUB that prints "ready" at the first heartbeat, then the view of each message until two scans ended. */
const CONSUMER = String.raw`${VIEW}
import sys, zmq
sub = zmq.Context().socket(zmq.SUB)
sub.setsockopt(zmq.SUBSCRIBE, b"")
sub.setsockopt(zmq.RCVTIMEO, 30000)
sub.connect(sys.argv[1])
out, ended, ready = [], 0, False
while ended < 2:
    frames = sub.recv_multipart()
    assert len(frames) == 1, len(frames)
    msg = check(frames[0])
    if msg["status"] == "heartbeat":
        assert msg == {"status": "heartbeat"}, msg
        if not ready: print("ready", flush=True); ready = True
        continue
    out.append(view(msg))
    if msg["status"] in ("finished", "interrupted"): ended += 1
print(json.dumps(out), flush=True)
`;

function pythonSub(address: string) {
  const py = spawn(SYSTEM_PYTHON, ["-c", CONSUMER, address], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  py.stdout.on("data", (b: Buffer) => { out += b.toString(); });
  py.stderr.on("data", (b: Buffer) => { err += b.toString(); });
  const exited = new Promise<number | null>((resolve) => py.on("exit", resolve));
  return {
    async ready() {
      while (!out.includes("ready\n")) {
        if (py.exitCode !== null) throw new Error(`consumer died: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async messages(): Promise<Record<string, unknown>[]> {
      assert.equal(await exited, 0, err);
      return JSON.parse(out.trim().split("\n").at(-1) ?? "") as Record<string, unknown>[];
    },
    kill: () => py.kill(),
  };
}

/** A point's data as the original streams it. */
const pointDict = (data: Record<string, Value>): Picklable => Object.fromEntries(Object.entries(data).map(([k, v]) =>
  [k, isLink(v) ? { type: "Link", filename: v.file, path: v.path, universal: v.universal } : v as Picklable]));

test("StreamRecorder({ format: 'pickle' }) publishes what the original publishes, and Python's recv_pyobj rebuilds all of it",
  { skip: needsPyzmq(), timeout: 90_000 }, async () => {
    const { rec } = resetBeamline();
    new Dummy2dDetector({ name: "cam", shape: [64, 32] });
    new DummyDictDetector({ name: "counter" });
    new DummyWritingDetector({ name: "eiger" });
    const stream = new StreamRecorder({ name: "stream", address: "tcp://127.0.0.1:0", heartbeatSeconds: 0.1, format: "pickle" });
    await stream.start();
    const sub = pythonSub(stream.address);
    try {
      await sub.ready();
      await runCommand("ascan samx 0 1 2 0.01 sample=Au");
      const ctl = new AbortController();
      env.progress = (p) => void (p.done === 2 && ctl.abort());
      await assert.rejects(runCommand("loopscan 50 0.01", { signal: ctl.signal }), AbortError);
      env.progress = undefined;
      const got = await sub.messages();
      assert.deepEqual(got.map((m) => m.status), ["started", "running", "running", "running", "finished",
        "started", ...got.slice(6, -1).map(() => "running"), "interrupted"]);
      assert.equal(got.length - 7, rec.messages.filter((m) => m.kind === "data" && m.scannr === 2).length);

      const sent = rec.messages.filter((m) => m.scannr === 1);
      const h = sent[0] as ScanHeader;
      // dranspose's models: started and finished need path, scannr and description; running needs dt
      assert.deepEqual(got[0], expected({
        status: "started", scannr: 1n, description: "ascan samx 0 1 2 0.01 sample=Au", path: env.paths.directory,
        snapshot: h.snapshot as Picklable, npoints: 3n, startTime: h.startTime, motors: ["samx"],
        detectors: ["det", "spec", "cam", "counter", "eiger"], tags: { sample: "Au" },
      }));
      sent.slice(1, 4).forEach((p, i) => {
        const data = (p as ScanPoint).data;
        assert.deepEqual(got[1 + i], expected({ status: "running", ...(pointDict(data) as Record<string, Picklable>) }));
        assert.equal(typeof got[1 + i].dt, "number");
      });
      assert.deepEqual((got[1].cam as { shape: number[]; dtype: string }).shape, [64, 32]);
      assert.deepEqual([(got[1].eiger as { type: string }).type, (got[1].eiger as { universal: boolean }).universal], ["Link", true]);
      const footer = sent[4];
      assert.equal(footer.kind, "footer");
      assert.deepEqual(got[4], expected({
        status: "finished", scannr: 1n, description: "ascan samx 0 1 2 0.01 sample=Au", path: env.paths.directory,
        snapshot: footer.snapshot as Picklable, endTime: footer.endTime, stats: footer.stats as unknown as Picklable,
      }));
      assert.deepEqual([got.at(-1)?.scannr, got.at(-1)?.description, got.at(-1)?.path], [{ int: 2 }, "loopscan 50 0.01", env.paths.directory]);
    } finally {
      sub.kill();
      await stream.stop();
    }
  });

test("a failed scan's footer is 'interrupted' with the error; a footer without its header still has the required fields",
  { skip: needsPyzmq() }, () => {
    const f = new PickleFormat();
    const frames = [
      ...f.encode({ kind: "header", status: "started", scannr: 9, description: "dscan samx -1 1 4 0.1", path: "/d", startTime: 1,
        motors: ["samx"], detectors: [], tags: {}, snapshot: { samx: 0 }, npoints: null }),
      ...f.encode({ kind: "footer", status: "failed", scannr: 9, endTime: 2, error: "det: timed out", snapshot: { samx: 1 } }),
      ...f.encode({ kind: "footer", status: "finished", scannr: 10, endTime: 3, snapshot: {} }),
    ];
    const r = spawnSync(SYSTEM_PYTHON, ["-c", `${VIEW}\nimport sys, base64\nprint(json.dumps([view(check(base64.b64decode(l))) for l in sys.stdin.read().split()]))`],
      { input: frames.map((b) => b.toString("base64")).join("\n"), encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [
      { status: "started", scannr: { int: 9 }, description: "dscan samx -1 1 4 0.1", path: "/d", snapshot: { samx: 0 }, npoints: null,
        startTime: 1, motors: ["samx"], detectors: [], tags: {} },
      { status: "interrupted", scannr: { int: 9 }, description: "dscan samx -1 1 4 0.1", path: "/d", snapshot: { samx: 1 }, endTime: 2,
        error: "det: timed out" },
      { status: "finished", scannr: { int: 10 }, description: "", path: "", snapshot: {}, endTime: 3 },
    ]);
  });

test("StreamRecorder refuses a format it does not know", () => {
  assert.throws(() => new StreamRecorder({ name: "s", address: "tcp://127.0.0.1:0", format: "msgpack" as "json" }),
    { message: 's: stream format must be "json" or "pickle", not "msgpack"' });
});
