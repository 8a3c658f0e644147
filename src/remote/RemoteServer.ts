/**
 * The remote control's HTTP server, in the shell's process (node:http):
 *
 * - /api/...          the routes of api.ts; every request needs
 *                     `Authorization: Bearer <token>` (401 without a valid one,
 *                     403 when the token's role is too low)
 * - /api/events       server-sent events: `state` (the status), `queue`,
 *                     `history` (an item that ended), `console` (output)
 * - /api/liveplot/events  the live plot's own event stream, passed through
 * - GET /             the control page and its files (they hold no data, so
 *                     they need no token: the page asks for one)
 *
 * No CORS headers: pages of other sites cannot read the answers, and their
 * requests with an Authorization header are refused at the preflight.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SOURCE_DIR } from "../util/layout.ts";
import { closeServer, listenOn } from "../util/http.ts";
import { Recorder } from "../recorders/Recorder.ts";
import { LivePlotRecorder } from "../recorders/liveplot/LivePlotRecorder.ts";
import { loadAssets, type Asset } from "../recorders/liveplot/LivePlotServer.ts";
import { env } from "../environment/env.ts";
import { allows, roleOf, type Role, type Tokens } from "./auth.ts";
import { ApiError, makeRoutes, type ApiRequest, type Route, type Status } from "./api.ts";
import type { QueueEvent, QueueRunner } from "./QueueRunner.ts";
import type { ShellLink } from "./ShellLink.ts";

/** Request bodies above this are refused (413): a macro line is short. */
export const MAX_BODY_BYTES = 16 * 1024;
/** An event-stream client whose socket holds more than this is dropped. */
const MAX_BACKLOG = 1024 * 1024;
/** Status events (scan progress) go out at most this often. */
const STATE_INTERVAL_MS = 100;

const JSON_HEADERS = {
  "Content-Type": "application/json; charset=utf-8",
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
};

const PAGE_HEADERS = {
  "Cache-Control": "no-cache",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
};

export interface RemoteServerOptions {
  host: string;
  port: number;
  tokens: Tokens;
  queue: QueueRunner;
  link: () => ShellLink;
}

function pageAssets(): Map<string, Asset> {
  const assets = loadAssets();
  const here = join(SOURCE_DIR, "recorders", "liveplot", "static");
  const file = (name: string, type: string): Asset => ({ type, body: readFileSync(join(here, name)) });
  assets.set("/liveplot.html", assets.get("/") as Asset);
  assets.set("/", file("control.html", "text/html; charset=utf-8"));
  assets.set("/control.js", file("control.js", "text/javascript; charset=utf-8"));
  assets.set("/control.css", file("control.css", "text/css; charset=utf-8"));
  return assets;
}

export class RemoteServer {
  private server: Server | undefined;
  private readonly routes: Route[];
  private readonly status: () => Promise<Status>;
  private readonly events = new Set<ServerResponse>();
  private readonly unsubscribe: (() => void)[] = [];
  private assets = new Map<string, Asset>();
  private stateTimer: NodeJS.Timeout | undefined;
  private _url = "";

  constructor(private readonly opts: RemoteServerOptions) {
    ({ routes: this.routes, status: this.status } = makeRoutes(opts.queue, opts.link));
  }

  /** e.g. "http://127.0.0.1:43117" once listening */
  get url(): string {
    return this._url;
  }

  async listen(): Promise<string> {
    this.assets = pageAssets();
    const server = createServer((req, res) => void this.onRequest(req, res));
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    const port = await listenOn(server, this.opts.port, this.opts.host);
    this.server = server;
    const h = this.opts.host.includes(":") ? `[${this.opts.host}]` : this.opts.host;
    this._url = `http://${h}:${port}`;
    this.unsubscribe.push(this.opts.queue.onEvent((e) => this.onQueueEvent(e)), env.scan.onChange(() => this.stateChanged()));
    // a comment now and then keeps idle event streams (and proxies) open
    const pinger = setInterval(() => {
      for (const res of this.events) res.write(": keep-alive\n\n");
    }, 15_000).unref();
    this.unsubscribe.push(() => clearInterval(pinger));
    return this._url;
  }

  async close(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    clearTimeout(this.stateTimer);
    for (const res of this.events) res.end();
    this.events.clear();
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }

