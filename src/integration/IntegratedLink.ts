/**
 * A detector whose reading is the link to the scan's integrated results,
 * `scan_NNNNNN_integrated.h5:/entry/integrated`, so the scan file links the
 * pipeline's file (the link resolves once the pipeline has written it).
 */
import { join } from "node:path";
import type { Link } from "../data/values.ts";
import type { DataId } from "../detectors/Detector.ts";
import { SimulatedDetector } from "../detectors/SimulatedDetector.ts";
import { INTEGRATED_PATH, integratedFileName } from "./names.ts";

export class IntegratedLink extends SimulatedDetector {
  private link: Link | null = null;

  /** takes no time of its own, whatever the exposure */
  override async prepare(_acqTime: number, dataId: DataId | null, nStarts: number): Promise<void> {
    await super.prepare(0, dataId, nStarts);
    this.link = dataId ? { file: join(dataId.path, integratedFileName(dataId.scannr)), path: INTEGRATED_PATH, universal: true } : null;
  }

  protected reading(): Link | null {
    return this.link;
  }

  override describe(): string {
    return "links the scan's integrated results (scan_NNNNNN_integrated.h5)";
  }
}
