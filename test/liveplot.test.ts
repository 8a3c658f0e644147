/**
 * The live plot in a real browser: Debian's chromium driven by playwright-core.
 * A LivePlotServer is fed synthetic scan messages and we read back what the
 * page plotted (window.liveplot), its text and its canvases.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { LivePlotServer } from "../src/recorders/liveplot/LivePlotServer.ts";
import type { LivePlotView } from "../src/recorders/liveplot/protocol.ts";
import type { ScanFooter, ScanHeader, ScanPoint, ScanStatus } from "../src/recorders/messages.ts";
import type { Value } from "../src/data/values.ts";
import { ndarray } from "../src/data/values.ts";
import { CHROMIUM, needsChromium } from "./helpers/system.ts";

const ARTIFACTS = new URL("../test-artifacts/", import.meta.url);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function header(scannr: number, description: string, motors: string[], detectors: string[], npoints: number | null): ScanHeader {
  return {
    kind: "header", status: "started", scannr, description, path: "/tmp/data", startTime: Date.now() / 1000,
    motors, detectors, tags: {}, snapshot: {}, npoints,
  };
}
function point(scannr: number, index: number, data: Record<string, Value>): ScanPoint {
  return { kind: "data", status: "running", scannr, index, data };
}
function footer(scannr: number, status: ScanStatus = "finished", error?: string): ScanFooter {
  return { kind: "footer", status, scannr, endTime: Date.now() / 1000, snapshot: {}, ...(error ? { error } : {}) };
}

/** A peak that moves with the scan number, so overlaid scans are told apart. */
function det(x: number, i: number, scannr = 42): number {
  return 1000 * Math.exp(-((x - 2.5 - (42 - scannr) * 0.3) ** 2) / 0.5) + i;
}
function spectrum(i: number): Float64Array {
  return Float64Array.from({ length: 256 }, (_, c) => 100 * Math.exp(-((c - 80 - i) ** 2) / 50) + 5 + (c % 7));
}

/** Feeds a 1-D scan of samx, det (and spec); `pause` ms every 5 points, 0 = all at once. */
async function feedLine(s: LivePlotServer, scannr: number, n: number, pause = 0, withSpectrum = false): Promise<{ xs: number[]; ys: number[] }> {
  s.handle(header(scannr, `ascan samx 0 ${((n - 1) * 0.1).toFixed(1)} ${n - 1} 0.1`, ["samx"], withSpectrum ? ["det", "spec"] : ["det"], n));
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = Math.round(i * 0.1 * 1e6) / 1e6;
    const y = det(x, i, scannr);
    xs.push(x);
    ys.push(y);
    s.handle(point(scannr, i, { samx: x, det: y, ...(withSpectrum ? { spec: spectrum(i) } : {}), dt: i * 0.1 }));
    if (pause && i % 5 === 4) await sleep(pause);
  }
  s.handle(footer(scannr));
  return { xs, ys };
}

function liveplot(page: Page): Promise<LivePlotView> {
  return page.evaluate(() => (window as unknown as { liveplot: LivePlotView }).liveplot);
}

/** Waits until the page shows scan `scannr` with `status` and `points` points. */
async function waitFor(page: Page, scannr: number, points: number, status = "finished", timeout = 20000): Promise<LivePlotView> {
  await page.waitForFunction(([nr, n, st]) => {
    const v = (window as unknown as { liveplot?: LivePlotView }).liveplot;
    return !!v && v.scannr === nr && v.points === n && v.status === st;
  }, [scannr, points, status] as const, { timeout });
  return liveplot(page);
}

/** Lets the page draw what it has (it draws on animation frames). */
async function drawn(page: Page): Promise<void> {
  await page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
  await sleep(50);
}

/** RGBA of one pixel of a canvas, in CSS pixels. */
function pixel(page: Page, id: string, x: number, y: number): Promise<number[]> {
  return page.evaluate(([id, x, y]) => {
    const cv = document.getElementById(id) as HTMLCanvasElement;
    const k = cv.width / cv.clientWidth;
    return Array.from(cv.getContext("2d")!.getImageData(Math.round(x * k), Math.round(y * k), 1, 1).data);
  }, [id, x, y] as const);
}

