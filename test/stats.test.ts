import { test, after } from "node:test";
import assert from "node:assert/strict";
import { env, runCommand, AbortError, Recorder, Hdf5Recorder, LimitError, type ScanFooter } from "../src/index.ts";
import { gridStats, peakStats, plotSelection } from "../src/scans/stats.ts";
import { resetBeamline, takeOutput } from "./helpers/beamline.ts";
import { chromium } from "playwright-core";
import type { LivePlotView } from "../src/recorders/liveplot/protocol.ts";
import { CHROMIUM, needsChromium, needsH5py, runPython, PY_PLAIN_VALUES } from "./helpers/system.ts";
import { TmuxShell } from "./helpers/tmux.ts";

after(async () => {
  await Promise.all(Recorder.getInstances().map((r) => r.stop()));
});

const FWHM_PER_SIGMA = 2 * Math.sqrt(2 * Math.log(2));
const gauss = (x: number, mu: number, sigma: number, height = 1000, bg = 0) => bg + height * Math.exp(-((x - mu) ** 2) / (2 * sigma ** 2));

test("cen, fwhm and com of a Gaussian scanned over ±3σ agree with the analytic values within a tenth of the step", () => {
  const mu = -0.4;
  const sigma = 0.3;
  let cases = 0;
  for (let n = 8; n <= 30; n++) {
    for (const shift of [0, 0.25, 0.5, 0.81]) {
      for (const bg of [0, 10]) {
        const step = (6 * sigma) / n;
        const xs = Array.from({ length: n + 1 }, (_, i) => mu - 3 * sigma + (i + shift) * step);
        const s = peakStats(xs, xs.map((x) => gauss(x, mu, sigma, 500, bg)));
        assert.ok(s && s.cen !== null && s.fwhm !== null && s.com !== null);
        const what = `${n} intervals, grid shifted by ${shift} step, background ${bg}`;
        assert.ok(Math.abs(s.cen - mu) < step / 10, `cen ${s.cen} vs ${mu} (${what})`);
        assert.ok(Math.abs(s.fwhm - FWHM_PER_SIGMA * sigma) < step / 10, `fwhm ${s.fwhm} vs ${FWHM_PER_SIGMA * sigma} (${what})`);
        assert.ok(Math.abs(s.com - mu) < step / 10, `com ${s.com} vs ${mu} (${what})`);
        assert.ok(Math.abs(s.peak - mu) <= step / 2 + 1e-12, `peak ${s.peak} is the point nearest ${mu}`);
        cases++;
      }
    }
  }
  assert.equal(cases, 23 * 8);
});

test("a peak cut off by the end of the scan has no cen or fwhm; peak, min and com still come; missing readings are skipped", () => {
  const xs = [0, 1, 2, 3, 4, 5];
  const s = peakStats(xs, [1, 2, 4, 8, 16, 32]);
  assert.ok(s);
  assert.deepEqual([s.peak, s.min, s.cen, s.fwhm, s.maxValue, s.minValue], [5, 0, null, null, 32, 1]);
  assert.ok(s.com !== null && s.com > 3.5 && s.com < 5);
  const gaps = peakStats([0, 1, 2, 3, 4, 5], [0, NaN, 8, 10, 8, 0]);
  assert.ok(gaps);
  assert.equal(gaps.peak, 3);
  // half height 5: crossings at 1.25 (between x 0 and 2, the point without a reading skipped) and 4.375
  assert.deepEqual([gaps.cen, gaps.fwhm], [(1.25 + 4.375) / 2, 4.375 - 1.25]);
  const flat = peakStats([0, 1, 2], [5, 5, 5]);
  assert.deepEqual([flat?.cen, flat?.com, flat?.fwhm], [null, null, null]);
  assert.equal(peakStats([], []), null);
  assert.equal(peakStats([0, 1], [NaN, NaN]), null);
});

