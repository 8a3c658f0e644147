/**
 * liveplot.points_per_s: points pushed through LivePlotServer.handle() per
 * second for a 10,000-point scan with one connected SSE client (a plain Node
 * HTTP reader, no browser), timed until that client has every point and the
 * footer. Run alone: node --import tsx bench/liveplot.ts
 */
import { pathToFileURL } from "node:url";
import type { ScanMessage } from "../src/recorders/messages.ts";

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

export async function benchLivePlot(): Promise<BenchResult[]> {
  let LivePlotServer: typeof import("../src/recorders/liveplot/LivePlotServer.ts").LivePlotServer;
  let watchEvents: typeof import("../src/recorders/liveplot/EventsClient.ts").watchEvents;
  try {
    ({ LivePlotServer } = await import("../src/recorders/liveplot/LivePlotServer.ts"));
    ({ watchEvents } = await import("../src/recorders/liveplot/EventsClient.ts"));
  } catch {
    return [];
  }
  const n = 10000;
  const server = new LivePlotServer({ x: "samx", y: "det" });
  let url: string;
  try {
    url = await server.listen();
  } catch {
    return []; // e.g. uplot not installed
  }
  let scannr = 0;
  let received = 0;
  let finished = (): void => {};
  let connected!: () => void;
  const hello = new Promise<void>((r) => { connected = r; });
  const client = await watchEvents(url, (batch) => {
    for (const m of batch) {
      if (m.type === "hello") connected();
      else if (m.type === "scan") received = 0;
      else if (m.type === "points" && m.from + m.xs.length > received) received = m.from + m.xs.length;
      else if (m.type === "status" && m.status === "finished" && received === n) finished();
    }
  });
  /** Feeds one whole scan as fast as handle() takes it; resolves when the client has all of it. */
  const scan = async (): Promise<number> => {
    scannr++;
    const messages: ScanMessage[] = [{
      kind: "header", status: "started", scannr, description: `ascan samx 0 1 ${n - 1} 0.01`, path: "/tmp",
      startTime: Date.now() / 1000, motors: ["samx"], detectors: ["det", "det2"], tags: {}, snapshot: {}, npoints: n,
    }];
    for (let i = 0; i < n; i++) {
      messages.push({ kind: "data", status: "running", scannr, index: i, data: { samx: i / (n - 1), det: Math.sin(i / 100) * 1e3, det2: i, dt: i * 1e-3 } });
    }
    messages.push({ kind: "footer", status: "finished", scannr, endTime: Date.now() / 1000, snapshot: {} });
    const done = new Promise<void>((r) => { finished = r; });
    const t0 = performance.now();
    for (const m of messages) server.handle(m);
    await done;
    return (performance.now() - t0) / 1000;
  };
  try {
    await hello;
    await scan(); // warm-up: JIT and socket
    // let the update-rate limit (15 a second) lapse, so the measured scan's
    // first batch goes out at once, as it would after any pause
    await new Promise((r) => setTimeout(r, 200));
    const seconds = await scan();
    return [{ name: "liveplot.points_per_s", value: Math.round(n / seconds), unit: "points/s" }];
  } finally {
    client.close();
    await server.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchLivePlot(), null, 2));
}
