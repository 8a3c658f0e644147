/**
 * The integration recorder's process: runs the live pipeline, its files beside
 * each scan's, and serves the live view (latest I(q), the map of a radial
 * range's sum on the scan positions) when asked to.
 */
import type { ScanFooter, ScanHeader, ScanPoint } from "../recorders/messages.ts";
import { CannotOpen, type RecorderChild } from "../recorders/process/RecorderChild.ts";
import { startPipeline, type PipelineOptions, type RunningPipeline } from "./pipeline/pipeline.ts";
import type { IntegrationOptions } from "./setup.ts";
import { IntegrationView } from "./view/IntegrationView.ts";
import { IntegrationViewServer } from "./view/IntegrationViewServer.ts";

export interface IntegrationChildOptions {
  pipeline: PipelineOptions;
  integration: IntegrationOptions;
  /** the live view's address (port 0: any free one) and the radial range summed for maps (null: all bins) */
  view?: { host: string; port: number; range: [number, number] | null };
}

class PipelineRecorder implements RecorderChild {
  readonly info: Record<string, string>;
  private closed = 0;

  constructor(private readonly pipeline: RunningPipeline, private readonly options: PipelineOptions, private readonly view: IntegrationView | null, private readonly server: IntegrationViewServer | null) {
    this.info = { frames: pipeline.framesAddress, results: pipeline.resultsAddress, ...(server ? { url: server.url } : {}) };
    if (view) pipeline.collector.onFrame = (series, frame, intensity) => view.frame(series, frame, intensity);
    const onClosed = pipeline.collector.onClosed;
    pipeline.collector.onClosed = (...a) => {
      this.closed++;
      onClosed(...a);
    };
  }

  describe(): string {
    const resent = this.pipeline.resent();
    return `integrates ${this.options.stream} with ${this.options.workers} workers (more may join at ${this.info.frames}), `
      + `${this.closed} series written${resent ? `, ${resent} frames re-sent` : ""}${this.server ? `; view at ${this.server.url}` : ""}`;
  }

  header(h: ScanHeader): void {
    this.pipeline.collector.directory = h.path;
    this.view?.header(h);
  }

  point(p: ScanPoint): void {
    this.view?.point(p);
  }

  footer(f: ScanFooter): void {
    this.view?.footer(f);
  }

  async close(): Promise<void> {
    await this.server?.close();
    await this.pipeline.stop();
  }
}

export async function openRecorder(o: IntegrationChildOptions): Promise<RecorderChild> {
  let pipeline: RunningPipeline;
  try {
    pipeline = await startPipeline(o.pipeline, o.integration, (line) => process.stderr.write(`integration: ${line}\n`));
  } catch (e) {
    throw new CannotOpen(e instanceof Error ? e.message : String(e));
  }
  let view: IntegrationView | null = null;
  let server: IntegrationViewServer | null = null;
  if (o.view) {
    try {
      const radial = pipeline.radial;
      view = new IntegrationView(radial, o.integration.unit, o.view.range ?? [radial[0], radial[radial.length - 1]]);
      server = new IntegrationViewServer(view, o.view);
      await server.listen();
    } catch (e) {
      await pipeline.stop();
      throw new CannotOpen(e instanceof Error ? e.message : String(e));
    }
  }
  return new PipelineRecorder(pipeline, o.pipeline, view, server);
}
