/**
 * remote.status_requests_per_s: GET /api/status answered per second by the
 * shell's remote control while 200 clients ask back to back (keep-alive).
 * scan.dead_time_per_point_ms_with_remote_clients: as scan.dead_time_per_point_ms
 * (`ascan samx 0 1 200 0.01`, run from the queue), while 4 clients poll the
 * status 10 times a second each and one listens to the events (the output of
 * every point, the progress). The clients run in another process
 * (bench/remoteClients.ts); the server in this one, as in the shell.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { setupScanBench, type Figure } from "./scan.ts";
import { RemoteServer, theQueue } from "../src/remote/index.ts";
import { shellLink } from "../src/remote/ShellLink.ts";
import { makeTokens } from "../src/remote/auth.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Starts the clients; the returned function stops them and tells what they did. */
async function clients(url: string, token: string, pollers: number, intervalMs: number, events: boolean) {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/remoteClients.ts", url, token, String(pollers), String(intervalMs), events ? "1" : "0"], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  if ((await lines.next()).value !== "ready") throw new Error("the bench clients did not start");
  return async (): Promise<{ requests: number; seconds: number; events: number }> => {
    child.stdin.end();
    const report = (await lines.next()).value as string;
    await once(child, "exit");
    return JSON.parse(report) as { requests: number; seconds: number; events: number };
  };
}

/** Median wall time per point (ms) of a 201-point ascan run from the queue. */
async function queuedTimePerPoint(exposure: number, runs = 5): Promise<number> {
  const q = theQueue();
  const times: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    q.store.add(`ascan samx 0 1 200 ${exposure}`, "bench");
    const ended = new Promise<void>((resolve) => {
      const stop = q.onEvent((e) => e.type === "history" && (stop(), resolve()));
    });
    const t0 = performance.now();
    q.start();
    await ended;
    if (i >= 2) times.push((performance.now() - t0) / 201); // two warm-up scans first
  }
  return median(times);
}

export async function benchRemote(): Promise<Figure[]> {
  await setupScanBench();
  const tokens = makeTokens();
  const server = new RemoteServer({ host: "127.0.0.1", port: 0, tokens, queue: theQueue(), link: shellLink });
  const url = await server.listen();
  try {
    const quiet = (await queuedTimePerPoint(0.01)) - 10;

    const stopMany = await clients(url, tokens.observer, 200, 0, false);
    await new Promise((r) => setTimeout(r, 3000));
    const many = await stopMany();

    const stopFew = await clients(url, tokens.observer, 4, 100, true);
    const dead = (await queuedTimePerPoint(0.01)) - 10;
    const few = await stopFew();
    return [
      { name: "remote.status_requests_per_s", value: Math.round(many.requests / many.seconds), unit: "1/s", note: "200 clients asking back to back, shell idle" },
      {
        name: "scan.dead_time_per_point_ms_with_remote_clients", value: +dead.toFixed(4), unit: "ms",
        note: `4 clients polling status at 10 Hz (${few.requests} requests) and one on the events (${few.events} chunks); ${quiet.toFixed(4)} ms without clients`,
      },
    ];
  } finally {
    await server.close();
  }
}
