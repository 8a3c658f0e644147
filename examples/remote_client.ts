/**
 * Queues a line in a running Contrast shell, prints the output of the item
 * as it runs (the event stream), and its scan number at the end. The address
 * and the tokens come from the shell's runtime file (docs/remote.md).
 *
 *   node --import tsx examples/remote_client.ts "ascan samx 0 1 10 0.1"
 */
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { homedir } from "node:os";
import { join } from "node:path";
import { readEventStream } from "../src/util/sse.ts";

const file = process.env.CONTRAST_REMOTE_FILE || join(homedir(), ".contrast", "remote.json");
const { url, tokens } = JSON.parse(readFileSync(file, "utf8")) as { url: string; tokens: Record<string, string> };
const auth = { Authorization: `Bearer ${tokens.user}` };

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}/api/${path}`, { method, headers: { ...auth, "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const reply = (await res.json()) as T & { error?: string; usage?: string };
  if (!res.ok) throw new Error(`${res.status}: ${reply.error}${reply.usage ? `\n${reply.usage}` : ""}`);
  return reply;
}

interface HistoryItem { id: number; status: string; scannr: number | null; error: string | null }

/** Listens to the events (resolves once connected) until item `id` has ended; prints its output meanwhile. */
function follow(id: number): Promise<{ ended: Promise<HistoryItem> }> {
  return new Promise((connected, reject) => {
    const req = request(`${url}/api/events`, { headers: auth }, (res) => {
      connected({
        ended: new Promise((resolve) => readEventStream(res, (type, data) => {
          const event = JSON.parse(data) as { text?: string } & HistoryItem;
          if (type === "console") console.log(event.text);
          if (type === "history" && event.id === id) {
            req.destroy();
            resolve(event);
          }
        })),
      });
    });
    req.on("error", reject);
    req.end();
  });
}

try {
  const item = await api<{ id: number; line: string }>("POST", "queue", { line: process.argv[2] ?? "ascan samx 0 1 10 0.1" });
  const { ended } = await follow(item.id);
  await api("POST", "queue/start");
  const h = await ended;
  console.log(`item #${item.id} ${h.status}: scan #${h.scannr}${h.error ? ` (${h.error})` : ""}`);
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
}
