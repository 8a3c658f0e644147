/** A fly scan in the live view of a real browser: the map grows line by line. */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { chromium, type Browser } from "playwright-core";
import { runCommand, Recorder, DummyDetector, type ScanPoint } from "../src/index.ts";
import type { LivePlotView } from "../src/recorders/liveplot/protocol.ts";
import { flyHardware } from "./helpers/fly.ts";
import { resetBeamline } from "./helpers/beamline.ts";
import { CHROMIUM, needsChromium } from "./helpers/system.ts";

const skip = needsChromium();
let browser: Browser | undefined;
after(async () => {
  await browser?.close();
  await Promise.allSettled(Recorder.getInstances().map((r) => r.stop()));
});

test("liveplot pzx tdet: a fly scan draws every trigger of every line on the map", { skip, timeout: 120_000 }, async () => {
  const bl = resetBeamline();
  bl.spec.active = false;
  const { pzx, box } = flyHardware();
  new DummyDetector({ name: "tdet", triggerSource: box.triggers, signal: (t) => (t === undefined ? 0 : pzx.positionAt(t)) });
  const url = (await runCommand("liveplot pzx tdet port=0")) as string;
  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage();
  await page.goto(url);
  await runCommand("flyscan pzx 10 60 19 pzy 0 20 3 0.001");
  await page.waitForFunction(() => {
    const v = (window as unknown as { liveplot?: LivePlotView }).liveplot;
    return v?.status === "finished";
  }, undefined, { timeout: 60_000 });
  const view = await page.evaluate(() => (window as unknown as { liveplot: LivePlotView }).liveplot);
  assert.equal(view.mapPoints, 4 * 20, "one map point per trigger");
  const sent = bl.rec.messages.filter((m): m is ScanPoint => m.kind === "data");
  assert.deepEqual(view.ys, sent.flatMap((p) => Array.from(p.data.tdet as Float64Array)));
  const xs = view.xs as number[];
  const step = 50 / 19; // the gate averages over the motion during the exposure
  assert.ok(Math.abs(xs[0] - 10) < step && Math.abs(xs[19] - 60) < step, `x is the fast encoder: ${xs[0]} .. ${xs[19]}`);
});
