/** Talks to a shell's remote control over real HTTP, as any client would: its runtime file, fetch, an event-stream reader. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { request } from "node:http";
import type { TmuxShell } from "./tmux.ts";
import { readEventStream } from "../../src/util/sse.ts";

export type Role = "observer" | "user" | "admin";

export interface Remote {
  url: string;
  tokens: Record<Role, string>;
  pid: number;
}

/** The runtime file the shell wrote (the tmux helper puts it in the data directory); waits until it is there. */
export async function remoteOf(shell: TmuxShell): Promise<Remote> {
  await shell.waitFor(/remote control: http/, "the remote control");
  return JSON.parse(readFileSync(join(shell.dataDir, "remote.json"), "utf8")) as Remote;
}

export interface Reply {
  status: number;
  body: any; // JSON as the server sent it
  headers: Headers;
}

/** One request; `token` null sends no Authorization header. */
export async function call(remote: Remote, method: string, path: string, token: string | null, body?: unknown): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(`${remote.url}/api/${path}`, { method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

/** `call` that must answer 2xx; returns the body. */
export async function ok(remote: Remote, method: string, path: string, role: Role = "user", body?: unknown): Promise<any> {
  const r = await call(remote, method, path, remote.tokens[role], body);
  if (r.status >= 300) throw new Error(`${method} /api/${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Polls GET status until `test` holds (the scan moves on its own time). */
export async function waitForStatus(remote: Remote, test: (s: any) => boolean, what: string, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await ok(remote, "GET", "status", "observer");
    if (test(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last status ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ServerEvent { type: string; data: any }

/** Listens to GET /api/events; resolves once connected. */
export function listen(remote: Remote, token: string): Promise<{ events: ServerEvent[]; close: () => void }> {
  return new Promise((resolve, reject) => {
    const events: ServerEvent[] = [];
    const req = request(`${remote.url}/api/events`, { headers: { Authorization: `Bearer ${token}` } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`GET events: ${res.statusCode}`));
      readEventStream(res, (type, data) => events.push({ type, data: JSON.parse(data) }));
      res.on("error", () => {});
      resolve({ events, close: () => req.destroy() });
    });
    req.on("error", reject);
    req.end();
  });
}
