/**
 * The live integration pipeline as a recorder, so that it runs as a child
 * process that `lsrec` lists (with its process id) and that the shell stops
 * with the others. Each scan's `scan_NNNNNN_integrated.h5` goes into the
 * scan's directory; while the pipeline runs, every scan file links it as
 * `entry/integrated` (the link resolves once the collector has written it).
 */
import { join } from "node:path";
import type { Link } from "../data/values.ts";
import { ProcessRecorder, type ProcessRecorderOptions } from "../recorders/process/ProcessRecorder.ts";
import { siblingModule } from "../util/layout.ts";
import type { IntegrationChildOptions } from "./integrationChild.ts";
import { INTEGRATED_PATH, integratedFileName } from "./names.ts";
import { PIPELINE_NODE_FLAGS } from "./pipeline/nodeFlags.ts";

export class IntegrationRecorder extends ProcessRecorder {
  constructor(opts: ProcessRecorderOptions, readonly child: IntegrationChildOptions) {
    // the pipeline writes its own files: scans go on if it dies (lsrec says so)
    super({ continueOnDeath: true, startTimeoutMs: 120_000, ...opts }, { module: siblingModule("./integrationChild.ts", import.meta.url), options: child, nodeFlags: PIPELINE_NODE_FLAGS });
  }

  override scanLinks(scannr: number, dir: string): Record<string, Link> {
    // the pipeline writes each scan's file into the scan's directory (the header's path)
    const file = join(dir, integratedFileName(scannr));
    return this.isAlive() ? { integrated: { file, path: INTEGRATED_PATH, universal: true } } : {};
  }

  /** The live view's address, when the pipeline serves one. */
  get url(): string {
    return this.childInfo.url ?? "";
  }

  override describe(): string {
    return super.describe() || `integrates ${this.child.pipeline.stream}`;
  }
}
