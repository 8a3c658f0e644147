// The live XRF view: polls /state, keeps the scan's points, draws one map per region and the spectra.
"use strict";
const view = { scannr: null, status: "", points: 0, motors: [], rois: [], positions: {}, sums: {}, latest: [], average: [], grid: null, draws: 0 };
window.xrfview = view;

async function poll() {
  try {
    const since = view.scannr === null ? 0 : view.points;
    const r = await fetch(`state?scan=${view.scannr ?? ""}&since=${since}`);
    const s = await r.json();
    if (s.scannr !== view.scannr || s.since === 0) {
      Object.assign(view, { scannr: s.scannr, positions: {}, sums: {} });
      for (const m of s.motors) view.positions[m] = [];
      for (const roi of s.rois) view.sums[roi.name] = [];
    }
    for (const m of s.motors) view.positions[m] = (view.positions[m] || []).slice(0, s.since).concat(s.positions[m] || []);
    for (const roi of s.rois) view.sums[roi.name] = (view.sums[roi.name] || []).slice(0, s.since).concat(s.sums[roi.name] || []);
    Object.assign(view, { status: s.status, points: s.points, frames: s.frames, refused: s.refused, motors: s.motors, rois: s.rois,
      keVPerBin: s.keVPerBin, latest: s.latest, average: s.average, missedStart: s.missedStart, description: s.description });
    draw();
  } catch (e) {
    document.getElementById("status").textContent = `no answer from the consumer (${e})`;
  }
  setTimeout(poll, 300);
}

/** Cells for the points: the distinct positions of a mesh, else a square grid over the scattered points. */
function grid(xs, ys) {
  const n = xs.length;
  const key = (v) => Math.round(v * 1e6) / 1e6;
  const dx = [...new Set(xs.filter(Number.isFinite).map(key))].sort((a, b) => a - b);
  const dy = [...new Set(ys.filter(Number.isFinite).map(key))].sort((a, b) => a - b);
  if (dx.length * dy.length <= 2 * Math.max(n, 1) && dx.length <= 512 && dy.length <= 512) {
    const ix = new Map(dx.map((v, i) => [v, i]));
    const iy = new Map(dy.map((v, i) => [v, i]));
    return { nx: dx.length, ny: dy.length, cell: (i) => (Number.isFinite(xs[i]) && Number.isFinite(ys[i]) ? [ix.get(key(xs[i])), iy.get(key(ys[i]))] : null), mesh: true };
  }
  const g = Math.max(1, Math.min(256, Math.round(Math.sqrt(n))));
  const fin = (a) => a.filter(Number.isFinite);
  const [x0, x1, y0, y1] = [Math.min(...fin(xs)), Math.max(...fin(xs)), Math.min(...fin(ys)), Math.max(...fin(ys))];
  const at = (v, lo, hi) => Math.min(g - 1, Math.floor(((v - lo) / ((hi - lo) || 1)) * g));
  return { nx: g, ny: g, cell: (i) => (Number.isFinite(xs[i]) && Number.isFinite(ys[i]) ? [at(xs[i], x0, x1), at(ys[i], y0, y1)] : null), mesh: false };
}

function colour(t) {
  // black - red - yellow - white
  const r = Math.min(1, 3 * t), g = Math.min(1, Math.max(0, 3 * t - 1)), b = Math.max(0, 3 * t - 2);
  return [255 * r, 255 * g, 255 * b];
}

function drawMaps() {
  const box = document.getElementById("maps");
  const fast = view.motors[view.motors.length - 1];
  const slow = view.motors.length > 1 ? view.motors[view.motors.length - 2] : undefined;
  const n = view.points;
  const xs = fast ? view.positions[fast].slice(0, n) : Array.from({ length: n }, (_, i) => i);
  const ys = slow ? view.positions[slow].slice(0, n) : xs.map(() => 0);
  if (!n) return;
  const g = (view.grid = grid(xs.map((v) => (v === null ? NaN : v)), ys.map((v) => (v === null ? NaN : v))));
  for (const roi of view.rois) {
    let div = document.getElementById(`map-${roi.name}`);
    if (!div) {
      div = document.createElement("div");
      div.className = "map";
      div.id = `map-${roi.name}`;
      div.innerHTML = `<canvas></canvas><div>${roi.name}</div>`;
      box.appendChild(div);
    }
    const cv = div.querySelector("canvas");
    cv.width = g.nx;
    cv.height = g.ny;
    const sum = new Float64Array(g.nx * g.ny), count = new Uint32Array(g.nx * g.ny);
    const values = view.sums[roi.name] || [];
    for (let i = 0; i < n; i++) {
      const v = values[i], c = g.cell(i);
      if (v === null || v === undefined || !c) continue;
      const k = (g.ny - 1 - c[1]) * g.nx + c[0];
      sum[k] += v;
      count[k]++;
    }
    let lo = Infinity, hi = -Infinity;
    for (let k = 0; k < sum.length; k++) if (count[k]) { const v = sum[k] / count[k]; lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const ctx = cv.getContext("2d");
    const img = ctx.createImageData(g.nx, g.ny);
    for (let k = 0; k < sum.length; k++) {
      if (!count[k]) continue;
      const [r, gg, b] = colour(hi > lo ? (sum[k] / count[k] - lo) / (hi - lo) : 0.5);
      img.data.set([r, gg, b, 255], 4 * k);
    }
    ctx.putImageData(img, 0, 0);
    div.querySelector("div").textContent = `${roi.name}  ${Number.isFinite(lo) ? `${lo.toFixed(0)}–${hi.toFixed(0)}` : ""}`;
  }
}

function drawSpectrum() {
  const cv = document.getElementById("spectrum");
  const ctx = cv.getContext("2d");
  const [w, h] = [cv.width, cv.height];
  ctx.clearRect(0, 0, w, h);
  const bins = Math.max(view.latest.length, view.average.length);
  if (!bins) return;
  const top = Math.log10(Math.max(10, ...view.latest, ...view.average));
  const X = (b) => (b / bins) * w;
  const Y = (v) => h - (Math.log10(Math.max(1, v + 1)) / (top + 0.1)) * (h - 10);
  ctx.fillStyle = "rgba(230, 180, 0, 0.35)";
  for (const roi of view.rois) ctx.fillRect(X(roi.first), 0, Math.max(1, X(roi.last + 1) - X(roi.first)), h);
  ctx.fillStyle = "#964";
  ctx.font = "12px system-ui";
  for (const roi of view.rois) ctx.fillText(roi.name, X(roi.first), 12);
  const line = (data, style) => {
    ctx.strokeStyle = style;
    ctx.beginPath();
    data.forEach((v, b) => (b ? ctx.lineTo(X(b), Y(v)) : ctx.moveTo(X(b), Y(v))));
    ctx.stroke();
  };
  line(view.average, "#23c");
  line(view.latest, "#d22");
}

function draw() {
  const st = document.getElementById("status");
  st.textContent = view.scannr === null ? "waiting for a scan"
    : `scan #${view.scannr} ${view.status}: ${view.points} points, ${view.frames} spectra${view.refused ? `, ${view.refused} refused` : ""}${view.missedStart ? " (start missed)" : ""} ${view.description ?? ""}`;
  drawMaps();
  drawSpectrum();
  view.draws++;
}

poll();
