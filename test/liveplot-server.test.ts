/**
 * The live plot without a browser: reducing readings, the scan state, the
 * HTTP rules and the event stream (read with a plain Node client).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { LivePlotServer } from "../src/recorders/liveplot/LivePlotServer.ts";
import { ScanState } from "../src/recorders/liveplot/ScanState.ts";
import { asImage, asSpectrum, downsampleFrame, resolvePath, toNumber } from "../src/recorders/liveplot/reduce.ts";
import { watchEvents } from "../src/recorders/liveplot/EventsClient.ts";
import type { ToPage } from "../src/recorders/liveplot/protocol.ts";
import type { ScanFooter, ScanHeader, ScanPoint } from "../src/recorders/messages.ts";
import { ndarray, type Value } from "../src/data/values.ts";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function header(scannr: number, motors: string[], npoints: number | null = null): ScanHeader {
  return {
    kind: "header", status: "started", scannr, description: `scan ${scannr}`, path: "/tmp", startTime: 1000,
    motors, detectors: ["det"], tags: {}, snapshot: {}, npoints,
  };
}
const point = (scannr: number, index: number, data: Record<string, Value>): ScanPoint =>
  ({ kind: "data", status: "running", scannr, index, data });
const footer = (scannr: number): ScanFooter =>
  ({ kind: "footer", status: "finished", scannr, endTime: 1001, snapshot: {} });

/** One HTTP request; resolves to status, headers and body. */
function fetchRaw(url: string, method = "GET", hostHeader?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: hostHeader ? { Host: hostHeader } : {} }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => { body += c; });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("liveplot: reading values", () => {
  test("paths walk into dict readings; arrays count as their sum", () => {
    const data: Record<string, Value> = { det: 3, xsp: { ch0: 5, ch1: { roi: 7 } }, "a/b": 9, flag: true, spec: new Uint16Array([1, 2, 3]) };
    assert.equal(resolvePath(data, "det"), 3);
    assert.equal(resolvePath(data, "xsp/ch0"), 5);
    assert.equal(resolvePath(data, "xsp/ch1/roi"), 7);
    assert.equal(resolvePath(data, "a/b"), 9);
    assert.equal(resolvePath(data, "xsp/nope"), undefined);
    assert.equal(resolvePath(data, "det/x"), undefined);
    assert.equal(toNumber(true), 1);
    assert.equal(toNumber(new Uint16Array([1, 2, 3])), 6);
    assert.equal(toNumber(new BigInt64Array([1n, 2n])), 3);
    assert.equal(toNumber(ndarray(new Float32Array([1, 2, 3, 4]), [2, 2])), 10);
    assert.ok(Number.isNaN(toNumber("text")));
    assert.ok(Number.isNaN(toNumber(undefined)));
  });

  test("1-D and 2-D readings are told apart, length-1 axes ignored", () => {
    assert.ok(asSpectrum(new Float64Array(5)));
    assert.ok(asSpectrum(ndarray(new Float64Array(5), [1, 5])));
    assert.equal(asSpectrum(ndarray(new Float64Array(6), [2, 3])), null);
    assert.equal(asSpectrum(4), null);
    const img = asImage(ndarray(new Uint8Array(6), [1, 2, 3]));
    assert.deepEqual(img && [img.height, img.width, img.shape], [2, 3, [1, 2, 3]]);
    assert.equal(asImage(new Float64Array(4)), null);
  });

  test("frames shrink to at most 256 px a side by block averaging, hot pixels clipped", () => {
    const h = 1000, w = 300;
    const data = Float64Array.from({ length: h * w }, (_, k) => Math.floor(k / w)); // brightness = row
    data[5] = 1e9; // one hot pixel
    const g = downsampleFrame({ data, shape: [h, w], height: h, width: w }, 256);
    assert.deepEqual([g.height, g.width], [250, 75]); // 4x4 blocks
    assert.equal(g.pixels.length, 250 * 75);
    assert.ok(g.white < 1000, `the hot pixel does not set white (${g.white})`);
    assert.ok(g.pixels[75 * 10]! < g.pixels[75 * 120]! && g.pixels[75 * 120]! < g.pixels[75 * 240]!, "rows get brighter");
    assert.equal(g.pixels[75 * 249], 255);
    const small = downsampleFrame({ data: new Uint8Array([0, 10, 20, 30]), shape: [2, 2], height: 2, width: 2 });
    assert.deepEqual(Array.from(small.pixels), [0, 85, 170, 255]);
  });
});

