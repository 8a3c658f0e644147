/**
 * The live integration view's web page (integration.html, integration.js
 * beside this file), which polls /state?scan=N&since=I for an IntegrationView.
 */
import { createServer, type Server } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SOURCE_DIR } from "../../util/layout.ts";
import { closeServer, listenOn } from "../../util/http.ts";
import type { IntegrationView } from "./IntegrationView.ts";

const FILES: Record<string, [string, string]> = {
  "/": ["integration.html", "text/html; charset=utf-8"],
  "/integration.js": ["integration.js", "text/javascript; charset=utf-8"],
};

export class IntegrationViewServer {
  private server: Server | undefined;
  url = "";

  constructor(private readonly view: IntegrationView, private readonly where: { host: string; port: number }) {}

  async listen(): Promise<string> {
    const server = createServer((req, res) => {
      const u = new URL(req.url ?? "/", "http://x");
      const file = FILES[u.pathname];
      const body = file ? readFileSync(join(SOURCE_DIR, "integration", "view", file[0]))
        : u.pathname === "/state" ? JSON.stringify(this.view.state(u.searchParams.get("scan") ? Number(u.searchParams.get("scan")) : null, Number(u.searchParams.get("since")) || 0))
        : null;
      if (body === null) return void res.writeHead(404).end("not found");
      res.writeHead(200, { "content-type": file ? file[1] : "application/json", "cache-control": "no-store" }).end(body);
    });
    const port = await listenOn(server, this.where.port, this.where.host);
    this.server = server;
    this.url = `http://${this.where.host}:${port}/`;
    return this.url;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }
}
