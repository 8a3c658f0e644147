import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { Publisher } from "zeromq";
import { decodeMessage, dtypeOf, encodeMessage, DTYPES, type WireMessage } from "../src/recorders/stream/wire.ts";
import { isNdArray, isTypedArray, ndarray } from "../src/data/values.ts";
import type { ScanFooter, ScanHeader, ScanPoint } from "../src/recorders/messages.ts";
import { needsPyzmq, SYSTEM_PYTHON } from "./helpers/system.ts";

const header: ScanHeader = {
  kind: "header", status: "started", scannr: 3, description: "ascan samx 0 1 1 0.1", path: "/data", startTime: 1700000000.5,
  motors: ["samx"], detectors: ["img", "xrf", "eiger"], tags: { sample: "Au" }, npoints: 2,
  snapshot: { samx: 0, mono: { energy: 9.5, crystals: new Int16Array([1, -1]) } },
};
const points: ScanPoint[] = [0, 1].map((i) => ({
  kind: "data", status: "running", scannr: 3, index: i,
  data: {
    samx: i, label: "p" + i, ok: true, none: null,
    img: ndarray(new Uint16Array(6).map((_, k) => 100 * i + k), [2, 3]),
    xrf: { spectrum: new Float32Array([0.5, 1.25, i]), counts: new BigInt64Array([1n, -2n]), raw: new Uint8Array([i, 255]) },
    eiger: { file: "/data/eiger_3.h5", path: "/entry/data", universal: true },
    vol: ndarray(new Float64Array(8).fill(i), [2, 2, 2]),
  },
}));
const footer: ScanFooter = { kind: "footer", status: "finished", scannr: 3, endTime: 1700000010, snapshot: { samx: 1 } };

test("encode/decode round trip rebuilds typed arrays, NdArrays, dicts and links", () => {
  for (const msg of [header, ...points, footer, { kind: "heartbeat", status: "heartbeat", time: 5 } satisfies WireMessage]) {
    assert.deepEqual(decodeMessage(encodeMessage(msg)), msg);
  }
  const frames = encodeMessage(points[1]);
  assert.equal(frames.length, 6);
  const json = JSON.parse(frames[0].toString("utf8"));
  assert.deepEqual(json.data.img, { __array__: 1, dtype: "<u2", shape: [2, 3] });
  assert.deepEqual(json.data.xrf.counts, { __array__: 3, dtype: "<i8", shape: [2] });
  assert.deepEqual(json.data.eiger, { file: "/data/eiger_3.h5", path: "/entry/data", universal: true });
  assert.deepEqual([...frames[1]], [100, 0, 101, 0, 102, 0, 103, 0, 104, 0, 105, 0]);
});

test("decoding copies misaligned frames into aligned memory and rejects short frames", () => {
  const [json, arr] = encodeMessage({ ...footer, snapshot: { v: new Float64Array([1.5, -2]) } });
  const odd = Buffer.alloc(arr.length + 1).subarray(1); // byteOffset 1: not a multiple of 8
  arr.copy(odd);
  const back = decodeMessage([json, odd]) as ScanFooter;
  assert.ok(back.snapshot.v instanceof Float64Array);
  assert.deepEqual([...back.snapshot.v], [1.5, -2]);
  assert.throws(() => decodeMessage([json, arr.subarray(0, 8)]), /array frame 1 missing or not 2 x <f8/);
});

test("the dtype table covers every typed array", () => {
  assert.deepEqual(Object.keys(DTYPES), ["|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "<f4", "<f8"]);
  for (const [dtype, ctor] of Object.entries(DTYPES)) assert.equal(dtypeOf(new ctor(new ArrayBuffer(8))), dtype);
});

/** What the Python consumer prints for a message: arrays as {dtype, shape, values}. */
function pythonView(v: unknown): unknown {
  if (isTypedArray(v)) return pythonView(ndarray(v, [v.length]));
  if (isNdArray(v)) {
    const flat = Array.from(v.data as ArrayLike<number | bigint>, Number);
    const nest = (shape: number[], at: number): unknown =>
      shape.length === 1 ? flat.slice(at, at + shape[0])
        : Array.from({ length: shape[0] }, (_, i) => nest(shape.slice(1), at + i * shape.slice(1).reduce((a, b) => a * b, 1)));
    return { dtype: dtypeOf(v.data), shape: v.shape, values: nest(v.shape, 0) };
  }
  if (Array.isArray(v)) return v.map(pythonView);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, pythonView(x)]));
  return v;
}

const CONSUMER = String.raw`
import json, sys, zmq, numpy as np
sub = zmq.Context().socket(zmq.SUB)
sub.setsockopt(zmq.SUBSCRIBE, b"")
sub.setsockopt(zmq.RCVTIMEO, 30000)
sub.connect(sys.argv[1])
def rebuild(v, frames):
    if isinstance(v, dict) and "__array__" in v:
        a = np.frombuffer(frames[v["__array__"]], dtype=v["dtype"]).reshape(v["shape"])
        return {"dtype": a.dtype.str, "shape": list(a.shape), "values": a.tolist()}
    if isinstance(v, dict): return {k: rebuild(x, frames) for k, x in v.items()}
    if isinstance(v, list): return [rebuild(x, frames) for x in v]
    return v
out, ready = [], False
while True:
    frames = sub.recv_multipart()
    msg = json.loads(frames[0])
    if msg["status"] == "heartbeat":
        if not ready: print("ready", flush=True); ready = True
        continue
    out.append(rebuild(msg, frames))
    if msg["kind"] == "footer": break
print(json.dumps(out), flush=True)
`;

test("a Python SUB rebuilds the arrays with numpy.frombuffer", { skip: needsPyzmq(), timeout: 60_000 }, async () => {
  const pub = new Publisher({ linger: 0, sendTimeout: 1000 });
  await pub.bind("tcp://127.0.0.1:*");
  const endpoint = pub.lastEndpoint;
  assert.ok(endpoint);
  const py = spawn(SYSTEM_PYTHON, ["-c", CONSUMER, endpoint], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  py.stdout.on("data", (b: Buffer) => { out += b.toString(); });
  py.stderr.on("data", (b: Buffer) => { err += b.toString(); });
  const exited = new Promise<number | null>((resolve) => py.on("exit", resolve));
  try {
    // PUB drops messages until the subscriber is connected: heartbeat until it says so
    while (!out.includes("ready\n")) {
      if (py.exitCode !== null) throw new Error(`consumer died: ${err}`);
      await pub.send(encodeMessage({ kind: "heartbeat", status: "heartbeat", time: Date.now() / 1000 }));
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const msg of [header, ...points, footer]) await pub.send(encodeMessage(msg));
    assert.equal(await exited, 0, err);
  } finally {
    pub.close();
    py.kill();
  }
  const received = JSON.parse(out.trim().split("\n").at(-1) ?? "") as unknown[];
  assert.deepEqual(received, [header, ...points, footer].map(pythonView));
  assert.deepEqual((received[1] as { data: { img: unknown } }).data.img,
    { dtype: "<u2", shape: [2, 3], values: [[0, 1, 2], [3, 4, 5]] });
});
