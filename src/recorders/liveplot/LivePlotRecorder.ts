import { ProcessRecorder, type ProcessRecorderOptions } from "../process/ProcessRecorder.ts";
import { siblingModule } from "../../util/layout.ts";
import type { LivePlotOptions } from "./LivePlotServer.ts";

export type LivePlotRecorderOptions = ProcessRecorderOptions & LivePlotOptions;

/**
 * The live plot (LivePlotServer) in a process of its own: a web page that
 * plots `y` against `x` as points come, and keeps the last scans between scans.
 * Unlike the other recorders, scans go on if it dies (continueOnDeath).
 */
export class LivePlotRecorder extends ProcessRecorder {
  readonly x: string | undefined;
  readonly y: string;

  constructor(opts: LivePlotRecorderOptions) {
    const { x, y, host, port, keepScans, updatesPerSecond, framesPerSecond } = opts;
    // losing the plot should not cost a scan
    super({ ...opts, continueOnDeath: opts.continueOnDeath ?? true }, { module: siblingModule("./liveplotChild.ts", import.meta.url), options: { x, y, host, port, keepScans, updatesPerSecond, framesPerSecond } });
    this.x = x;
    this.y = y;
  }

  /** The page's address, e.g. "http://127.0.0.1:43117/", once started. */
  get url(): string | undefined {
    return this.childInfo.url;
  }

  override describe(): string {
    return super.describe() || `${this.y} against ${this.x ?? "the point number"}`;
  }
}
