// The live integration view: polls /state, draws the latest I(q) (log scale) and the map of the range sums.
"use strict";
const view = { scannr: null, status: "", motors: [], positions: {}, sums: [], radial: [], latest: [], latestFrame: null, range: [0, 0], unit: "", cells: null, draws: 0 };
window.integrationview = view;

async function poll() {
  try {
    const pending = view.sums.findIndex((s) => s === null);
    const since = view.scannr === null ? 0 : pending < 0 ? view.sums.length : pending;
    const s = await (await fetch(`state?scan=${view.scannr ?? ""}&since=${since}`)).json();
    if (s.scannr !== view.scannr || s.since === 0) Object.assign(view, { positions: {}, sums: [] });
    for (const m of s.motors) view.positions[m] = (view.positions[m] || []).slice(0, s.since).concat(s.positions[m]);
    view.sums = view.sums.slice(0, s.since).concat(s.sums);
    Object.assign(view, { scannr: s.scannr, status: s.status, motors: s.motors, radial: s.radial, latest: s.latest, latestFrame: s.latestFrame, range: s.range, unit: s.unit });
    draw();
  } catch (e) {
    document.getElementById("status").textContent = `no answer from the pipeline (${e})`;
  }
  setTimeout(poll, 300);
}

function drawProfile() {
  const c = document.getElementById("profile"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  const x = view.radial, y = view.latest.map((v) => (v > 0 ? Math.log10(v) : NaN));
  if (!x.length || !y.length) return;
  const fin = y.filter(Number.isFinite), lo = Math.min(...fin), hi = Math.max(...fin);
  const px = (v) => 40 + ((v - x[0]) / (x[x.length - 1] - x[0] || 1)) * (c.width - 50);
  const py = (v) => c.height - 20 - ((v - lo) / (hi - lo || 1)) * (c.height - 30);
  g.fillStyle = "rgba(200,150,0,0.2)";
  g.fillRect(px(view.range[0]), 0, px(view.range[1]) - px(view.range[0]), c.height);
  g.strokeStyle = "#d22";
  g.beginPath();
  y.forEach((v, i) => { if (Number.isFinite(v)) g.lineTo(px(x[i]), py(v)); });
  g.stroke();
  g.fillStyle = "#222";
  g.fillText(`I (log) vs ${view.unit}, frame ${view.latestFrame}`, 45, 12);
}

/** Cells for the points: the distinct positions of the first two motors (a mesh), else one row per point. */
function cells() {
  const [mx, my] = view.motors, n = view.sums.length;
  const key = (v) => Math.round(v * 1e6) / 1e6;
  const xs = mx ? view.positions[mx] : [], ys = my ? view.positions[my] : [];
  const dx = [...new Set(xs.filter(Number.isFinite).map(key))].sort((a, b) => a - b);
  const dy = my ? [...new Set(ys.filter(Number.isFinite).map(key))].sort((a, b) => a - b) : [0];
  const ix = new Map(dx.map((v, i) => [v, i])), iy = new Map(dy.map((v, i) => [v, i]));
  const at = (i) => (Number.isFinite(xs[i]) && (!my || Number.isFinite(ys[i])) ? [ix.get(key(xs[i])), my ? iy.get(key(ys[i])) : 0] : null);
  return { nx: Math.max(dx.length, 1), ny: Math.max(dy.length, 1), at, n };
}

function drawMap() {
  const c = document.getElementById("map"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  view.cells = cells();
  const { nx, ny, at, n } = view.cells;
  const fin = view.sums.filter(Number.isFinite), lo = Math.min(...fin), hi = Math.max(...fin);
  const w = c.width / nx, h = c.height / ny;
  for (let i = 0; i < n; i++) {
    const cell = at(i), s = view.sums[i];
    if (!cell || !Number.isFinite(s)) continue;
    const t = hi > lo ? (s - lo) / (hi - lo) : 1;
    g.fillStyle = `rgb(${Math.round(255 * t)},${Math.round(180 * t)},${Math.round(60 + 100 * (1 - t))})`;
    g.fillRect(cell[0] * w, c.height - (cell[1] + 1) * h, w, h);
  }
  document.getElementById("maptitle").textContent = `sum of I over ${view.range[0]}–${view.range[1]} ${view.unit} on ${view.motors.slice(0, 2).join(", ") || "the points"}`;
}

function draw() {
  document.getElementById("status").textContent = view.scannr === null ? "waiting for a scan"
    : `scan ${view.scannr}: ${view.status}, ${view.sums.filter((s) => s !== null).length} of ${view.sums.length} points integrated`;
  drawProfile();
  drawMap();
  view.draws++;
}

poll();
