/**
 * The live XRF view in a real browser (Debian's chromium through
 * playwright-core): an XrfMapper fed a mesh over the sim sample, its
 * XrfViewServer, and what the page drew: a map per region, growing while the
 * scan runs, and the latest (red) and average (blue) spectra over the regions.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { XrfMapper } from "../src/xrf/XrfMapper.ts";
import { XrfViewServer } from "../src/xrf/view/XrfViewServer.ts";
import { loadRois } from "../src/xrf/rois.ts";
import { SpectrumModel, SIM_SAMPLE } from "../src/detectors/xspress3/spectra.ts";
import { jsonPart, pickleNumbers } from "../src/detectors/xspress3/streamerFormat.ts";
import { ROOT } from "./helpers/cli.ts";
import { CHROMIUM, needsChromium } from "./helpers/system.ts";

interface View { scannr: number | null; status: string; points: number; rois: { name: string }[]; latest: number[]; average: number[]; grid: { nx: number; ny: number; mesh: boolean } | null; draws: number }

const rois = loadRois(join(ROOT, "examples", "xrf-rois.json"));
const model = new SpectrumModel(SIM_SAMPLE, { channels: 4, bins: 4096, keVPerBin: 0.01 });
const xs = [0, 0.2, 0.4, 0.6, 0.8, 1];

const meshPoint = (i: number): [number, number] => [xs[i % 6], xs[Math.floor(i / 6)]];
/** A Fermat spiral of 100 points over the unit square. */
const spiralPoint = (i: number): [number, number] => {
  const r = 0.05 * Math.sqrt(i), a = i * 2.39996;
  return [0.5 + r * Math.cos(a), 0.5 + r * Math.sin(a)];
};

/** Points [from, to) of scan `scannr` (default: `mesh samy 0 1 5 samx 0 1 5`): frame, then position. */
function feed(m: XrfMapper, from: number, to: number, at = meshPoint, scannr = 9): void {
  for (let i = from; i < to; i++) {
    const [x, y] = at(i);
    m.spectra(jsonPart({ htype: "image", exptime: 0.1, frame: i, shape: [4, 4096], type: "uint32", compression: "none" }));
    m.spectra(Buffer.from(model.frame({ x, y, energy: 10 }, 0.1).buffer));
    m.spectra(pickleNumbers([0, 0, 0, 0, 0, 0, 0, 1]));
    m.stream({ kind: "data", status: "running", scannr, index: i, data: { samy: y, samx: x, dt: i } });
  }
}

