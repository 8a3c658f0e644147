/**
 * A plain Node reader of the live plot's event stream (GET /events), for
 * programs that want the data without a browser: the tests and the benchmark.
 */
import { request, type IncomingMessage } from "node:http";
import type { ToPage } from "./protocol.ts";
import { readEventStream } from "../../util/sse.ts";

export interface EventsClient {
  /** resolves when the server ends the stream (or `close()` is called) */
  readonly ended: Promise<void>;
  close(): void;
}

/** Connects to `<url>events`; calls `onBatch` with each event's messages. Resolves once connected. */
export function watchEvents(url: string, onBatch: (batch: ToPage[]) => void): Promise<EventsClient> {
  return new Promise((resolve, reject) => {
    const req = request(new URL("events", url), { headers: { Accept: "text/event-stream" } }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        reject(new Error(`GET events: HTTP ${res.statusCode}`));
        res.resume();
        return;
      }
      readEventStream(res, (_type, data) => onBatch(JSON.parse(data) as ToPage[]));
      const ended = new Promise<void>((done) => {
        res.on("end", done);
        res.on("close", done);
      });
      resolve({ ended, close: () => req.destroy() });
    });
    req.on("error", reject);
    req.end();
  });
}
