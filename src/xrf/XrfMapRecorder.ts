import { ProcessRecorder } from "../recorders/process/ProcessRecorder.ts";
import type { ScanMessage } from "../recorders/messages.ts";
import type { Link } from "../data/values.ts";
import { siblingModule } from "../util/layout.ts";
import type { RoiSet } from "./rois.ts";
import { xrfFileName } from "./fileName.ts";

export interface XrfMapRecorderOptions {
  name: string;
  rois: RoiSet;
  /** the spectra stream (an Xspress3 streamer) and the stream recorder's address */
  spectra: string;
  stream: string;
  /** the live view's address (default 127.0.0.1, any free port) */
  host?: string;
  port?: number;
  /** where maps go when a scan's start was missed */
  dir?: string;
}

/**
 * The XRF map consumer (XrfConsumer) as a child process of the shell, run
 * by the recorder machinery so that `lsrec` shows it and its death is
 * reported at once. It takes nothing from the scan loop — its data come
 * from the two streams, as on another machine — so a dead consumer never
 * holds up or fails a scan. While it runs, every scan file links its maps
 * as `entry/xrf`.
 */
export class XrfMapRecorder extends ProcessRecorder {
  readonly spectra: string;
  readonly stream: string;

  constructor(opts: XrfMapRecorderOptions) {
    super({ name: opts.name, continueOnDeath: true }, {
      module: siblingModule("./xrfChild.ts", import.meta.url),
      options: { rois: opts.rois, spectra: opts.spectra, stream: opts.stream, dir: opts.dir, view: { host: opts.host ?? "127.0.0.1", port: opts.port ?? 0 } },
    });
    this.spectra = opts.spectra;
    this.stream = opts.stream;
  }

  /** The live view's address once started. */
  get url(): string {
    return this.childInfo.url ?? "";
  }

  override async send(_msg: ScanMessage): Promise<void> {}

  override scanLinks(scannr: number, dir: string): Record<string, Link> {
    return this.isAlive() ? { xrf: { file: xrfFileName(dir, scannr), path: "entry", universal: true } } : {};
  }

  override describe(): string {
    return this.isAlive() ? `maps ${this.spectra} with positions from ${this.stream}; view at ${this.url}` : super.describe();
  }
}