test("mesh statistics are per axis, along the lines through the map's maximum", () => {
  const shape = [11, 21]; // samx slow, samy fast
  const points: number[] = [];
  const ax: number[][] = [[], []];
  const ys: number[] = [];
  for (let i = 0; i < shape[0]; i++) {
    for (let j = 0; j < shape[1]; j++) {
      const x = -1 + (2 * i) / 10;
      const y = -2 + (4 * j) / 20;
      points.push(i * shape[1] + j);
      ax[0].push(x);
      ax[1].push(y);
      ys.push(gauss(x, 0.2, 0.3) * gauss(y, -0.6, 0.5, 1) + 3);
    }
  }
  const [sx, sy] = gridStats(shape, points, ax, ys);
  assert.ok(sx && sy && sx.cen !== null && sy.cen !== null && sx.fwhm !== null && sy.fwhm !== null);
  assert.ok(Math.abs(sx.cen - 0.2) < 0.02, `cen along x ${sx.cen}`);
  assert.ok(Math.abs(sy.cen - -0.6) < 0.02, `cen along y ${sy.cen}`);
  assert.ok(Math.abs(sx.fwhm - FWHM_PER_SIGMA * 0.3) < 0.02, `fwhm along x ${sx.fwhm}`);
  assert.ok(Math.abs(sy.fwhm - FWHM_PER_SIGMA * 0.5) < 0.02, `fwhm along y ${sy.fwhm}`);
  // an interrupted map: only the points taken count
  const [half] = gridStats(shape, points.slice(0, 100), ax.map((a) => a.slice(0, 100)), ys.slice(0, 100));
  assert.ok(half);
});

/** The test beamline with a Gaussian in samx on `det`: centre 0.3, sigma 0.1, background 5 (per second). */
function gaussianBeamline() {
  const b = resetBeamline();
  plotSelection.detector = null;
  b.det.signal = () => gauss(b.samx.now(), 0.3, 0.1, 1000, 5);
  return b;
}

