/*
 * Contrast live plot: the browser side. Plain JavaScript, no build step.
 *
 * Listens to the server's events (GET events, see protocol.ts): each event is
 * a JSON array of messages. Keeps the last few scans in memory, draws them,
 * and keeps `window.liveplot` (the LivePlotView in protocol.ts) up to date.
 */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);

  /** Everything the server told us. */
  const model = { hello: null, scans: [], spectrum: null, frame: null };

  const view = {
    scannr: null, status: "idle", description: "", npoints: null,
    points: 0, xs: [], ys: [], marks: null, scans: 0, mapPoints: 0,
    frameShape: null, frameSize: null, spectrumName: null, spectrumLength: 0, spectrum: null,
    connected: false, messages: 0, updates: 0,
  };
  window.liveplot = view;

  // ---------------------------------------------------------------- connection

  let source = null;
  function connect() {
    source = new EventSource("events");
    source.onopen = () => { view.connected = true; showConnection(); };
    source.onerror = () => {
      view.connected = false;
      showConnection();
      // EventSource retries by itself, except after some failures: then we do
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    };
    source.onmessage = (ev) => {
      const batch = JSON.parse(ev.data);
      view.updates++;
      for (const m of batch) {
        view.messages++;
        if (!apply(m)) { reconnect(); return; }
      }
      updateView();
      requestRender();
    };
  }
  function reconnect() {
    source.close();
    connect();
  }
  function showConnection() {
    const el = $("conn");
    el.textContent = view.connected ? "live" : "reconnecting…";
    el.className = "conn " + (view.connected ? "on" : "off");
  }

  // ---------------------------------------------------------------- messages

  const byUid = (uid) => model.scans.find((s) => s.meta.uid === uid);
  const current = () => model.scans[model.scans.length - 1] || null;
  const dirty = { chart: true, map: true, spectrum: true, frame: true };

  /** Applies one message; false when we lost track and must start again. */
  function apply(m) {
    switch (m.type) {
      case "hello":
        model.hello = m;
        model.scans = [];
        model.spectrum = null;
        model.frame = null;
        Object.keys(dirty).forEach((k) => { dirty[k] = true; });
        break;
      case "scan": {
        const known = byUid(m.meta.uid);
        if (known) { known.meta = m.meta; break; }
        model.scans.push({
          meta: m.meta, status: "started", error: null, endTime: null,
          xs: [], ys: [], a: m.meta.map ? [] : null, b: m.meta.map ? [] : null,
        });
        while (model.scans.length > model.hello.keepScans) model.scans.shift();
        dirty.chart = dirty.map = true;
        break;
      }
      case "points": {
        const s = byUid(m.uid);
        if (!s) break;
        if (m.from > s.xs.length) return false; // a gap: we missed something
        for (let i = s.xs.length - m.from; i < m.xs.length; i++) {
          s.xs.push(m.xs[i]);
          s.ys.push(m.ys[i]);
          if (s.a) { s.a.push(m.a[i]); s.b.push(m.b[i]); }
        }
        dirty.chart = true;
        if (s.a) dirty.map = true;
        break;
      }
      case "status": {
        const s = byUid(m.uid);
        if (s) { s.status = m.status; s.error = m.error; s.endTime = m.endTime; s.marks = m.marks || null; }
        dirty.chart = true;
        break;
      }
      case "drop":
        model.scans = model.scans.filter((s) => s.meta.uid !== m.uid);
        dirty.chart = dirty.map = true;
        break;
      case "spectrum":
        model.spectrum = m;
        dirty.spectrum = true;
        break;
      case "frame": {
        const bin = atob(m.pixels);
        const bytes = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
        m.bytes = bytes;
        model.frame = m;
        dirty.frame = true;
        break;
      }
    }
    return true;
  }

  function finite(v) { return typeof v === "number" && isFinite(v); }

  function updateView() {
    const s = current();
    view.scans = model.scans.length;
    view.scannr = s ? s.meta.scannr : null;
    view.status = s ? s.status : "idle";
    view.description = s ? s.meta.description : "";
    view.npoints = s ? s.meta.npoints : null;
    view.points = s ? s.xs.length : 0;
    view.xs = s ? s.xs : [];
    view.ys = s ? s.ys : [];
    view.marks = s ? s.marks || null : null;
    let n = 0;
    if (s && s.a) for (let i = 0; i < s.a.length; i++) if (finite(s.a[i]) && finite(s.b[i])) n++;
    view.mapPoints = n;
    const sp = model.spectrum;
    view.spectrumName = sp ? sp.name : null;
    view.spectrumLength = sp ? sp.data.length : 0;
    view.spectrum = sp ? sp.data : null;
    const f = model.frame;
    view.frameShape = f ? f.shape : null;
    view.frameSize = f ? [f.height, f.width] : null;
  }

  // ---------------------------------------------------------------- drawing

  let renderQueued = false;
  function requestRender() {
    if (renderQueued) return;
    renderQueued = true;
    // animation frames stop in hidden tabs; the timeout keeps them going anyway
    const go = () => { if (renderQueued) { renderQueued = false; render(); } };
    requestAnimationFrame(go);
    setTimeout(go, 250);
  }

  function render() {
    renderHeader();
    if (dirty.chart) { dirty.chart = false; renderChart(); }
    if (dirty.map) { dirty.map = false; renderMap(); }
    if (dirty.spectrum) { dirty.spectrum = false; renderSpectrum(); }
    if (dirty.frame) { dirty.frame = false; renderFrame(); }
  }

  const STATUS_TEXT = {
    idle: "waiting for a scan", started: "started", running: "running",
    finished: "finished", interrupted: "interrupted", failed: "failed",
  };

  function clock(t) {
    return new Date(t * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function renderHeader() {
    const s = current();
    const h = model.hello;
    $("scannr").textContent = s ? String(s.meta.scannr) : "–";
    const st = $("status");
    st.textContent = STATUS_TEXT[view.status] || view.status;
    st.className = "status " + view.status;
    $("command").textContent = s ? s.meta.description : "";
    const done = s ? s.xs.length : 0;
    const total = s ? s.meta.npoints : null;
    $("progress").textContent = total ? `${done} / ${total} points` : `${done} point${done === 1 ? "" : "s"}`;
    $("bar").style.width = total ? `${Math.min(100, (100 * done) / total)}%` : (s && s.status !== "running" && s.status !== "started" ? "100%" : "0");
    $("time").textContent = s ? `started ${clock(s.meta.startTime)}` + (s.endTime ? `, ended ${clock(s.endTime)}` : "") : "";
    const err = $("error");
    err.hidden = !(s && s.error);
    err.textContent = s && s.error ? s.error : "";
    if (h) {
      const x = s ? s.meta.xLabel : (h.x || "point");
      $("chartTitle").textContent = `${h.y} vs ${x}`;
      document.title = s ? `#${s.meta.scannr} ${view.status} – Contrast live plot` : "Contrast live plot";
    }
  }

  // the current scan is blue; older ones fade through other colours
  const CURRENT = "#1f6feb";
  const OLDER = ["#e8590c", "#2f9e44", "#ae3ec9", "#0c8599", "#f08c00", "#868e96"];

  // axis styles shared by both charts; the y axis grows to fit its tick labels
  const measure = document.createElement("canvas").getContext("2d");
  function yAxisSize(u, values, axisIdx, cycleNum) {
    if (cycleNum > 1 || !values) return (u.axes[axisIdx]._size) || 50;
    measure.font = "12px system-ui, -apple-system, sans-serif";
    const w = Math.max(0, ...values.map((v) => measure.measureText(String(v)).width));
    return Math.ceil(w) + 14 + 26; // labels, ticks, and the axis title
  }
  const INTEGER_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6];
  function axis(scale, label, isY, integers) {
    return {
      scale, label, labelSize: 26, stroke: "#344054",
      grid: { stroke: "#eef0f3" }, ticks: { stroke: "#d0d5dd" },
      ...(isY ? { size: yAxisSize } : {}),
      ...(integers ? { incrs: INTEGER_STEPS } : {}),
    };
  }

  let chart = null;
  let chartKey = "";
  function chartSize(el, height) {
    return { width: Math.max(200, el.clientWidth), height };
  }

  function renderChart() {
    const el = $("chart");
    const shown = model.scans.filter((s) => s.xs.length > 0);
    const cur = current();
    const key = shown.map((s) => s.meta.uid + s.meta.xLabel).join(",") + "|" + el.clientWidth;
    const data = [null].concat(shown.map((s) => [s.xs, s.ys]));
    if (!shown.length) {
      if (chart) { chart.destroy(); chart = null; }
      chartKey = "";
      el.innerHTML = '<p class="empty">' + (cur ? "Waiting for the first point…" : "No scan yet.") + "</p>";
      return;
    }
    if (chart && key === chartKey) { chart.setData(data); return; }
    if (chart) chart.destroy();
    el.innerHTML = "";
    chartKey = key;
    const last = shown[shown.length - 1];
    const xLabel = last.meta.xLabel;
    const series = [{}].concat(shown.map((s, i) => {
      const isCur = s === cur;
      const color = isCur ? CURRENT : OLDER[(shown.length - 1 - i - (cur && cur.xs.length ? 1 : 0) + OLDER.length) % OLDER.length];
      return {
        label: `#${s.meta.scannr}` + (isCur ? " (current)" : ""),
        stroke: color,
        width: isCur ? 2 : 1.25,
        alpha: isCur ? 1 : 0.55,
        // scans over two motors (maps) get dots, not lines
        paths: s.meta.map ? () => null : uPlot.paths.linear(),
        points: { show: false }, // mode 2 does not draw them: see drawMarkers
        facets: [{ scale: "x", auto: true }, { scale: "y", auto: true }],
      };
    }));
    chart = new uPlot({
      mode: 2,
      ...chartSize(el, 400),
      legend: { live: false },
      cursor: { drag: { x: true, y: true } },
      scales: { x: { time: false, auto: true }, y: { auto: true } },
      axes: [axis("x", xLabel, false, xLabel === "point"), axis("y", model.hello.y, true, false)],
      series,
      hooks: { draw: [drawMarkers] },
    }, data, el);
  }

  /** Dots on the points: the current scan's when there are few, and every point of a map scan. */
  function drawMarkers(u) {
    const shown = model.scans.filter((s) => s.xs.length > 0);
    const ctx = u.ctx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
    ctx.clip();
    for (let si = 1; si < u.series.length; si++) {
      const s = shown[si - 1];
      const isCur = s === current();
      const [xs, ys] = u.data[si];
      if (!s || !(s.meta.map || (isCur && xs.length <= 300))) continue;
      const r = (xs.length > 2000 ? 1.5 : 2.5) * uPlot.pxRatio;
      ctx.globalAlpha = isCur ? 1 : 0.5;
      ctx.fillStyle = u.series[si].stroke(u, si);
      ctx.beginPath();
      for (let i = 0; i < xs.length; i++) {
        if (!finite(xs[i]) || !finite(ys[i])) continue;
        const x = u.valToPos(xs[i], "x", true);
        const y = u.valToPos(ys[i], "y", true);
        ctx.moveTo(x + r, y);
        ctx.arc(x, y, r, 0, 2 * Math.PI);
      }
      ctx.fill();
    }
    drawPeakMarks(u, ctx);
    ctx.restore();
  }

  /** Dashed lines at the ended scan's peak, cen and com (its statistics of y against x). */
  function drawPeakMarks(u, ctx) {
    const s = current();
    if (!s || !s.marks || s.meta.map) return;
    ctx.globalAlpha = 1;
    ctx.setLineDash([4 * uPlot.pxRatio, 3 * uPlot.pxRatio]);
    ctx.font = `${11 * uPlot.pxRatio}px system-ui, sans-serif`;
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    [["peak", "#d92d20"], ["cen", "#7a5af8"], ["com", "#079455"]].forEach(([k, colour], i) => {
      const v = s.marks[k];
      if (!finite(v)) return;
      const x = u.valToPos(v, "x", true);
      ctx.strokeStyle = ctx.fillStyle = colour;
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.fillText(`${k} ${fmt(v)}`, x + 3 * uPlot.pxRatio, u.bbox.top + (3 + 14 * i) * uPlot.pxRatio);
    });
    ctx.setLineDash([]);
  }

  let spectrumChart = null;
  let spectrumKey = "";
  function renderSpectrum() {
    const sp = model.spectrum;
    const panel = $("spectrumPanel");
    panel.hidden = !sp;
    if (!sp) return;
    $("spectrumTitle").innerHTML = "";
    $("spectrumTitle").append(`Spectrum: ${sp.name} `, Object.assign(document.createElement("small"),
      { textContent: `scan ${sp.scannr}, point ${sp.index}, ${sp.data.length} channels` }));
    const el = $("spectrum");
    const xs = Array.from({ length: sp.data.length }, (_, i) => i);
    const data = [xs, sp.data];
    const key = sp.name + "|" + sp.data.length + "|" + el.clientWidth;
    if (spectrumChart && key === spectrumKey) { spectrumChart.setData(data); return; }
    if (spectrumChart) spectrumChart.destroy();
    spectrumKey = key;
    spectrumChart = new uPlot({
      ...chartSize(el, 300),
      legend: { show: false },
      scales: { x: { time: false }, y: { auto: true } },
      axes: [axis("x", "channel", false, true), axis("y", sp.name, true, false)],
      series: [{ label: "channel" }, { label: sp.name, stroke: "#7048e8", width: 1.25, fill: "rgba(112,72,232,0.08)", points: { show: false } }],
    }, data, el);
  }

  // ---- canvases: the 2-D map and the image

  /** Sizes a canvas for its CSS box and the screen's pixel ratio; returns a context in CSS pixels. */
  function setupCanvas(cv) {
    const dpr = window.devicePixelRatio || 1;
    const w = cv.clientWidth;
    const h = cv.clientHeight;
    cv.width = Math.round(w * dpr);
    cv.height = Math.round(h * dpr);
    const ctx = cv.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, w, h);
    return { ctx, w, h };
  }

  // viridis, sampled at 9 points
  const VIRIDIS = [
    [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
    [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
  ];
  function viridis(t) {
    if (!(t >= 0)) t = 0;
    if (t > 1) t = 1;
    const f = t * (VIRIDIS.length - 1);
    const i = Math.min(VIRIDIS.length - 2, Math.floor(f));
    const u = f - i;
    const a = VIRIDIS[i], b = VIRIDIS[i + 1];
    return `rgb(${Math.round(a[0] + u * (b[0] - a[0]))},${Math.round(a[1] + u * (b[1] - a[1]))},${Math.round(a[2] + u * (b[2] - a[2]))})`;
  }

  /** About n round tick values between lo and hi. */
  function ticks(lo, hi, n) {
    if (!(hi > lo)) return [lo];
    const raw = (hi - lo) / n;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  }
  function fmt(v) {
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
    return String(Number(v.toPrecision(4)));
  }

  /** Number of distinct values, counting values closer than `eps` as one. */
  function distinct(vs, eps) {
    const seen = new Set();
    for (const v of vs) if (finite(v)) seen.add(Math.round(v / eps));
    return seen.size;
  }

  function minMax(vs) {
    let lo = Infinity, hi = -Infinity;
    for (const v of vs) if (finite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
    return [lo, hi];
  }

  function renderMap() {
    const s = current();
    const panel = $("mapPanel");
    panel.hidden = !(s && s.a);
    if (panel.hidden) return;
    const [m1, m2] = s.meta.motors;
    $("mapTitle").textContent = `Map: ${model.hello.y} at (${m1}, ${m2})`;
    const { ctx, w, h } = setupCanvas($("map"));
    const L = 62, R = 86, T = 10, B = 46;
    const pw = w - L - R, ph = h - T - B;
    ctx.font = "12px system-ui, sans-serif";
    const n = s.a.length;
    if (!n) {
      ctx.fillStyle = "#667085";
      ctx.textAlign = "center";
      ctx.fillText("waiting for the first point…", L + pw / 2, T + ph / 2);
      return;
    }
    const [alo, ahi] = minMax(s.a);
    const [blo, bhi] = minMax(s.b);
    const [vlo, vhi] = minMax(s.ys);
    if (!finite(alo) || !finite(blo)) return;
    const ra = ahi - alo, rb = bhi - blo;
    // cell size in motor units: a mesh gets one cell per grid step; anything
    // else (spirals, fermat) squares of about the area per point
    const na = distinct(s.a, Math.max(ra * 1e-6, 1e-12));
    const nb = distinct(s.b, Math.max(rb * 1e-6, 1e-12));
    let sa, sb;
    if (na * nb <= 2 * n) {
      sa = na > 1 ? ra / (na - 1) : 0;
      sb = nb > 1 ? rb / (nb - 1) : 0;
    } else {
      sa = sb = 0.9 * Math.sqrt(((ra || rb) * (rb || ra)) / Math.max(n, s.meta.npoints || 0));
    }
    if (!(sa > 0)) sa = sb > 0 ? sb : 1;
    if (!(sb > 0)) sb = sa;
    // the same scale on both axes (a circle stays round) unless that would squash it flat
    const ea = ra + sa, eb = rb + sb;
    let ka = pw / ea, kb = ph / eb;
    if (Math.max(ka, kb) / Math.min(ka, kb) < 20) ka = kb = Math.min(ka, kb);
    const dw = ea * ka, dh = eb * kb;
    const ox = L + (pw - dw) / 2, oy = T + (ph - dh) / 2;
    const px = (a) => ox + (a - alo + sa / 2) * ka;
    const py = (b) => oy + dh - (b - blo + sb / 2) * kb;
    const cw = sa * ka, ch = sb * kb;
    const span = vhi > vlo ? vhi - vlo : 1;
    for (let i = 0; i < n; i++) {
      const a = s.a[i], b = s.b[i], v = s.ys[i];
      if (!finite(a) || !finite(b)) continue;
      ctx.fillStyle = finite(v) ? viridis((v - vlo) / span) : "#d0d5dd";
      // overlap by half a pixel so a mesh has no hairline gaps
      ctx.fillRect(px(a) - cw / 2 - 0.25, py(b) - ch / 2 - 0.25, cw + 0.5, ch + 0.5);
    }
    ctx.strokeStyle = "#d0d5dd";
    ctx.strokeRect(ox - 0.5, oy - 0.5, dw + 1, dh + 1);
    // axes
    ctx.fillStyle = "#344054";
    ctx.strokeStyle = "#98a2b3";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of ticks(alo - sa / 2, ahi + sa / 2, Math.max(2, Math.floor(dw / 60)))) {
      const x = px(t);
      ctx.beginPath(); ctx.moveTo(x, oy + dh); ctx.lineTo(x, oy + dh + 4); ctx.stroke();
      ctx.fillText(fmt(t), x, oy + dh + 6);
    }
    ctx.font = "bold 12px system-ui, sans-serif";
    ctx.fillText(m1, ox + dw / 2, oy + dh + 26);
    ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of ticks(blo - sb / 2, bhi + sb / 2, Math.max(2, Math.floor(dh / 60)))) {
      const y = py(t);
      ctx.beginPath(); ctx.moveTo(ox - 4, y); ctx.lineTo(ox, y); ctx.stroke();
      ctx.fillText(fmt(t), ox - 6, y);
    }
    ctx.save();
    ctx.translate(ox - 48, oy + dh / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = "center";
    ctx.font = "bold 12px system-ui, sans-serif";
    ctx.fillText(m2, 0, 0);
    ctx.restore();
    // colour bar
    const cx = ox + dw + 18, cbw = 14;
    for (let i = 0; i < dh; i++) {
      ctx.fillStyle = viridis(1 - i / dh);
      ctx.fillRect(cx, oy + i, cbw, 1.5);
    }
    ctx.strokeStyle = "#d0d5dd";
    ctx.strokeRect(cx - 0.5, oy - 0.5, cbw + 1, dh + 1);
    ctx.fillStyle = "#344054";
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    ctx.fillText(finite(vhi) ? fmt(vhi) : "", cx + cbw + 4, oy);
    ctx.textBaseline = "bottom";
    ctx.fillText(finite(vlo) ? fmt(vlo) : "", cx + cbw + 4, oy + dh);
  }

  function renderFrame() {
    const f = model.frame;
    const panel = $("imagePanel");
    panel.hidden = !f;
    if (!f) return;
    $("imageTitle").textContent = `Image: ${f.name}`;
    $("imageInfo").textContent = `scan ${f.scannr}, point ${f.index} · ${f.shape.join(" × ")}` +
      (f.width * f.height < f.shape.reduce((p, q) => p * q, 1) ? ` (shown ${f.height} × ${f.width})` : "") +
      ` · black ${fmt(f.black)}, white ${fmt(f.white)}`;
    const { ctx, w, h } = setupCanvas($("image"));
    const small = document.createElement("canvas");
    small.width = f.width;
    small.height = f.height;
    const sctx = small.getContext("2d");
    const img = sctx.createImageData(f.width, f.height);
    for (let i = 0; i < f.bytes.length; i++) {
      const g = f.bytes[i];
      img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = g;
      img.data[4 * i + 3] = 255;
    }
    sctx.putImageData(img, 0, 0);
    const scale = Math.min((w - 2) / f.width, (h - 2) / f.height);
    const dw = f.width * scale, dh = f.height * scale;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(small, (w - dw) / 2, (h - dh) / 2, dw, dh);
    ctx.strokeStyle = "#98a2b3";
    ctx.strokeRect((w - dw) / 2 - 0.5, (h - dh) / 2 - 0.5, dw + 1, dh + 1);
  }

  window.addEventListener("resize", () => {
    Object.keys(dirty).forEach((k) => { dirty[k] = true; });
    requestRender();
  });

  showConnection();
  connect();
})();
