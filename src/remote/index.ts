/**
 * Remote control: the macro queue (qadd, qstart, ...), and the HTTP API and
 * web page that a shell serves (docs/remote.md).
 */
import { isIP } from "node:net";
import { env } from "../environment/env.ts";
import { makeTokens, remoteFile, writeRemoteFile } from "./auth.ts";
import { RemoteServer } from "./RemoteServer.ts";
import { closeQueue, theQueue } from "./queue.ts";
import { shellLink } from "./ShellLink.ts";
import "./macros.ts";

export { linkShell, printAbovePrompt, type ShellLink } from "./ShellLink.ts";
export { theQueue } from "./queue.ts";
export { QueueStore, type QueueItem, type HistoryItem, type ItemStatus } from "./QueueStore.ts";
export { RemoteServer } from "./RemoteServer.ts";

/** "HOST", "HOST:PORT", "[V6]:PORT" or ":PORT"; the default is 127.0.0.1 on a free port. */
export function parseRemoteAddress(text: string | undefined): { host: string; port: number } {
  const s = (text ?? "").trim();
  if (!s) return { host: "127.0.0.1", port: 0 };
  if (isIP(s) === 6) return { host: s, port: 0 };
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*))(?::(\d{1,5}))?$/.exec(s);
  const port = Number(m?.[3] ?? 0);
  if (!m || port > 65535) throw new Error(`CONTRAST_REMOTE_ADDRESS: not an address: ${JSON.stringify(s)} (HOST, HOST:PORT or :PORT)`);
  const host = m[1] ?? m[2];
  return { host: host || "127.0.0.1", port };
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

export interface RemoteControl {
  server: RemoteServer | null;
  /** aborts a queue item that runs, waits for its clean-up, stops serving */
  close(): Promise<void>;
}

/**
 * Opens the queue (an item that ran when the shell last ended is marked
 * interrupted) and, unless CONTRAST_REMOTE=off, serves the API on
 * CONTRAST_REMOTE_ADDRESS (default 127.0.0.1, a free port), writing the
 * address and the tokens to the remote file. Never throws: a remote control
 * that cannot start is a warning, not a shell that does not start.
 */
export async function startRemoteControl(): Promise<RemoteControl> {
  let server: RemoteServer | null = null;
  try {
    const queue = theQueue();
    if (process.env.CONTRAST_REMOTE !== "off") {
      const { host, port } = parseRemoteAddress(process.env.CONTRAST_REMOTE_ADDRESS);
      const tokens = makeTokens();
      const s = new RemoteServer({ host, port, tokens, queue, link: shellLink });
      const url = await s.listen();
      server = s;
      const file = remoteFile();
      writeRemoteFile(file, url, tokens);
      env.print(`remote control: ${url}/ (tokens in ${file})`);
      if (!isLoopback(host)) env.print(`warning: the remote control listens on ${host}, beyond this machine, over plain HTTP: see docs/remote.md`);
    }
  } catch (e) {
    env.print(`warning: no remote control: ${e instanceof Error ? e.message : String(e)}`);
  }
  return {
    server,
    async close() {
      await closeQueue();
      await server?.close();
    },
  };
}
