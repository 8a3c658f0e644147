/**
 * The live integration pipeline as a recorder, so that it runs as a child
 * process that `lsrec` lists (with its process id) and that the shell stops
 * with the others. Each scan's `scan_NNNNNN_integrated.h5` goes into the
 * scan's data directory.
 */
import { ProcessRecorder, type ProcessRecorderOptions } from "../recorders/process/ProcessRecorder.ts";
import { siblingModule } from "../util/layout.ts";
import type { IntegrationChildOptions } from "./integrationChild.ts";

export class IntegrationRecorder extends ProcessRecorder {
  constructor(opts: ProcessRecorderOptions, readonly child: IntegrationChildOptions) {
    // the pipeline writes its own files: scans go on if it dies (lsrec says so)
    super({ continueOnDeath: true, startTimeoutMs: 120_000, ...opts }, { module: siblingModule("./integrationChild.ts", import.meta.url), options: child });
  }

  override describe(): string {
    return super.describe() || `integrates ${this.child.pipeline.stream}`;
  }
}
