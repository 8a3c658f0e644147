/**
 * The live XRF view: a web page (xrf.html, xrf.js beside this file) that
 * polls /state for the scan being mapped: new per-point sums and positions
 * since what it has, the latest and the average spectrum, the regions.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SOURCE_DIR } from "../../util/layout.ts";
import { closeServer, listenOn } from "../../util/http.ts";
import type { XrfMapper } from "../XrfMapper.ts";

/** What /state answers (NaN travels as null). */
export interface XrfViewState {
  scannr: number | null;
  description: string;
  /** "running", or the footer's status */
  status: string;
  missedStart: boolean;
  points: number;
  frames: number;
  refused: number;
  /** the positions and sums below start at this point index */
  since: number;
  motors: string[];
  rois: { name: string; first: number; last: number }[];
  keVPerBin: number;
  positions: Record<string, (number | null)[]>;
  sums: Record<string, (number | null)[]>;
  latest: number[];
  average: number[];
}

export class XrfViewServer {
  private server: Server | undefined;
  url = "";
  private readonly page = readFileSync(join(SOURCE_DIR, "xrf", "view", "xrf.html"));
  private readonly script = readFileSync(join(SOURCE_DIR, "xrf", "view", "xrf.js"));

  constructor(private readonly mapper: XrfMapper, private readonly where: { host: string; port: number }) {}

  state(scannr: number | null, since: number): XrfViewState {
    const s = this.mapper.current;
    const rois = this.mapper.rois;
    const empty: XrfViewState = {
      scannr: null, description: "", status: "waiting for a scan", missedStart: false, points: 0, frames: 0, refused: 0, since: 0,
      motors: [], rois: rois.rois.map(({ name, first, last }) => ({ name, first, last })), keVPerBin: rois.keVPerBin,
      positions: {}, sums: {}, latest: [], average: [],
    };
    if (!s) return empty;
    const from = s.scannr === scannr ? Math.min(since, s.points) : 0;
    return {
      ...empty, scannr: s.scannr, description: s.description, status: s.ended ?? "running", missedStart: s.missedStart,
      points: s.points, frames: s.frames, refused: s.refused, since: from, motors: s.motors,
      positions: Object.fromEntries(s.motors.map((m) => [m, Array.from(s.positionsOf(m, from))])),
      sums: Object.fromEntries(s.rois.rois.map((r, i) => [r.name, Array.from(s.roiSums(i, from))])),
      latest: Array.from(s.latest() ?? []), average: Array.from(s.average() ?? []),
    };
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const u = new URL(req.url ?? "/", "http://x");
    const send = (type: string, body: string | Buffer) => {
      res.writeHead(200, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    if (u.pathname === "/") return send("text/html; charset=utf-8", this.page);
    if (u.pathname === "/xrf.js") return send("text/javascript; charset=utf-8", this.script);
    if (u.pathname === "/state") {
      const scan = u.searchParams.get("scan");
      return send("application/json", JSON.stringify(this.state(scan === null ? null : Number(scan), Number(u.searchParams.get("since") ?? 0) || 0)));
    }
    res.writeHead(404).end("not found");
  }

  async listen(): Promise<string> {
    const server = createServer((req, res) => this.onRequest(req, res));
    const port = await listenOn(server, this.where.port, this.where.host);
    this.server = server;
    this.url = `http://${this.where.host.includes(":") ? `[${this.where.host}]` : this.where.host}:${port}/`;
    return this.url;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }
}
