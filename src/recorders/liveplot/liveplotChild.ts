/** The live plot's process: a LivePlotServer fed with every scan message, serving between scans too. */
import type { ScanMessage } from "../messages.ts";
import { CannotOpen, type RecorderChild } from "../process/RecorderChild.ts";
import { LivePlotServer, type LivePlotOptions } from "./LivePlotServer.ts";

class LivePlotChild implements RecorderChild {
  readonly info: Record<string, string>;

  constructor(private readonly server: LivePlotServer, url: string) {
    this.info = { url };
  }

  describe(): string {
    const s = this.server;
    return `${s.url} (${s.y} against ${s.x ?? "the point number"}, ${s.clientCount} watching)`;
  }

  header(m: ScanMessage): void { this.server.handle(m); }
  point(m: ScanMessage): void { this.server.handle(m); }
  footer(m: ScanMessage): void { this.server.handle(m); }

  close(): Promise<void> {
    return this.server.close();
  }
}

export async function openRecorder(o: LivePlotOptions): Promise<RecorderChild> {
  const server = new LivePlotServer(o);
  try {
    return new LivePlotChild(server, await server.listen());
  } catch (e) {
    const code = (e as { code?: string }).code;
    const where = `${o.host ?? "127.0.0.1"}:${o.port ?? 0}`;
    throw new CannotOpen(`cannot serve the live plot on ${where}: ${code === "EADDRINUSE" ? "address in use" : (e as Error).message}`);
  }
}
