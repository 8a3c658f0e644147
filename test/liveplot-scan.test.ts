/**
 * The whole live-view path in a real browser: the `liveplot` macro starts the
 * plot recorder process, a real scan runs, and Debian's chromium shows it.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { chromium, type Browser } from "playwright-core";
import { runCommand, Recorder, type ScanPoint } from "../src/index.ts";
import type { LivePlotView } from "../src/recorders/liveplot/protocol.ts";
import { resetBeamline } from "./helpers/beamline.ts";
import { CHROMIUM, needsChromium } from "./helpers/system.ts";

const skip = needsChromium();
let browser: Browser | undefined;
after(async () => {
  await browser?.close();
  await Promise.allSettled(Recorder.getInstances().map((r) => r.stop()));
});

test("liveplot samx det: a real ascan appears point for point in the browser, and a mesh as a map", { skip }, async () => {
  const bl = resetBeamline();
  const url = (await runCommand("liveplot samx det port=0")) as string;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage();
  await page.goto(url);
  await runCommand("ascan samx 0 2 8 0.01");
  const sent = bl.rec.messages.filter((m): m is ScanPoint => m.kind === "data");
  await page.waitForFunction(() => {
    const v = (window as unknown as { liveplot?: LivePlotView }).liveplot;
    return v?.status === "finished" && v.points === 9;
  }, undefined, { timeout: 30_000 });
  const view = await page.evaluate(() => (window as unknown as { liveplot: LivePlotView }).liveplot);
  assert.equal(view.scannr, 1);
  assert.deepEqual(view.xs, sent.map((p) => p.data.samx));
  assert.deepEqual(view.ys, sent.map((p) => p.data.det));
  assert.match(await page.textContent("body") ?? "", /ascan samx 0 2 8 0\.01/);

  await runCommand("mesh samy 0 1 3 samx 0 1 4 0");
  await page.waitForFunction(() => {
    const v = (window as unknown as { liveplot?: LivePlotView }).liveplot;
    return v?.scannr === 2 && v.status === "finished";
  }, undefined, { timeout: 30_000 });
  const mesh = await page.evaluate(() => (window as unknown as { liveplot: LivePlotView }).liveplot);
  assert.equal(mesh.mapPoints, 20);
});