describe("liveplot in chromium", { skip: needsChromium() }, () => {
  let browser: Browser;
  const servers: LivePlotServer[] = [];

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM, headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"],
    });
  });
  after(async () => {
    await browser?.close();
    for (const s of servers) await s.close();
  });

  async function server(opts: ConstructorParameters<typeof LivePlotServer>[0]): Promise<[LivePlotServer, string]> {
    const s = new LivePlotServer(opts);
    servers.push(s);
    return [s, await s.listen()];
  }

  async function open(url: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    // nothing may come from anywhere but our server
    await page.route("**/*", (route) => {
      if (route.request().url().startsWith(url)) return route.continue();
      errors.push(`external request: ${route.request().url()}`);
      return route.abort();
    });
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { liveplot?: LivePlotView }).liveplot?.connected === true);
    (page as Page & { errors?: string[] }).errors = errors;
    return page;
  }
  const errorsOf = (page: Page): string[] => (page as Page & { errors?: string[] }).errors ?? [];

  test("a 1-D scan: every point with its x and y, the status, scan number and command line", async () => {
    const [s, url] = await server({ x: "samx", y: "det" });
    // two earlier scans to overlay
    await feedLine(s, 40, 50);
    await feedLine(s, 41, 50);
    const page = await open(url);
    const { xs, ys } = await feedLine(s, 42, 50, 20, true);
    const v = await waitFor(page, 42, 50);

    assert.equal(v.points, 50);
    assert.deepEqual(v.xs, xs);
    assert.deepEqual(v.ys, ys);
    assert.equal(v.status, "finished");
    assert.equal(v.npoints, 50);
    assert.equal(v.scans, 3, "the current scan overlaid on the two before it");
    assert.equal(v.spectrumName, "spec");
    assert.deepEqual(v.spectrum, Array.from(spectrum(49)));
    assert.ok(v.updates < 50, `points arrive in batches (${v.updates} batches for 50 points)`);

    assert.equal(await page.textContent("#scannr"), "42");
    assert.equal((await page.textContent("#status"))?.toLowerCase(), "finished");
    assert.equal(await page.textContent("#command"), "ascan samx 0 4.9 49 0.1");
    assert.equal(await page.textContent("#progress"), "50 / 50 points");
    assert.equal(await page.textContent("#chartTitle"), "det vs samx");
    await drawn(page);
    // uPlot drew the chart: a legend entry per scan and labelled axes
    const legend = await page.$$eval("#chart .u-legend .u-series .u-label", (els) => els.map((e) => e.textContent));
    assert.deepEqual(legend, ["#40", "#41", "#42 (current)"]);
    // the current scan's peak is drawn in its colour (#1f6feb) somewhere on the canvas
    const blue = await page.evaluate(() => {
      const cv = document.querySelector("#chart canvas") as HTMLCanvasElement;
      const d = cv.getContext("2d")!.getImageData(0, 0, cv.width, cv.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i]! < 60 && d[i + 1]! > 90 && d[i + 1]! < 130 && d[i + 2]! > 210) n++;
      return n;
    });
    assert.ok(blue > 200, `blue pixels of the current scan: ${blue}`);
    await page.screenshot({ path: new URL("liveplot.png", ARTIFACTS).pathname, fullPage: true });
    assert.deepEqual(errorsOf(page), []);
    await page.close();
  });

  test("a 2-D mesh scan draws a map coloured by y", async () => {
    const [s, url] = await server({ x: "samx", y: "det" });
    const page = await open(url);
    s.handle(header(7, "mesh samx 0 9 9 samy 0 9 9 0.1", ["samx", "samy"], ["det"], 100));
    for (let i = 0; i < 100; i++) {
      const samx = Math.floor(i / 10); // the last motor is the fastest
      const samy = i % 10;
      s.handle(point(7, i, { samx, samy, det: samx * 10 + samy, dt: i }));
      if (i % 10 === 9) await sleep(15);
    }
    s.handle(footer(7));
    const v = await waitFor(page, 7, 100);
    assert.equal(v.mapPoints, 100);
    await drawn(page);
    assert.equal(await page.isVisible("#map"), true);
    assert.equal(await page.textContent("#mapTitle"), "Map: det at (samx, samy)");
    const stats = await page.evaluate(() => {
      const cv = document.getElementById("map") as HTMLCanvasElement;
      const d = cv.getContext("2d")!.getImageData(0, 0, cv.width, cv.height).data;
      const colours = new Set<number>();
      let coloured = 0;
      for (let i = 0; i < d.length; i += 4) {
        const r = d[i]!, g = d[i + 1]!, b = d[i + 2]!;
        if (Math.max(r, g, b) - Math.min(r, g, b) > 30) { coloured++; colours.add((r << 16) | (g << 8) | b); }
      }
      return { coloured, total: d.length / 4, colours: colours.size };
    });
    assert.ok(stats.coloured > stats.total * 0.25, `coloured pixels ${stats.coloured} of ${stats.total}`);
    assert.ok(stats.colours >= 50, `distinct colours ${stats.colours}`);
    // lowest y at (0, 0) is dark violet, highest at (9, 9) yellow (viridis): the
    // yellow cells must lie right of and above the violet ones
    const where = await page.evaluate(() => {
      const cv = document.getElementById("map") as HTMLCanvasElement;
      const d = cv.getContext("2d")!.getImageData(0, 0, cv.width, cv.height).data;
      const c = { violet: [0, 0, 0], yellow: [0, 0, 0] };
      for (let i = 0; i < d.length; i += 4) {
        const r = d[i]!, g = d[i + 1]!, b = d[i + 2]!;
        const x = (i / 4) % cv.width, y = Math.floor(i / 4 / cv.width);
        const k = r < 80 && g < 20 && b > 70 ? c.violet : r > 230 && g > 215 && b < 60 ? c.yellow : null;
        if (k) { k[0]! += x; k[1]! += y; k[2]!++; }
      }
      return { violet: [c.violet[0]! / c.violet[2]!, c.violet[1]! / c.violet[2]!, c.violet[2]!], yellow: [c.yellow[0]! / c.yellow[2]!, c.yellow[1]! / c.yellow[2]!, c.yellow[2]!] };
    });
    assert.ok(where.violet[2]! > 100 && where.yellow[2]! > 100, JSON.stringify(where));
    assert.ok(where.yellow[0]! > where.violet[0]! + 100, `yellow right of violet: ${JSON.stringify(where)}`);
    assert.ok(where.yellow[1]! < where.violet[1]! - 100, `yellow above violet: ${JSON.stringify(where)}`);
    await page.screenshot({ path: new URL("liveplot-mesh.png", ARTIFACTS).pathname, fullPage: true });
    assert.deepEqual(errorsOf(page), []);
    await page.close();
  });

  test("an image detector shows its latest frame, shrunk to at most 256 px a side", async () => {
    const [s, url] = await server({ y: "cam" });
    const page = await open(url);
    const [h, w] = [512, 640];
    s.handle(header(8, "ct 0.1", [], ["cam"], 5));
    const sums: number[] = [];
    for (let i = 0; i < 5; i++) {
      // brightness grows from left to right
      const img = Uint16Array.from({ length: h * w }, (_, k) => (k % w) * 50 + i);
      sums.push(img.reduce((a, b) => a + b, 0));
      s.handle(point(8, i, { cam: ndarray(img, [h, w]), dt: i }));
      await sleep(30);
    }
    s.handle(footer(8));
    const v = await waitFor(page, 8, 5);
    await page.waitForFunction(() => (window as unknown as { liveplot: LivePlotView }).liveplot.frameShape !== null);
    const v2 = await liveplot(page);
    assert.deepEqual(v2.frameShape, [512, 640]);
    assert.deepEqual(v2.frameSize, [171, 214], "shrunk by 3: at most 256 a side");
    assert.deepEqual(v.xs, [0, 1, 2, 3, 4], "no x motor: plotted against the point index");
    assert.deepEqual(v.ys, sums, "the curve shows the image sums");
    await drawn(page);
    assert.match((await page.textContent("#imageInfo")) ?? "", /512 × 640 \(shown 171 × 214\)/);
    const { cw, ch } = await page.evaluate(() => {
      const cv = document.getElementById("image") as HTMLCanvasElement;
      return { cw: cv.clientWidth, ch: cv.clientHeight };
    });
    const scale = Math.min(cw / 214, ch / 171);
    const x0 = (cw - 214 * scale) / 2;
    const left = await pixel(page, "image", x0 + 0.05 * 214 * scale, ch / 2);
    const mid = await pixel(page, "image", x0 + 0.5 * 214 * scale, ch / 2);
    const right = await pixel(page, "image", x0 + 0.95 * 214 * scale, ch / 2);
    assert.equal(left[0], left[2], "greyscale");
    assert.ok(left[0]! < 30 && mid[0]! > 90 && mid[0]! < 170 && right[0]! > 225, `left ${left} mid ${mid} right ${right}`);
    await page.screenshot({ path: new URL("liveplot-image.png", ARTIFACTS).pathname, fullPage: true });
    assert.deepEqual(errorsOf(page), []);
    await page.close();
  });

  test("y naming a 1-D detector plots its latest spectrum", async () => {
    const [s, url] = await server({ y: "spec" });
    const page = await open(url);
    s.handle(header(9, "loopscan 20 0.1", [], ["spec", "det"], 20));
    for (let i = 0; i < 20; i++) {
      s.handle(point(9, i, { spec: Float32Array.from({ length: 64 }, (_, c) => c * i), det: i, dt: i }));
    }
    s.handle(footer(9));
    const v = await waitFor(page, 9, 20);
    assert.equal(v.spectrumName, "spec");
    assert.deepEqual(v.spectrum, Array.from({ length: 64 }, (_, c) => c * 19));
    assert.deepEqual(v.ys, Array.from({ length: 20 }, (_, i) => 2016 * i), "the curve shows the spectrum sums");
    await drawn(page);
    assert.equal(await page.isVisible("#spectrum canvas"), true);
    assert.match((await page.textContent("#spectrumTitle")) ?? "", /spec.*point 19, 64 channels/);
    await page.close();
  });

  test("two pages watching at once both get every point, in batches", async () => {
    const [s, url] = await server({ x: "samx", y: "det" });
    const pages = [await open(url), await open(url)];
    const t0 = Date.now();
    const { xs, ys } = await feedLine(s, 12, 300, 10);
    const views = await Promise.all(pages.map((p) => waitFor(p, 12, 300)));
    const seconds = (Date.now() - t0) / 1000;
    for (const v of views) {
      assert.deepEqual(v.xs, xs);
      assert.deepEqual(v.ys, ys);
      assert.ok(v.updates >= 3, `updates arrive while the scan runs (${v.updates})`);
      assert.ok(v.updates <= seconds * 20 + 3, `at most ~15 updates a second: ${v.updates} in ${seconds.toFixed(2)} s`);
    }
    assert.equal(s.clientCount, 2);
    for (const p of pages) await p.close();
  });

  test("a page opened after the scan finished still shows it", async () => {
    const [s, url] = await server({ x: "samx", y: "det" });
    await feedLine(s, 13, 50);
    s.handle(header(14, "dscan samx -1 1 10 0.1", ["samx"], ["det"], 11));
    s.handle(point(14, 0, { samx: -1, det: 5 }));
    s.handle(footer(14, "failed", "samx: target outside the limits"));
    const page = await open(url);
    const v = await waitFor(page, 14, 1, "failed");
    assert.equal(v.scans, 2);
    assert.equal((await page.textContent("#status"))?.toLowerCase(), "failed");
    assert.equal(await page.textContent("#error"), "samx: target outside the limits");
    assert.equal(await page.textContent("#progress"), "1 / 11 points");
    // and the finished scan before it is there in full
    await drawn(page);
    const legend = await page.$$eval("#chart .u-legend .u-series .u-label", (els) => els.map((e) => e.textContent));
    assert.deepEqual(legend, ["#13", "#14 (current)"]);
    const page2 = await open(url);
    s.handle(header(15, "ascan samx 0 4.9 49 0.1", ["samx"], ["det"], 50));
    const v2 = await waitFor(page2, 15, 0, "started");
    assert.equal(v2.scans, 3);
    await page.close();
    await page2.close();
  });

  test("a page reconnects by itself and gets the whole state again", async () => {
    const [s1, url] = await server({ x: "samx", y: "det" });
    const port = Number(new URL(url).port);
    const page = await open(url);
    await feedLine(s1, 20, 10);
    await waitFor(page, 20, 10);
    await s1.close();
    await page.waitForFunction(() => !(window as unknown as { liveplot: LivePlotView }).liveplot.connected);
    const [s2] = await server({ x: "samx", y: "det", port });
    const { xs } = await feedLine(s2, 21, 30);
    const v = await waitFor(page, 21, 30);
    assert.deepEqual(v.xs, xs);
    assert.equal(v.connected, true);
    assert.equal(v.scans, 1, "the new server's state replaces the old one");
    await page.close();
  });

  test("10,000 points fed as fast as possible all reach the page", async () => {
    const [s, url] = await server({ x: "samx", y: "det" });
    const page = await open(url);
    const n = 10000;
    s.handle(header(30, `ascan samx 0 1 ${n - 1} 0.01`, ["samx"], ["det"], n));
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = i / (n - 1);
      const y = Math.sin(i / 300) * 100 + i;
      xs.push(x);
      ys.push(y);
      s.handle(point(30, i, { samx: x, det: y, dt: i * 1e-3 }));
    }
    s.handle(footer(30));
    const v = await waitFor(page, 30, n, "finished", 30000);
    assert.equal(v.points, n);
    assert.deepEqual(v.xs, xs);
    assert.deepEqual(v.ys, ys);
    assert.ok(v.updates <= 5, `sent in a few batches, not point by point (${v.updates})`);
    await drawn(page);
    assert.equal(await page.textContent("#progress"), "10000 / 10000 points");
    await page.close();
  });
});
