/*
 * Contrast remote control: the browser side. Plain JavaScript, no build step.
 *
 * Every request carries the token (Authorization: Bearer), which the page
 * keeps in sessionStorage (a link ending in #token=... logs in too). Events
 * come from GET /api/events, read with fetch so that they carry the token as
 * well; `window.remote` holds what the page shows, for tests.
 */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const view = { role: null, status: null, queue: [], history: [], positions: [], console: [], connected: false };
  window.remote = view;

  let token = sessionStorage.getItem("contrastToken");
  let tokenReady;
  const tokenKnown = new Promise((resolve) => (tokenReady = resolve));

  const m = /#token=([^&]+)/.exec(location.hash);
  if (m) {
    token = decodeURIComponent(m[1]);
    history.replaceState(null, "", location.pathname); // out of the address bar and its history
  }

  // ---------------------------------------------------------------- requests

  async function api(method, path, body) {
    const res = await fetch("/api/" + path, {
      method,
      headers: Object.assign({ Authorization: "Bearer " + token }, body === undefined ? {} : { "Content-Type": "application/json" }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await res.json().catch(() => null);
    if (res.status === 401) logout("the token is not (or no longer) valid");
    if (!res.ok) throw Object.assign(new Error((data && data.error) || "HTTP " + res.status), { data, status: res.status });
    return data;
  }

  /** Reads a server-sent event stream through fetch (EventSource cannot send the token). */
  async function readEvents(url, onEvent, signal) {
    const res = await fetch(url, { headers: { Authorization: "Bearer " + token }, signal });
    if (!res.ok) throw Object.assign(new Error("HTTP " + res.status), { status: res.status });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value;
      let end;
      while ((end = buf.indexOf("\n\n")) >= 0) {
        const lines = buf.slice(0, end).split("\n");
        buf = buf.slice(end + 2);
        const field = (n) => lines.filter((l) => l.startsWith(n + ":")).map((l) => l.slice(n.length + 1).replace(/^ /, ""));
        const data = field("data");
        if (data.length) onEvent(field("event")[0] || "message", data.join("\n"));
      }
    }
  }

  /**
   * The live plot's script opens `new EventSource("events")`: here that is the
   * live plot's stream passed through /api/liveplot/events, read with the token.
   */
  class AuthorizedEventSource {
    constructor() {
      this.readyState = 0;
      this.controller = new AbortController();
      tokenKnown.then(() => readEvents("/api/liveplot/events", (type, data) => {
        if (this.readyState !== 1) {
          this.readyState = 1;
          if (this.onopen) this.onopen();
        }
        if (type === "message" && this.onmessage) this.onmessage({ data });
      }, this.controller.signal)).catch(() => {}).then(() => {
        if (this.readyState === 2) return;
        this.readyState = 2; // the script connects again itself
        if (this.onerror) this.onerror();
      });
    }
    close() {
      this.readyState = 2;
      this.controller.abort();
    }
  }
  AuthorizedEventSource.CONNECTING = 0;
  AuthorizedEventSource.OPEN = 1;
  AuthorizedEventSource.CLOSED = 2;
  window.EventSource = AuthorizedEventSource;

  // ---------------------------------------------------------------- log in

  async function login(t) {
    token = t;
    try {
      const s = await api("GET", "status");
      sessionStorage.setItem("contrastToken", t);
      view.role = s.role;
      $("loginError").textContent = "";
      $("login").hidden = true;
      $("control").hidden = false;
      $("role").textContent = "logged in as " + s.role;
      document.body.classList.toggle("readonly", s.role === "observer");
      document.body.classList.toggle("notadmin", s.role !== "admin");
      showStatus(s);
      tokenReady();
      await Promise.all([loadQueue(), loadHistory(), loadPositions()]);
      watch();
    } catch (e) {
      if (e.status !== 401) $("loginError").textContent = e.message;
    }
  }

  function logout(why) {
    sessionStorage.removeItem("contrastToken");
    token = null;
    view.role = null;
    $("login").hidden = false;
    $("control").hidden = true;
    $("loginError").textContent = why || "";
  }


  // ---------------------------------------------------------------- events

  async function watch() {
    while (token) {
      try {
        await readEvents("/api/events", onEvent);
      } catch (e) {
        // the shell went away or restarted: try again
      }
      view.connected = false;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  function onEvent(type, text) {
    view.connected = true;
    const data = JSON.parse(text);
    if (type === "state") showStatus(data);
    else if (type === "queue") showQueue(data);
    else if (type === "history") {
      loadHistory();
      loadPositions();
    } else if (type === "console") showConsole(data.text);
  }

  // ---------------------------------------------------------------- showing

  const cell = (text, cls) => Object.assign(document.createElement("td"), { textContent: text == null ? "" : String(text), className: cls || "" });
  const clock = (t) => (t ? new Date(t * 1000).toLocaleTimeString() : "");

  function showStatus(s) {
    view.status = s;
    const state = $("state");
    state.textContent = s.state + (s.pausing ? " (pausing)" : "");
    state.className = "status " + s.state;
    const scan = s.scan ? ` scan #${s.scan.scannr}: ${s.scan.done}/${s.scan.total}` : "";
    $("item").textContent = s.item ? `#${s.item.id} ${s.item.line}${scan}` : scan;
    $("queueState").textContent = `queue ${s.queue.running ? (s.queue.stopping ? "stopping" : "running") : "stopped"}, ${s.queue.length} waiting, user level ${s.userLevel}`;
    $("pause").disabled = s.state === "idle" || s.state === "paused" || s.pausing;
    $("resume").disabled = !(s.state === "paused" || s.pausing);
    $("abort").disabled = s.state === "idle";
    $("qstart").disabled = s.queue.running;
    $("qstop").disabled = !s.queue.running;
  }

  function showQueue(items) {
    view.queue = items;
    const body = $("queue").tBodies[0];
    body.replaceChildren(...items.map((item, i) => {
      const tr = document.createElement("tr");
      tr.dataset.id = item.id;
      tr.append(cell(item.position, "num"), cell("#" + item.id, "num"), cell(item.line, "line"));
      const buttons = document.createElement("td");
      const button = (label, title, action, disabled) => {
        const b = Object.assign(document.createElement("button"), { type: "button", textContent: label, title, disabled });
        b.addEventListener("click", () => act(action));
        buttons.append(b);
      };
      button("↑", "move up", () => api("POST", "queue/move", { id: item.id, position: item.position - 1 }), i === 0);
      button("↓", "move down", () => api("POST", "queue/move", { id: item.id, position: item.position + 1 }), i === items.length - 1);
      button("✕", "remove", () => api("DELETE", "queue/" + item.id), false);
      tr.append(buttons);
      return tr;
    }));
    $("queueEmpty").hidden = items.length > 0;
  }

  function showHistory(items) {
    view.history = items;
    $("history").tBodies[0].replaceChildren(...items.slice().reverse().map((h) => {
      const tr = document.createElement("tr");
      tr.dataset.id = h.id;
      tr.title = h.error || "";
      tr.append(cell("#" + h.id, "num"), cell(h.line, "line"), cell(h.status, h.status), cell(h.scannr, "num"), cell(clock(h.endedAt)));
      return tr;
    }));
  }

  function showPositions(motors) {
    view.positions = motors;
    $("positions").tBodies[0].replaceChildren(...motors.map((mo) => {
      const tr = document.createElement("tr");
      tr.append(cell(mo.name), cell(mo.position === null ? mo.error : mo.position.toPrecision(6).replace(/\.?0+$/, ""), "num"));
      return tr;
    }));
  }

  function showConsole(text) {
    view.console.push(text);
    if (view.console.length > 500) view.console.splice(0, view.console.length - 500);
    const pre = $("console");
    const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.textContent = view.console.join("\n");
    if (atEnd) pre.scrollTop = pre.scrollHeight;
  }

  const loadQueue = () => api("GET", "queue").then(showQueue);
  const loadHistory = () => api("GET", "history").then(showHistory);
  const loadPositions = () => api("GET", "positions").then(showPositions);
  // motors move during scans: their table is read again every 2 s while something runs
  setInterval(() => {
    if (token && view.status && view.status.state !== "idle") loadPositions().catch(() => {});
  }, 2000);

  // ---------------------------------------------------------------- acting

  async function act(action) {
    $("actionError").textContent = "";
    try {
      await action();
    } catch (e) {
      $("actionError").textContent = e.message;
    }
  }

  // this script runs in the page's head, before the elements exist
  document.addEventListener("DOMContentLoaded", () => {
    $("login").addEventListener("submit", (ev) => {
      ev.preventDefault();
      login($("token").value.trim());
    });
    $("logout").addEventListener("click", () => logout());
    $("addForm").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const box = $("addError");
      try {
        await api("POST", "queue", { line: $("line").value });
        $("line").value = "";
        box.hidden = true;
      } catch (e) {
        box.textContent = e.message + (e.data && e.data.usage ? "\n\n" + e.data.usage : "");
        box.hidden = false;
      }
    });
    $("qstart").addEventListener("click", () => act(() => api("POST", "queue/start")));
    $("qstop").addEventListener("click", () => act(() => api("POST", "queue/stop")));
    $("pause").addEventListener("click", () => act(() => api("POST", "scan/pause")));
    $("resume").addEventListener("click", () => act(() => api("POST", "scan/resume")));
    $("abort").addEventListener("click", () => act(() => api("POST", "scan/abort")));
    if (token) login(token);
  });
})();