describe("liveplot: scan state", () => {
  test("keeps the last keepScans scans; a repeated scan number replaces the old scan", () => {
    const s = new ScanState("samx", "det", 3);
    for (const nr of [1, 2, 3, 4]) {
      s.handle(header(nr, ["samx"], 2));
      s.handle(point(nr, 0, { samx: 0, det: nr }));
      s.handle(footer(nr));
    }
    assert.deepEqual(s.traces.map((t) => t.meta.scannr), [2, 3, 4]);
    s.handle(header(3, ["samx"]));
    assert.deepEqual(s.traces.map((t) => t.meta.scannr), [2, 4, 3]);
    assert.equal(s.current?.xs.length, 0);
    assert.equal(s.current?.status, "started");
  });

  test("x missing from the scan: the point index; a point after the footer is ignored", () => {
    const s = new ScanState("samx", "xsp/ch1", 5);
    s.handle(header(5, ["samy"]));
    for (let i = 0; i < 3; i++) s.handle(point(5, i, { samy: i * 2, xsp: { ch0: 1, ch1: 10 + i } }));
    s.handle(footer(5));
    s.handle(point(5, 3, { samy: 6, xsp: { ch0: 1, ch1: 13 } }));
    const t = s.current!;
    assert.equal(t.meta.xLabel, "point");
    assert.deepEqual(t.xs, [0, 1, 2]);
    assert.deepEqual(t.ys, [10, 11, 12]);
    assert.equal(t.status, "finished");
  });

  test("points without a header start a scan; two motors make a map; spectra are found inside dicts", () => {
    const s = new ScanState("samx", "det", 5);
    s.handle(point(9, 0, { samx: 1, det: 2 }));
    assert.equal(s.current?.meta.scannr, 9);
    assert.equal(s.current?.status, "running");
    s.handle(header(10, ["samx", "samy"], 4));
    s.handle(point(10, 0, { samx: 1, samy: 2, det: 3, xsp: { ch0: new Float32Array([1, 2]) } }));
    assert.deepEqual([s.current?.a, s.current?.b], [[1], [2]]);
    assert.equal(s.spectrum?.name, "xsp/ch0");
    assert.equal(s.frame, null);
  });
});

