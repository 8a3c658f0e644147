import type { IncomingMessage } from "node:http";

/** Reads a server-sent event stream: calls `onEvent` with each event's type ("message" when unnamed) and data. */
export function readEventStream(res: IncomingMessage, onEvent: (type: string, data: string) => void): void {
  res.setEncoding("utf8");
  let buf = "";
  res.on("data", (chunk: string) => {
    buf += chunk;
    let end: number;
    while ((end = buf.indexOf("\n\n")) >= 0) {
      const lines = buf.slice(0, end).split("\n");
      buf = buf.slice(end + 2);
      const field = (name: string) => lines.filter((l) => l.startsWith(`${name}:`)).map((l) => l.slice(name.length + 1).replace(/^ /, ""));
      const data = field("data");
      if (data.length) onEvent(field("event")[0] ?? "message", data.join("\n"));
    }
  });
}
