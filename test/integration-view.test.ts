/**
 * The live integration view in a real browser (Debian's chromium through
 * playwright-core): an IntegrationView fed a 3 × 3 mesh scan's messages and
 * integrated frames, its server, and what the page drew: the latest I(q) and
 * the map of the q-range sums on the scan positions.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chromium, type Browser } from "playwright-core";
import { IntegrationView } from "../src/integration/view/IntegrationView.ts";
import { IntegrationViewServer } from "../src/integration/view/IntegrationViewServer.ts";
import { CHROMIUM, needsChromium } from "./helpers/system.ts";

interface Shown { scannr: number | null; status: string; latest: number[]; latestFrame: number | null; sums: (number | null)[]; cells: { nx: number; ny: number } | null; draws: number }

const BINS = 100;
const radial = Float64Array.from({ length: BINS }, (_, b) => 0.1 * (b + 0.5));
/** point k of the mesh: samx = k % 3, samy = floor(k / 3); its frame has a ring at q = 4 of height 10·(samx + 1), nothing else */
const profile = (k: number) => Float64Array.from(radial, (q) => 1 + (Math.abs(q - 4) < 0.3 ? 10 * ((k % 3) + 1) : 0));

describe("the integration view in chromium", { skip: needsChromium() }, () => {
  let browser: Browser;
  const view = new IntegrationView(radial, "q_nm^-1", [3.5, 4.5]);
  const server = new IntegrationViewServer(view, { host: "127.0.0.1", port: 0 });

  before(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] });
    await server.listen();
  });
  after(async () => {
    await browser?.close();
    await server.close();
  });

  test("the latest I(q) and the map of the q-range sums on a mesh's positions", async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.waitForFunction(() => document.getElementById("status")?.textContent === "waiting for a scan");

    view.header({ kind: "header", status: "started", scannr: 4, description: "mesh samx 0 2 2 samy 0 2 2 0.1", path: "/data", startTime: 0, motors: ["samx", "samy"], detectors: ["eiger"], tags: {}, snapshot: {}, npoints: 9 });
    for (let k = 0; k < 9; k++) {
      view.point({ kind: "data", status: "running", scannr: 4, index: k, data: { samx: k % 3, samy: Math.floor(k / 3) } });
      if (k < 8) view.frame(4, k, profile(k));
    }
    view.frame(3, 8, profile(0)); // another series: not this scan's
    await page.waitForFunction(() => /scan 4: running, 8 of 9 points integrated/.test(document.getElementById("status")?.textContent ?? ""), null, { timeout: 20_000 });
    view.frame(4, 8, profile(8));
    view.footer({ kind: "footer", status: "finished", scannr: 4, endTime: 0, snapshot: {} });
    await page.waitForFunction(() => /scan 4: finished, 9 of 9 points integrated/.test(document.getElementById("status")?.textContent ?? ""), null, { timeout: 20_000 });

    const shown = await page.evaluate(() => (window as unknown as { integrationview: Shown }).integrationview);
    assert.equal(shown.latestFrame, 8);
    assert.deepEqual(shown.latest, Array.from(profile(8)));
    // bins 35..44 are inside 3.5–4.5; the ring covers q 3.7–4.3 (bins 37..42): 10 bins of 1 plus 6 of 10·(samx + 1)
    assert.deepEqual(shown.sums, Array.from({ length: 9 }, (_, k) => 10 + 6 * 10 * ((k % 3) + 1)));
    assert.deepEqual(shown.cells && [shown.cells.nx, shown.cells.ny], [3, 3]);

    // the map's red channel grows with samx (columns), the same on every row
    const red = await page.evaluate(() => {
      const cv = document.getElementById("map") as HTMLCanvasElement;
      const d = cv.getContext("2d")!.getImageData(0, 0, cv.width, cv.height).data;
      return [0.5, 1.5, 2.5].map((r) => [0.5, 1.5, 2.5].map((c) => d[4 * (Math.floor((r * cv.height) / 3) * cv.width + Math.floor((c * cv.width) / 3))]));
    });
    for (const row of red) assert.ok(row[0] < row[1] && row[1] < row[2], `map rows ${JSON.stringify(red)}`);
    // the profile is drawn in red over the highlighted range
    const drawn = await page.evaluate(() => {
      const cv = document.getElementById("profile") as HTMLCanvasElement;
      const d = cv.getContext("2d")!.getImageData(0, 0, cv.width, cv.height).data;
      let reds = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] > 180 && d[i + 1] < 80 && d[i + 2] < 80) reds++;
      return reds;
    });
    assert.ok(drawn > 100, `${drawn} red pixels of I(q)`);
    assert.deepEqual(errors, []);
  });

  test("a range without bins is refused", () => {
    assert.throws(() => new IntegrationView(radial, "q_nm^-1", [20, 30]), /no radial bin in the view's range 20 30 q_nm\^-1/);
  });
});
