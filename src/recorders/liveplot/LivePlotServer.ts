/**
 * The live plot as a web page. A recorder process creates one of these, calls
 * `listen()`, passes every scan message to `handle()`, and anyone can watch
 * the returned URL in a browser.
 *
 * - GET /          the page; GET /liveplot.js, /liveplot.css and uPlot's
 *                  files (read from node_modules/uplot/dist at start-up: the
 *                  page loads nothing from the internet)
 * - GET /events    server-sent events (see protocol.ts). On connect a page gets
 *                  the whole current state; after that only what changed,
 *                  batched: at most `updatesPerSecond` writes per client.
 * - anything else  404; methods other than GET and HEAD: 405 (read-only).
 *
 * It binds 127.0.0.1 unless told otherwise.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { SOURCE_DIR } from "../../util/layout.ts";
import { closeServer } from "../../util/http.ts";
import type { ScanMessage } from "../messages.ts";
import { ScanState, type Trace } from "./ScanState.ts";
import { downsampleFrame } from "./reduce.ts";
import type { ToPage, TraceStatus } from "./protocol.ts";

export interface LivePlotOptions {
  /** the motor (or any reading) on the horizontal axis; undefined: the point index */
  x?: string;
  /** what to plot: a detector name, or "detector/key" into a dict reading */
  y: string;
  /** address to bind; default 127.0.0.1 (this machine only) */
  host?: string;
  /** default 0: any free port */
  port?: number;
  /** how many scans are overlaid, the current one included; default 5 */
  keepScans?: number;
  /** most batches sent to one browser per second; default 15 */
  updatesPerSecond?: number;
  /** most images sent per second; default 4 */
  framesPerSecond?: number;
}

export interface Asset {
  type: string;
  body: Buffer;
}

interface Client {
  res: ServerResponse;
  /** per trace uid: points already sent and the status last sent */
  known: Map<number, { sent: number; status: TraceStatus | null; metaVersion: number }>;
  spectrumVersion: number;
  frameVersion: number;
  waitingDrain: boolean;
}

/** A client whose socket holds more than this is skipped until it drains. */
const MAX_BACKLOG = 4 * 1024 * 1024;
const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** One SSE event: a batch of messages, as a JSON array. */
function event(parts: string[]): string {
  return `data: [${parts.join(",")}]\n\n`;
}