  // ---- requests ----

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    try {
      if (path.startsWith("/api/")) await this.api(req, res, path.slice(5));
      else this.page(req, res, path);
    } catch (e) {
      if (res.headersSent) return void res.end();
      if (e instanceof ApiError && e.status === 413) res.setHeader("Connection", "close");
      if (e instanceof ApiError) return this.reply(res, e.status, { error: e.message, ...e.extra });
      this.reply(res, 500, { error: e instanceof Error ? e.message : String(e) });
    }
  }

  private async api(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const role = roleOf(req.headers.authorization, this.opts.tokens);
    if (!role) {
      req.resume();
      res.writeHead(401, { ...JSON_HEADERS, "WWW-Authenticate": "Bearer" });
      return void res.end(JSON.stringify({ error: "unauthorized" }));
    }
    if (req.method === "GET" && path === "events") return this.openEvents(req, res);
    if (req.method === "GET" && path === "liveplot/events") return this.passLivePlot(req, res);
    const matching = this.routes.filter((r) => r.path.test(path));
    const route = matching.find((r) => r.method === req.method);
    if (!route) {
      req.resume();
      if (matching.length) res.setHeader("Allow", matching.map((r) => r.method).join(", "));
      throw new ApiError(matching.length ? 405 : 404, matching.length ? `${req.method} is not allowed here` : `no route /api/${path}`);
    }
    if (!allows(role, route.role)) {
      req.resume();
      throw new ApiError(403, `this needs the ${route.role} role`);
    }
    const r: ApiRequest = { body: await readBody(req), params: route.path.exec(path)?.slice(1) ?? [], role };
    const result = await route.handle(r);
    if (route.says) this.opts.link().notice(`\x1b[2mremote ${role}: ${route.says(r, result)}\x1b[0m`);
    this.reply(res, route.method === "POST" && path === "queue" ? 201 : 200, result);
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body ?? null);
    res.writeHead(status, { ...JSON_HEADERS, "Content-Length": Buffer.byteLength(text) });
    res.end(text);
  }

  private page(req: IncomingMessage, res: ServerResponse, path: string): void {
    req.resume();
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" });
      return void res.end("405\n");
    }
    const asset = this.assets.get(path);
    if (!asset) {
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
      return void res.end("404: not found\n");
    }
    res.writeHead(200, { ...PAGE_HEADERS, "Content-Type": asset.type, "Content-Length": asset.body.length });
    res.end(req.method === "HEAD" ? undefined : asset.body);
  }

  // ---- events ----

  private openEvents(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", "X-Accel-Buffering": "no" });
    res.socket?.setNoDelay(true);
    res.write("retry: 1000\n\n");
    this.events.add(res);
    req.on("close", () => this.events.delete(res));
    void this.status().then((s) => {
      send(res, "state", s);
      send(res, "queue", this.opts.queue.store.list());
    });
  }

  private broadcast(type: string, data: unknown): void {
    if (!this.events.size) return;
    const text = `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.events) {
      if (res.writableLength > MAX_BACKLOG) {
        res.destroy(); // a client that does not read: it reconnects and gets the whole state again
        this.events.delete(res);
      } else res.write(text);
    }
  }

  private onQueueEvent(e: QueueEvent): void {
    if (e.type === "queue") this.broadcast("queue", this.opts.queue.store.list());
    else if (e.type === "history") this.broadcast("history", e.item);
    else if (e.type === "console") this.broadcast("console", { text: e.text });
    this.stateChanged();
  }

  /** Sends the status soon, at most every STATE_INTERVAL_MS however often it changes. */
  private stateChanged(): void {
    if (this.stateTimer || !this.events.size) return;
    this.stateTimer = setTimeout(() => {
      void this.status().then((s) => {
        this.stateTimer = undefined;
        this.broadcast("state", s);
      });
    }, STATE_INTERVAL_MS);
  }

  /** The live plot recorder's event stream, through this server (so the page needs one address and one token). */
  private passLivePlot(req: IncomingMessage, res: ServerResponse): void {
    const plot = Recorder.getInstances().find((r): r is LivePlotRecorder => r instanceof LivePlotRecorder && r.isAlive() && Boolean(r.url));
    if (!plot?.url) throw new ApiError(404, "no live plot runs (liveplot <detector> at the prompt starts one)");
    const upstream = request(new URL("events", plot.url), { headers: { Accept: "text/event-stream" } }, (up) => {
      res.writeHead(up.statusCode ?? 502, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store" });
      up.pipe(res);
    });
    upstream.on("error", () => (res.headersSent ? res.end() : this.reply(res, 502, { error: "the live plot does not answer" })));
    req.on("close", () => upstream.destroy());
    upstream.end();
  }
}

function send(res: ServerResponse, type: string, data: unknown): void {
  res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** The request's JSON body ({} when empty), refusing more than MAX_BODY_BYTES. */
function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      req.resume();
      return reject(new ApiError(413, `request bodies are limited to ${MAX_BODY_BYTES} bytes`));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      // the rest is read and dropped; the answer closes the connection
      if (size > MAX_BODY_BYTES) reject(new ApiError(413, `request bodies are limited to ${MAX_BODY_BYTES} bytes`));
      else chunks.push(c);
    });
    req.on("error", reject);
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8").trim();
      if (!text) return resolve({});
      try {
        const body: unknown = JSON.parse(text);
        if (typeof body !== "object" || body === null || Array.isArray(body)) throw new Error("not an object");
        resolve(body as Record<string, unknown>);
      } catch {
        reject(new ApiError(400, "the body must be a JSON object"));
      }
    });
  });
}

export type { Role };
