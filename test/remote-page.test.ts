/**
 * The remote control page in a real browser (Debian's chromium through
 * playwright-core), served by a real shell (tmux) with a live plot: log in
 * with a token, queue two scans, watch them run, pause and resume one, read
 * the history; an observer token sees it all, read-only.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { chromium, type Browser, type Page } from "playwright-core";
import { TmuxShell, PROMPT } from "./helpers/tmux.ts";
import { remoteOf } from "./helpers/remote.ts";
import { CHROMIUM, needsChromium } from "./helpers/system.ts";

interface PageView {
  role: string | null;
  status: { state: string; pausing: boolean; scan: { scannr: number; done: number; total: number } | null } | null;
  queue: { id: number; line: string }[];
  history: { id: number; line: string; status: string; scannr: number | null }[];
  positions: { name: string; position: number | null }[];
  console: string[];
}

interface PlotView { scannr: number | null; status: string; points: number }

const skip = needsChromium();
let browser: Browser | undefined;
after(async () => {
  await browser?.close();
});

function remoteView(page: Page): Promise<PageView> {
  return page.evaluate(() => (window as unknown as { remote: PageView }).remote);
}

async function until(page: Page, test: (v: PageView) => boolean, what: string): Promise<PageView> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const v = await remoteView(page);
    if (test(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("log in, queue two scans, watch them run, pause and resume one, read the history; an observer only watches", { skip }, async (t) => {
  const s = TmuxShell.start({ env: { CONTRAST_STREAM: "tcp://127.0.0.1:0" } });
  t.after(() => s.kill());
  await s.waitFor(PROMPT, "the first prompt");
  await s.run("liveplot samx det");
  const remote = await remoteOf(s);
  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });

  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(`${remote.url}/`);
  await page.fill("#token", "not-the-token");
  await page.click("#loginButton");
  await page.waitForFunction(() => (document.getElementById("loginError")?.textContent ?? "").length > 0);
  assert.equal(await page.isVisible("#control"), false);

  await page.fill("#token", remote.tokens.user);
  await page.click("#loginButton");
  await page.waitForSelector("#control", { state: "visible" });
  assert.equal(await page.isVisible("#login"), false);
  assert.match(await page.textContent("#role") ?? "", /logged in as user/);
  await until(page, (v) => v.positions.some((m) => m.name === "samx"), "the motors table");
  assert.match(await page.textContent("#positions") ?? "", /samx/);

  // a wrong line is refused with the macro's usage, and nothing is queued
  await page.fill("#line", "ascan samx 0 1");
  await page.click("#add");
  await page.waitForSelector("#addError", { state: "visible" });
  assert.match(await page.textContent("#addError") ?? "", /ascan <motor1> <start> <stop>/);

  await page.fill("#line", "ascan samx 0 1 3 0.05");
  await page.click("#add");
  await until(page, (v) => v.queue.length === 1, "the first item");
  await page.fill("#line", "ascan samx 0 2 40 0.1");
  await page.click("#add");
  await until(page, (v) => v.queue.length === 2, "the second item");
  // the long one first: move it up
  await page.click("#queue tr:nth-child(2) button[title='move up']");
  const moved = await until(page, (v) => v.queue[0]?.line === "ascan samx 0 2 40 0.1", "the move");
  assert.equal(moved.queue[1].line, "ascan samx 0 1 3 0.05");

  await page.click("#qstart");
  await until(page, (v) => (v.status?.scan?.done ?? 0) >= 2, "two points of the first scan");
  await page.click("#pause");
  const paused = await until(page, (v) => v.status?.state === "paused", "the pause");
  assert.match(await page.textContent("#state") ?? "", /paused/);
  await new Promise((r) => setTimeout(r, 800));
  assert.equal((await remoteView(page)).status?.scan?.done, paused.status?.scan?.done, "no point while paused");
  await page.click("#resume");
  const done = await until(page, (v) => v.history.length === 2 && v.history.every((h) => h.status === "finished") && v.status?.state === "idle", "both scans");

  assert.deepEqual(done.history.map((h) => [h.line, h.status, h.scannr]), [
    ["ascan samx 0 2 40 0.1", "finished", 1],
    ["ascan samx 0 1 3 0.05", "finished", 2],
  ]);
  const table = await page.textContent("#history") ?? "";
  assert.match(table, /ascan samx 0 2 40 0\.1\s*finished\s*1/);
  assert.ok(done.console.some((line) => /scan #1 paused before point \d+/.test(line)), "the console shows the pause");
  assert.ok(done.console.some((line) => /scan #2 finished \(4 points\)/.test(line)));
  assert.match(await page.textContent("#console") ?? "", /scan #1 finished \(41 points\)/);

  // the live plot, through the same server and token
  await page.waitForFunction(() => {
    const v = (window as unknown as { liveplot?: PlotView }).liveplot;
    return v?.scannr === 2 && v.status === "finished" && v.points === 4;
  }, undefined, { timeout: 30_000 });

  // an observer sees the same page without the controls
  const watcher = await browser.newPage();
  await watcher.goto(`${remote.url}/#token=${encodeURIComponent(remote.tokens.observer)}`);
  await watcher.waitForSelector("#control", { state: "visible" });
  assert.doesNotMatch(watcher.url(), /token/, "the token leaves the address bar");
  await until(watcher, (v) => v.history.length === 2, "the history for the observer");
  assert.match(await watcher.textContent("#role") ?? "", /observer/);
  for (const control of ["#addForm", "#pause", "#resume", "#abort", "#qstart", "#qstop"]) {
    assert.equal(await watcher.isVisible(control), false, `${control} hidden from an observer`);
  }
  assert.match(await watcher.textContent("#history") ?? "", /ascan samx 0 1 3 0\.05/);
});
