/**
 * The remote clients of bench/remote.ts, in a process of their own so that
 * their work is not counted as the shell's:
 *
 *   node --import tsx bench/remoteClients.ts URL TOKEN POLLERS INTERVAL_MS EVENTS
 *
 * POLLERS clients each ask GET /api/status again INTERVAL_MS after each answer
 * (0: at once); EVENTS=1 adds one listener on /api/events. Runs until its
 * stdin closes, then prints {"requests": n, "seconds": s, "events": n}.
 */
import { Agent, request } from "node:http";

const [url, token, pollers, intervalMs, withEvents] = process.argv.slice(2);
const agent = new Agent({ keepAlive: true, maxSockets: Number(pollers) });
const headers = { Authorization: `Bearer ${token}` };
let requests = 0;
let events = 0;
let running = true;

function get(): Promise<void> {
  return new Promise((resolve, reject) => {
    request(`${url}/api/status`, { agent, headers }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
      res.resume();
      res.on("end", () => resolve());
    }).on("error", reject).end();
  });
}

async function poll(): Promise<void> {
  while (running) {
    await get();
    requests++;
    if (Number(intervalMs)) await new Promise((r) => setTimeout(r, Number(intervalMs)));
  }
}

if (withEvents === "1") {
  request(`${url}/api/events`, { headers }, (res) => res.on("data", () => events++)).end();
}
const t0 = performance.now();
const all = Promise.all(Array.from({ length: Number(pollers) }, poll));
process.stdout.write("ready\n");
process.stdin.resume();
process.stdin.on("end", async () => {
  running = false;
  const seconds = (performance.now() - t0) / 1000;
  await all;
  process.stdout.write(JSON.stringify({ requests, seconds, events }) + "\n");
  process.exit(0);
});