describe("the XRF view in chromium", { skip: needsChromium() }, () => {
  let browser: Browser;
  let server: XrfViewServer;
  const mapper = new XrfMapper({ rois, spectraAddress: "tcp://127.0.0.1:9999", say: () => {}, finished: () => {} });

  before(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] });
    server = new XrfViewServer(mapper, { host: "127.0.0.1", port: 0 });
    await server.listen();
  });
  after(async () => {
    mapper.close();
    await browser?.close();
    await server?.close();
  });

  const view = (page: Page) => page.evaluate(() => (window as unknown as { xrfview: View }).xrfview);
  const until = (page: Page, points: number, status: string) => page.waitForFunction(([n, st]) => {
    const v = (window as unknown as { xrfview?: View }).xrfview;
    return !!v && v.points === n && v.status === st && v.draws > 0;
  }, [points, status] as const, { timeout: 20_000 });

  test("maps grow while the scan runs; each region's map shows the sample; spectra red and blue over the regions", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.waitForFunction(() => document.getElementById("status")?.textContent === "waiting for a scan");

    mapper.spectra(jsonPart({ htype: "header", filename: "/data/scan_000009_xsp3.h5", overwritable: false }));
    mapper.stream({ kind: "header", status: "started", scannr: 9, description: "mesh samy 0 1 5 samx 0 1 5 0.1", path: "/data", startTime: 0, motors: ["samy", "samx"], detectors: ["xsp3"], tags: {}, snapshot: {}, npoints: 36 });
    feed(mapper, 0, 18);
    await until(page, 18, "running");
    assert.match(await page.locator("#status").innerText(), /scan #9 running: 18 points/);

    feed(mapper, 18, 36);
    mapper.spectra(jsonPart({ htype: "series_end" }));
    mapper.stream({ kind: "footer", status: "finished", scannr: 9, endTime: 0, snapshot: {} });
    await until(page, 36, "finished");
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const v = await view(page);
    assert.deepEqual(v.grid && [v.grid.nx, v.grid.ny, v.grid.mesh], [6, 6, true]);
    assert.deepEqual(await page.locator(".map").evaluateAll((els) => els.map((e) => e.id)), rois.rois.map((r) => `map-${r.name}`));

    // red channel of each map pixel, rows from the top (samy = 1) down
    const image = (name: string) => page.evaluate((id) => {
      const cv = document.querySelector(`#${id} canvas`) as HTMLCanvasElement;
      const d = cv.getContext("2d")!.getImageData(0, 0, cv.width, cv.height).data;
      return Array.from({ length: cv.height }, (_, r) => Array.from({ length: cv.width }, (_, c) => d[4 * (r * cv.width + c)]));
    }, `map-${name}`);
    const mean = (rows: number[][], f: (r: number, c: number) => boolean) => {
      const vals = rows.flatMap((row, r) => row.filter((_, c) => f(r, c)));
      return vals.reduce((a, b) => a + b, 0) / vals.length;
    };
    const ni = await image("Ni");
    assert.ok(mean(ni, (_r, c) => c < 3) > 200 && mean(ni, (_r, c) => c >= 3) < 50, `Ni map ${JSON.stringify(ni)}`);
    const cr = await image("Cr");
    assert.ok(mean(cr, (_r, c) => c >= 3) > 200 && mean(cr, (_r, c) => c < 3) < 50, `Cr map ${JSON.stringify(cr)}`);
    const ar = await image("Ar");
    assert.ok(mean(ar, (r) => r === 5) > mean(ar, (r) => r === 0) + 100, `Ar map (samy = 0 at the bottom) ${JSON.stringify(ar)}`);

    // the spectra the page has are the mapper's; on the canvas: red, blue and the yellow bands
    const maps = mapper.current!;
    assert.deepEqual(v.latest, Array.from(maps.latest()!));
    assert.deepEqual(v.average, Array.from(maps.average()!));
    const colours = await page.evaluate(() => {
      const cv = document.getElementById("spectrum") as HTMLCanvasElement;
      const d = cv.getContext("2d")!.getImageData(0, 0, cv.width, cv.height).data;
      let red = 0, blue = 0, band = 0;
      for (let k = 0; k < d.length; k += 4) {
        if (d[k] > 180 && d[k + 1] < 80 && d[k + 2] < 80) red++;
        if (d[k + 2] > 150 && d[k] < 80) blue++;
        if (d[k] > 200 && d[k + 1] > 150 && d[k + 2] < 120 && d[k + 3] > 40) band++;
      }
      return { red, blue, band };
    });
    assert.ok(colours.red > 200 && colours.blue > 200 && colours.band > 1000, JSON.stringify(colours));
    assert.deepEqual(errors, []);

    // the next scan, a Fermat spiral: scattered points binned onto a square grid of about sqrt(N) cells a side
    mapper.spectra(jsonPart({ htype: "header", filename: "/data/scan_000010_xsp3.h5", overwritable: false }));
    mapper.stream({ kind: "header", status: "started", scannr: 10, description: "fermatscan", path: "/data", startTime: 0, motors: ["samy", "samx"], detectors: ["xsp3"], tags: {}, snapshot: {}, npoints: 100 });
    feed(mapper, 0, 100, spiralPoint, 10);
    mapper.spectra(jsonPart({ htype: "series_end" }));
    mapper.stream({ kind: "footer", status: "finished", scannr: 10, endTime: 0, snapshot: {} });
    await page.waitForFunction(() => {
      const v = (window as unknown as { xrfview?: View }).xrfview;
      return v?.scannr === 10 && v.points === 100 && v.status === "finished";
    }, undefined, { timeout: 20_000 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const spiral = await view(page);
    assert.deepEqual(spiral.grid && [spiral.grid.nx, spiral.grid.ny, spiral.grid.mesh], [10, 10, false]);
    const ni10 = await image("Ni");
    assert.ok(mean(ni10, (_r, c) => c < 4) > 150 && mean(ni10, (_r, c) => c >= 6) < 50, `Ni over the spiral ${JSON.stringify(ni10)}`);
    await page.close();
  });
});