test("after a scan: one line of statistics, env.lastScan, the footer's stats; goto cen moves there and prints old and new", async () => {
  const { samx, rec } = gaussianBeamline();
  await runCommand("ascan samx 0 0.6 20 0.01");
  const out = takeOutput();
  const line = out.split("\n").find((l) => l.startsWith("det vs samx:"));
  assert.ok(line, out);
  assert.match(line, /peak 0\.3000 .*cen 0\.30\d\d .*com 0\.30\d\d .*fwhm 0\.23\d\d/);
  assert.match(out.split("\n")[0], /\(21 points, about \d+\.\d s, data in /);
  const last = env.lastScan;
  assert.ok(last);
  assert.equal(last.detector, "det");
  const s = last.stats.det.samx;
  assert.ok(s.cen !== null && s.fwhm !== null);
  assert.ok(Math.abs(s.cen - 0.3) < 0.003 && Math.abs(s.fwhm - FWHM_PER_SIGMA * 0.1) < 0.003, JSON.stringify(s));
  assert.deepEqual(Object.keys(last.stats), ["det"], "the spectrum is not a scalar: no statistics");
  const footer = rec.messages.find((m): m is ScanFooter => m.kind === "footer");
  assert.deepEqual(footer?.stats, last.stats);

  assert.equal(await samx.position(), 0.6);
  const moved = (await runCommand("goto cen")) as Record<string, number>;
  assert.equal(await samx.position(), s.cen);
  assert.deepEqual(moved, { samx: s.cen });
  assert.match(takeOutput(), /^samx 0\.600 -> 0\.300 {2}\(cen of det, scan #1\)$/m);

  assert.equal(await runCommand("fwhm"), s.fwhm);
  assert.match(takeOutput(), /^fwhm of det \(scan #1\): samx 0\.23\d\d$/);
  await runCommand("where");
  assert.match(takeOutput(), /scan #1 det vs samx:  peak 0\.3000 .*\n {2}now: samx 0\.300/);
});

test("goto outside the limits moves nothing; goto without a defined cen moves nothing; bad words print the usage", async () => {
  const { samx, det } = gaussianBeamline();
  await runCommand("ascan samx 0 0.6 20 0.01");
  await samx.move(0.05);
  samx.setLimits(-1, 0.2); // cen (0.3) is now out of reach
  takeOutput();
  await assert.rejects(runCommand("goto cen"), (e: Error) => e instanceof LimitError && /goto cen: samx: target 0\.3\d* is outside the limits \[-1, 0\.2\]; nothing moved/.test(e.message));
  await assert.rejects(runCommand("goto peak"), LimitError);
  assert.equal(await samx.position(), 0.05);
  await runCommand("goto min");
  assert.equal(await samx.position(), 0, "min is inside the limits: that one moves");

  samx.setLimits(-10, 10);
  det.signal = () => 10 + 100 * samx.now(); // a ramp: no peak inside the scan
  await runCommand("ascan samx 0 1 10 0.01");
  await samx.move(0.5);
  await assert.rejects(runCommand("goto cen"), /cen of det vs samx is not defined in scan #2 .*nothing moved/);
  assert.equal(await samx.position(), 0.5);
  await assert.rejects(runCommand("goto fwhm"), /goto goes to peak, cen, com or min[\s\S]*goto <peak\|cen\|com\|min> \[<detector>\]/);
  await assert.rejects(runCommand("goto cen spec"), /scan #2 has no statistics of spec \(it has: det\)/);
});

test("Ctrl-C during goto stops the motor and brings it back", async () => {
  const { samx } = gaussianBeamline();
  await runCommand("ascan samx 0 0.6 20 0.01");
  (samx as unknown as { velocity: number }).velocity = 0.5; // the move to cen takes 0.6 s
  const ctrlC = new AbortController();
  setTimeout(() => ctrlC.abort(), 50);
  await assert.rejects(runCommand("goto cen", { signal: ctrlC.signal }), AbortError);
  assert.equal(await samx.position(), 0.6);
  assert.match(takeOutput(), /goto cen stopped: going back/);
});

test("lineup: a dscan, then the motor ends on the peak", async () => {
  const { samx } = gaussianBeamline();
  await samx.move(0.25);
  await runCommand("lineup samx -0.3 0.3 24 0.01");
  const out = takeOutput();
  assert.match(out, /scan #1: lineup samx -0\.3 0\.3 24 0\.01/);
  assert.match(out, /^samx 0\.250 -> 0\.300 {2}\(peak of det, scan #1\)$/m, "back at the start after the dscan, then to the peak");
  assert.ok(Math.abs((await samx.position()) - 0.3) < 1e-9);
  await assert.rejects(runCommand("lineup samx 0 1 10"), /lineup <motor> <start> <stop> <intervals> <exp_time>/);
});

test("plotselect chooses whose statistics are printed and used", async () => {
  const { samx } = gaussianBeamline();
  const { DummyDetector } = await import("../src/index.ts");
  new DummyDetector({ name: "det2", signal: () => gauss(samx.now(), 0.45, 0.05) });
  await runCommand("plotselect det2");
  takeOutput();
  await runCommand("ascan samx 0 0.6 12 0.01");
  assert.match(takeOutput(), /^det2 vs samx:  peak 0\.4500 /m);
  assert.equal(env.lastScan?.detector, "det2");
  assert.equal(await runCommand("peak det"), 0.3, "another detector can still be named");
  await assert.rejects(runCommand("plotselect nothere"), /plotselect: "nothere" is not a detector \(lsdet lists them\)\nplotselect \[<detector>\]/);
  assert.equal(plotSelection.detector, "det2");
  await runCommand("plotselect auto");
  await runCommand("ascan samx 0 0.6 12 0.01");
  assert.equal(env.lastScan?.detector, "det");
});

test("estimate prints points and duration and checks the limits; an out-of-limits scan moves nothing and names the point", async () => {
  const { samx, samy } = gaussianBeamline();
  (samx as unknown as { velocity: number }).velocity = 2;
  const next = env.nextScanId;
  const ok = (await runCommand("estimate ascan samx 0 1 10 0.5")) as { points: number; seconds: number; violation: string | null };
  assert.equal(ok.points, 11);
  assert.ok(ok.seconds >= 11 * 0.5 + 1 / 2, `exposure 5.5 s and 0.5 s of motion at least: ${ok.seconds}`);
  let out = takeOutput();
  assert.match(out, /^ascan samx 0 1 10 0\.5 {2}\(11 points, about \d+\.\d s\)\n {2}motion 0\.5 s, exposure 5\.5 s, overhead/);
  assert.match(out, /limits: every position is inside/);

  await samy.move(1);
  const bad = (await runCommand("estimate dscan samy 0 8 8 0.1")) as { violation: string | null };
  out = takeOutput();
  assert.match(out, /9 points/);
  assert.match(out, /limits: point 5: samy: target 6 is outside the limits \[-5, 5\]; nothing moved/);
  assert.equal(bad.violation, "point 5: samy: target 6 is outside the limits [-5, 5]; nothing moved");
  assert.equal(await samy.position(), 1, "nothing moved");
  assert.equal(env.nextScanId, next, "no scan number was taken");
  await assert.rejects(runCommand("estimate mv samx 1"), /mv is not a scan/);
  await assert.rejects(runCommand("estimate ascan samx 0 1"), /ascan: needs <motor> <start> <stop> triples[\s\S]*ascan <motor1> <start> <stop>/);
});

test("the scan file holds entry/stats/<det>, per axis for a mesh, read back by h5py", { skip: needsH5py(), timeout: 120_000 }, async () => {
  const { samx, samy, det } = gaussianBeamline();
  det.signal = () => gauss(samx.now(), 0.3, 0.1, 1000, 5) * Math.exp(-((samy.now() + 0.2) ** 2) / (2 * 0.2 ** 2));
  const h5 = new Hdf5Recorder({ name: "h5rec" });
  await h5.start();
  await runCommand("ascan samx 0 0.6 20 0.01");
  await runCommand("mesh samx 0 0.6 12 samy -0.8 0.4 12 0.001");
  const perAxis = env.lastScan?.stats.det;
  assert.ok(perAxis?.samx && perAxis.samy, "a mesh has statistics along both motors");
  const read = runPython<Record<string, Record<string, unknown>>>(String.raw`${PY_PLAIN_VALUES}
out = {}
for n in (1, 2):
    f = h5py.File(sys.argv[1] + "/%06d.h5" % n, "r")
    out[str(n)] = {}
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset): out[str(n)][name] = clean(obj[()])
    f["entry/stats"].visititems(visit)
print(json.dumps(out))
`, [env.paths.directory]);
  const first = read["1"];
  const s1 = env.lastScan; // the mesh's
  assert.equal(first["det/axis"], "samx");
  assert.equal(first["det/peak"], 0.3);
  assert.ok(Math.abs((first["det/cen"] as number) - 0.3) < 0.003);
  assert.ok(Math.abs((first["det/fwhm"] as number) - FWHM_PER_SIGMA * 0.1) < 0.003);
  assert.ok(typeof first["det/com"] === "number" && typeof first["det/max_value"] === "number");
  assert.equal(first["det/samx/cen"], undefined, "a line scan has one axis");
  const mesh = read["2"];
  assert.equal(mesh["det/axis"], "samx");
  assert.equal(mesh["det/samx/cen"], s1?.stats.det.samx.cen);
  assert.equal(mesh["det/samy/cen"], s1?.stats.det.samy.cen);
  assert.ok(Math.abs((mesh["det/samy/cen"] as number) - -0.2) < 0.01, `samy cen ${mesh["det/samy/cen"]}`);
  assert.ok(Math.abs((mesh["det/samy/peak"] as number) - -0.2) < 1e-9);
  await h5.stop();
});

test("the live plot marks the finished scan's peak, cen and com", { skip: needsChromium(), timeout: 120_000 }, async () => {
  gaussianBeamline();
  const url = (await runCommand("liveplot samx det port=0")) as string;
  const browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await runCommand("ascan samx 0 0.6 20 0.01");
    await page.waitForFunction(() => (window as unknown as { liveplot?: LivePlotView }).liveplot?.marks != null, undefined, { timeout: 30_000 });
    const view = await page.evaluate(() => (window as unknown as { liveplot: LivePlotView }).liveplot);
    const s = env.lastScan?.stats.det.samx;
    assert.ok(s);
    assert.deepEqual(view.marks, { peak: s.peak, cen: s.cen, com: s.com });
  } finally {
    await browser.close();
  }
});

test("in the real shell: a scan's first line has its estimate, the statistics follow it, goto cen moves there, estimate names the bad point",
  { timeout: 180_000 }, async () => {
    const sh = TmuxShell.start({ env: { CONTRAST_STREAM: "tcp://127.0.0.1:0", FORCE_COLOR: "0" } });
    try {
      await sh.waitFor(/\[\d+\] contrast> /, "the first prompt", 120_000);
      // the simulated spot: a Gaussian at samx 0.5 with sigma 0.2, scanned over ±3 sigma in steps of 0.05
      let screen = await sh.run("ascan samx -0.1 1.1 24 0.01");
      assert.match(screen, /scan #\d+: ascan samx -0\.1 1\.1 24 0\.01 {2}\(25 points, about \d+\.\d s, data in /);
      const m = /det vs samx: {2}peak (\S+) {2}min \S+ {2}cen (\S+) {2}com \S+ {2}fwhm (\S+)/.exec(screen);
      assert.ok(m, screen);
      assert.equal(Number(m[1]), 0.5);
      assert.ok(Math.abs(Number(m[2]) - 0.5) < 0.005, `cen ${m[2]}`);
      assert.ok(Math.abs(Number(m[3]) - FWHM_PER_SIGMA * 0.2) < 0.005, `fwhm ${m[3]}`);
      screen = await sh.run("goto cen");
      assert.match(screen, /samx 1\.100 -> 0\.500 {2}\(cen of det, scan #\d+\)/);
      screen = await sh.run("wm samx");
      assert.match(screen, /samx\s+0\.500\s/);
      screen = await sh.run("estimate ascan samy 0 10 10 0.1");
      assert.match(screen, /limits: point 6: samy: target 6 is outside the limits \[-5, 5\]; nothing moved/);
      screen = await sh.run("wm samy");
      assert.match(screen, /samy\s+0\.000\s/);
      screen = await sh.run("help goto");
      assert.match(screen, /goto <peak\|cen\|com\|min> \[<detector>\]/);
    } finally {
      sh.kill();
    }
  });