describe("liveplot: HTTP", () => {
  test("binds loopback, serves the page and uPlot from node_modules, nothing else", async () => {
    const s = new LivePlotServer({ x: "samx", y: "det" });
    const url = await s.listen();
    try {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetchRaw(url);
      assert.equal(page.status, 200);
      assert.match(String(page.headers["content-type"]), /text\/html/);
      assert.match(page.body, /<script src="uPlot\.iife\.min\.js">/);
      assert.doesNotMatch(page.body, /https?:\/\//, "no external resources");
      const dist = dirname(createRequire(import.meta.url).resolve("uplot"));
      assert.equal((await fetchRaw(url + "uPlot.iife.min.js")).body, readFileSync(join(dist, "uPlot.iife.min.js"), "utf8"));
      assert.equal((await fetchRaw(url + "uPlot.min.css")).status, 200);
      assert.equal((await fetchRaw(url + "liveplot.js")).status, 200);
      assert.equal((await fetchRaw(url + "nope")).status, 404);
      assert.equal((await fetchRaw(url + "../package.json")).status, 404);
      for (const m of ["POST", "PUT", "DELETE", "PATCH"]) {
        const r = await fetchRaw(url, m);
        assert.equal(r.status, 405, m);
        assert.equal(r.headers.allow, "GET, HEAD");
      }
      assert.equal((await fetchRaw(url + "events", "POST")).status, 405);
      assert.equal((await fetchRaw(url, "HEAD")).status, 200);
      // a page of another site reaching us through a DNS name (rebinding) is refused
      assert.equal((await fetchRaw(url, "GET", "evil.example:80")).status, 403);
      assert.equal((await fetchRaw(url, "GET", `localhost:${new URL(url).port}`)).status, 200);
    } finally {
      await s.close();
    }
  });

  test("an address may be given", async () => {
    const s = new LivePlotServer({ y: "det", host: "0.0.0.0" });
    const url = await s.listen();
    try {
      assert.match(url, /^http:\/\/0\.0\.0\.0:\d+\/$/);
      const port = new URL(url).port;
      assert.equal((await fetchRaw(`http://127.0.0.1:${port}/`, "GET", `beamline-pc:${port}`)).status, 200);
    } finally {
      await s.close();
    }
  });
});

describe("liveplot: event stream", () => {
  test("a client gets hello and the whole state on connect, then batches, never a point twice", async () => {
    const s = new LivePlotServer({ x: "samx", y: "det", updatesPerSecond: 10 });
    const url = await s.listen();
    s.handle(header(1, ["samx"], 3));
    for (let i = 0; i < 3; i++) s.handle(point(1, i, { samx: i, det: 10 * i }));
    s.handle(footer(1));
    const batches: ToPage[][] = [];
    const client = await watchEvents(url, (b) => batches.push(b));
    try {
      while (!batches.length) await sleep(5);
      assert.deepEqual(batches[0]!.map((m) => m.type), ["hello", "scan", "points", "status"]);
      const pts = batches[0]![2] as Extract<ToPage, { type: "points" }>;
      assert.deepEqual([pts.from, pts.xs, pts.ys], [0, [0, 1, 2], [0, 10, 20]]);

      // a scan fed at 500 points a second for a second
      const t0 = Date.now();
      s.handle(header(2, ["samx"], 500));
      for (let i = 0; i < 500; i++) {
        s.handle(point(2, i, { samx: i, det: i % 7 === 0 ? NaN : i }));
        if (i % 10 === 9) await sleep(20);
      }
      s.handle(footer(2));
      const seconds = (Date.now() - t0) / 1000;
      await sleep(250);
      const later = batches.slice(1);
      const xs: number[] = [];
      const ys: (number | null)[] = [];
      for (const b of later) {
        for (const m of b) {
          if (m.type === "points") {
            assert.equal(m.from, xs.length, "contiguous, no repeats");
            xs.push(...m.xs);
            ys.push(...m.ys);
          }
        }
      }
      assert.deepEqual(xs, Array.from({ length: 500 }, (_, i) => i));
      assert.equal(ys[7], null, "NaN arrives as null");
      assert.equal(ys[8], 8);
      assert.ok(later.length <= seconds * 10 + 3, `${later.length} batches in ${seconds.toFixed(2)} s at 10 a second`);
      assert.ok(later.length >= 3);
      const last = later[later.length - 1]!;
      assert.deepEqual(last[last.length - 1], { type: "status", uid: 2, status: "finished", error: null, endTime: 1001 });
    } finally {
      client.close();
      await s.close();
    }
  });

  test("images are throttled to framesPerSecond and the last one always arrives", async () => {
    const s = new LivePlotServer({ y: "cam", framesPerSecond: 4 });
    const url = await s.listen();
    const frames: Extract<ToPage, { type: "frame" }>[] = [];
    const client = await watchEvents(url, (b) => {
      for (const m of b) if (m.type === "frame") frames.push(m);
    });
    try {
      const t0 = Date.now();
      s.handle(header(3, [], 40));
      for (let i = 0; i < 40; i++) {
        s.handle(point(3, i, { cam: ndarray(new Uint16Array(600 * 400).fill(i), [600, 400]) }));
        await sleep(25);
      }
      s.handle(footer(3));
      const seconds = (Date.now() - t0) / 1000;
      await sleep(600);
      assert.ok(frames.length >= 2 && frames.length <= seconds * 4 + 2, `${frames.length} frames in ${seconds.toFixed(2)} s`);
      const last = frames[frames.length - 1]!;
      assert.equal(last.index, 39, "the latest frame is sent in the end");
      assert.deepEqual([last.shape, last.height, last.width], [[600, 400], 200, 134]);
      assert.equal(Buffer.from(last.pixels, "base64").length, 200 * 134);
    } finally {
      client.close();
      await s.close();
    }
  });

  test("close() ends every stream", async () => {
    const s = new LivePlotServer({ y: "det" });
    const url = await s.listen();
    const client = await watchEvents(url, () => {});
    while (s.clientCount < 1) await sleep(5);
    await s.close();
    await client.ended;
    assert.equal(s.clientCount, 0);
  });
});
