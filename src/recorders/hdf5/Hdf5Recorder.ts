import { ProcessRecorder, type ProcessRecorderOptions } from "../process/ProcessRecorder.ts";
import { siblingModule } from "../../util/layout.ts";

export interface Hdf5RecorderOptions extends ProcessRecorderOptions {
  /** detectors whose datasets are gzip-compressed */
  gzip?: string[];
  /** flush at least this often while points arrive (default 500 ms) */
  flushIntervalMs?: number;
  /** a scan fails once its file system has less than this free (default 16 MB, room to close the file) */
  reserveBytes?: number;
}

/**
 * Writes each scan to `<scan directory>/<scan number, 6 digits>.h5`, from a
 * process of its own (see hdf5Child.ts and Hdf5ScanWriter.ts for the layout).
 * Never overwrites a file: the scan is refused instead.
 */
export class Hdf5Recorder extends ProcessRecorder {
  constructor(opts: Hdf5RecorderOptions) {
    super(opts, {
      module: siblingModule("./hdf5Child.ts", import.meta.url),
      // half a second: the file then holds every point the shell printed a second ago, even if
      // this process runs a little behind the shell
      options: { gzip: opts.gzip ?? [], flushIntervalMs: opts.flushIntervalMs ?? 500,
        ...(opts.reserveBytes !== undefined ? { reserveBytes: opts.reserveBytes } : {}) },
    });
  }
}
