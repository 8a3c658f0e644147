/** The integration recorder's process: runs the live pipeline, its files beside each scan's. */
import type { ScanHeader } from "../recorders/messages.ts";
import { CannotOpen, type RecorderChild } from "../recorders/process/RecorderChild.ts";
import { startPipeline, type PipelineOptions, type RunningPipeline } from "./pipeline/pipeline.ts";
import type { IntegrationOptions } from "./setup.ts";

export interface IntegrationChildOptions {
  pipeline: PipelineOptions;
  integration: IntegrationOptions;
}

class PipelineRecorder implements RecorderChild {
  readonly info: Record<string, string>;
  private closed = 0;

  constructor(private readonly pipeline: RunningPipeline, private readonly options: PipelineOptions) {
    this.info = { frames: pipeline.framesAddress, results: pipeline.resultsAddress };
    const onClosed = pipeline.collector.onClosed;
    pipeline.collector.onClosed = (...a) => {
      this.closed++;
      onClosed(...a);
    };
  }

  describe(): string {
    const resent = this.pipeline.resent();
    return `integrates ${this.options.stream} with ${this.options.workers} workers (more may join at ${this.info.frames}), `
      + `${this.closed} series written${resent ? `, ${resent} frames re-sent` : ""}`;
  }

  header(h: ScanHeader): void {
    this.pipeline.collector.directory = h.path;
  }

  point(): void {}
  footer(): void {}

  async close(): Promise<void> {
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
  return new PipelineRecorder(pipeline, o.pipeline);
}