function json(msg: ToPage): string {
  return JSON.stringify(msg);
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Reads the page and uPlot's files once, at start-up. */
export function loadAssets(): Map<string, Asset> {
  const here = join(SOURCE_DIR, "recorders", "liveplot");
  let uplotDist: string;
  try {
    uplotDist = dirname(createRequire(import.meta.url).resolve("uplot"));
  } catch {
    throw new Error("liveplot needs the uplot package: run `npm install uplot`");
  }
  const file = (path: string, type: string): Asset => ({ type, body: readFileSync(path) });
  return new Map([
    ["/", file(join(here, "static", "index.html"), "text/html; charset=utf-8")],
    ["/liveplot.js", file(join(here, "static", "liveplot.js"), "text/javascript; charset=utf-8")],
    ["/liveplot.css", file(join(here, "static", "liveplot.css"), "text/css; charset=utf-8")],
    ["/uPlot.iife.min.js", file(join(uplotDist, "uPlot.iife.min.js"), "text/javascript; charset=utf-8")],
    ["/uPlot.min.css", file(join(uplotDist, "uPlot.min.css"), "text/css; charset=utf-8")],
  ]);
}

export class LivePlotServer {
  readonly x: string | undefined;
  readonly y: string;
  readonly host: string;
  private readonly port: number;
  private readonly state: ScanState;
  private readonly flushInterval: number;
  private readonly frameInterval: number;
  private readonly clients = new Set<Client>();
  private assets = new Map<string, Asset>();
  private server: Server | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pinger: NodeJS.Timeout | undefined;
  private lastFlush = 0;
  private closed = false;
  private frameCache: { version: number; at: number; text: string } | null = null;
  private spectrumCache: { version: number; text: string } | null = null;
  private _url = "";

  constructor(opts: LivePlotOptions) {
    if (!opts.y) throw new Error("liveplot needs y: the detector to plot");
    this.x = opts.x;
    this.y = opts.y;
    this.host = opts.host ?? "127.0.0.1";
    this.port = opts.port ?? 0;
    this.state = new ScanState(opts.x, opts.y, opts.keepScans ?? 5);
    this.flushInterval = 1000 / (opts.updatesPerSecond ?? 15);
    this.frameInterval = 1000 / (opts.framesPerSecond ?? 4);
  }

  /** The page's address once listening, e.g. "http://127.0.0.1:43117/". */
  get url(): string {
    return this._url;
  }

  /** Number of browsers (SSE connections) watching. */
  get clientCount(): number {
    return this.clients.size;
  }

  /** Starts serving; resolves to the page's URL. */
  async listen(): Promise<string> {
    if (this.server) return this._url;
    this.assets = loadAssets();
    const server = createServer((req, res) => this.onRequest(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, this.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    const h = this.host.includes(":") ? `[${this.host}]` : this.host;
    this._url = `http://${h}:${port}/`;
    // a comment now and then keeps idle connections (and proxies) open
    this.pinger = setInterval(() => {
      for (const c of this.clients) c.res.write(": keep-alive\n\n");
    }, 15000);
    this.pinger.unref();
    return this._url;
  }

  /** Takes one scan message (header, data or footer). Cheap: the pages are updated later, in batches. */
  handle(msg: ScanMessage): void {
    this.state.handle(msg);
    this.schedule();
  }

  /** Stops serving and disconnects every page. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    this.timer = undefined;
    for (const c of this.clients) c.res.end();
    this.clients.clear();
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }

  // ---- HTTP ----

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" });
      res.end("405: the live plot is read-only\n");
      return;
    }
    // bound to this machine only: refuse pages of other sites that reach us by
    // a DNS name pointing at 127.0.0.1 (DNS rebinding)
    if (isLoopback(this.host)) {
      const name = (req.headers.host ?? "").replace(/:\d+$/, "");
      if (!LOOPBACK_NAMES.has(name)) {
        res.writeHead(403, { "Content-Type": "text/plain; charset=utf-8" });
        res.end("403: unexpected Host header\n");
        return;
      }
    }
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path === "/events") {
      if (req.method === "HEAD") {
        res.writeHead(200, { "Content-Type": "text/event-stream" });
        res.end();
      } else this.openEvents(req, res);
      return;
    }
    const asset = this.assets.get(path);
    if (!asset) {
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("404: not found\n");
      return;
    }
    res.writeHead(200, {
      "Content-Type": asset.type,
      "Content-Length": asset.body.length,
      "Cache-Control": "no-cache",
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
    });
    res.end(req.method === "HEAD" ? undefined : asset.body);
  }

  private openEvents(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    res.socket?.setNoDelay(true);
    const client: Client = { res, known: new Map(), spectrumVersion: 0, frameVersion: 0, waitingDrain: false };
    this.clients.add(client);
    const drop = (): void => { this.clients.delete(client); };
    req.on("close", drop);
    res.on("error", drop);
    // EventSource reconnects by itself 1 s after losing us; the first batch is the whole state
    res.write("retry: 1000\n\n");
    this.flushClient(client, Date.now(), new Map(),
      [json({ type: "hello", x: this.x ?? null, y: this.y, keepScans: this.state.keepScans })]);
  }

  // ---- batching ----

  /** Flushes soon, but not more often than `updatesPerSecond`. */
  private schedule(delay?: number): void {
    if (this.timer || this.closed || !this.clients.size) return;
    const wait = delay ?? Math.max(0, this.lastFlush + this.flushInterval - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  private flush(): void {
    const now = Date.now();
    this.lastFlush = now;
    const cache = new Map<string, string>();
    for (const c of this.clients) this.flushClient(c, now, cache);
    // an image held back by the frame-rate limit goes out later
    if (this.state.frame && this.frameCache?.version !== this.state.frameVersion) {
      this.schedule(Math.max(this.flushInterval, (this.frameCache?.at ?? 0) + this.frameInterval - now));
    }
  }

  /** Sends one client everything it has not seen yet, as one write. */
  private flushClient(c: Client, now: number, cache: Map<string, string>, out: string[] = []): void {
    if (c.res.writableLength > MAX_BACKLOG) {
      // a slow browser: skip it until its socket drains; it then gets one bigger batch
      if (!c.waitingDrain) {
        c.waitingDrain = true;
        c.res.once("drain", () => {
          c.waitingDrain = false;
          this.schedule();
        });
      }
      return;
    }
    const live = new Set(this.state.traces.map((t) => t.meta.uid));
    for (const uid of c.known.keys()) {
      if (!live.has(uid)) {
        out.push(json({ type: "drop", uid }));
        c.known.delete(uid);
      }
    }
    for (const t of this.state.traces) {
      let k = c.known.get(t.meta.uid);
      if (!k || k.metaVersion !== t.metaVersion) {
        out.push(json({ type: "scan", meta: t.meta }));
        k ??= { sent: 0, status: null, metaVersion: 0 };
        k.metaVersion = t.metaVersion;
        c.known.set(t.meta.uid, k);
      }
      const n = t.xs.length;
      if (n > k.sent) {
        out.push(this.pointsText(t, k.sent, n, cache));
        k.sent = n;
      }
      if (k.status !== t.status) {
        out.push(json({ type: "status", uid: t.meta.uid, status: t.status, error: t.error, endTime: t.endTime, ...(t.marks ? { marks: t.marks } : {}) }));
        k.status = t.status;
      }
    }
    const spectrum = this.spectrumText();
    if (spectrum && c.spectrumVersion !== this.state.spectrumVersion) {
      out.push(spectrum);
      c.spectrumVersion = this.state.spectrumVersion;
    }
    const frame = this.frameText(now);
    if (frame && c.frameVersion !== frame.version) {
      out.push(frame.text);
      c.frameVersion = frame.version;
    }
    if (out.length) c.res.write(event(out));
  }

  private pointsText(t: Trace, from: number, to: number, cache: Map<string, string>): string {
    const key = `${t.meta.uid}:${from}:${to}`;
    let text = cache.get(key);
    if (text === undefined) {
      text = json({
        type: "points", uid: t.meta.uid, from,
        xs: t.xs.slice(from, to), ys: t.ys.slice(from, to),
        ...(t.a && t.b ? { a: t.a.slice(from, to), b: t.b.slice(from, to) } : {}),
      });
      cache.set(key, text);
    }
    return text;
  }

  private spectrumText(): string | null {
    const s = this.state.spectrum;
    if (!s) return null;
    if (this.spectrumCache?.version !== this.state.spectrumVersion) {
      this.spectrumCache = {
        version: this.state.spectrumVersion,
        text: json({ type: "spectrum", uid: s.uid, scannr: s.scannr, index: s.index, name: s.name, data: Array.from(s.value, Number) }),
      };
    }
    return this.spectrumCache.text;
  }

  /** The latest image, shrunk and encoded at most `framesPerSecond` times a second. */
  private frameText(now: number): { version: number; text: string } | null {
    const f = this.state.frame;
    if (!f) return null;
    const cached = this.frameCache;
    if (cached && (cached.version === this.state.frameVersion || now - cached.at < this.frameInterval)) return cached;
    const g = downsampleFrame(f.value, 256);
    this.frameCache = {
      version: this.state.frameVersion, at: now,
      text: json({
        type: "frame", uid: f.uid, scannr: f.scannr, index: f.index, name: f.name, shape: f.value.shape,
        width: g.width, height: g.height, black: g.black, white: g.white,
        pixels: Buffer.from(g.pixels.buffer, g.pixels.byteOffset, g.pixels.byteLength).toString("base64"),
      }),
    };
    return this.frameCache;
  }
}
