/**
 * The live XRF map consumer: subscribes to the stream recorder (positions)
 * and to a detector's spectra stream, maps each scan as it runs (XrfMapper),
 * serves the live view, and writes scan_NNNNNN_xrf.h5 at each scan's end.
 * Needs nothing but the two addresses, so it runs on any machine that
 * reaches them; `contrast-xrfmap` runs it alone, the `xrfmap` macro as a
 * child of the shell.
 */
import { Subscriber } from "zeromq";
import { decodeMessage } from "../recorders/stream/wire.ts";
import type { RoiSet } from "./rois.ts";
import type { ScanMaps } from "./ScanMaps.ts";
import { XrfMapper } from "./XrfMapper.ts";
import { writeXrfFile } from "./xrfFile.ts";
import { h5ready } from "../recorders/hdf5/h5lib.ts";
import { XrfViewServer } from "./view/XrfViewServer.ts";

export interface XrfConsumerOptions {
  rois: RoiSet;
  spectra: string;
  stream: string;
  /** where files go when neither the scan header nor the detector says (the start was missed) */
  dir?: string;
  /** serve the live view here (port 0: any free port); no view when undefined */
  view?: { host: string; port: number };
  noSpectraMs?: number;
  graceMs?: number;
  say?: (text: string) => void;
}

const text = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class XrfConsumer {
  readonly mapper: XrfMapper;
  private readonly positions = new Subscriber({ linger: 0, receiveHighWaterMark: 100_000 });
  private readonly frames = new Subscriber({ linger: 0, receiveHighWaterMark: 300_000 });
  private view: XrfViewServer | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly say: (text: string) => void;
  /** the last file written, for lsrec */
  lastFile = "";
  scansWritten = 0;
  private listeners: ((file: string, maps: ScanMaps) => void)[] = [];

  constructor(private readonly o: XrfConsumerOptions) {
    this.say = o.say ?? ((t) => void process.stdout.write(t + "\n"));
    this.mapper = new XrfMapper({
      rois: o.rois, spectraAddress: o.spectra, noSpectraMs: o.noSpectraMs, graceMs: o.graceMs, say: this.say,
      finished: (maps) => void (this.writing = this.writing.then(() => this.write(maps))),
    });
  }

  /** Connects both sockets and starts the view; resolves with the view's address (or ""). */
  async start(): Promise<string> {
    this.positions.connect(this.o.stream);
    this.positions.subscribe();
    this.frames.connect(this.o.spectra);
    this.frames.subscribe();
    void this.receive(this.positions, (frames) => this.mapper.stream(decodeMessage(frames)));
    void this.receive(this.frames, (parts) => parts.forEach((p) => this.mapper.spectra(p)));
    await h5ready(); // compiling HDF5's WebAssembly takes a while: now, not at the first scan's end
    if (!this.o.view) return "";
    this.view = new XrfViewServer(this.mapper, this.o.view);
    return this.view.listen();
  }

  get url(): string {
    return this.view?.url ?? "";
  }

  /** Called with each file written. */
  onWritten(f: (file: string, maps: ScanMaps) => void): void {
    this.listeners.push(f);
  }

  private async receive(socket: Subscriber, handle: (frames: Buffer[]) => void): Promise<void> {
    try {
      for await (const frames of socket) {
        try {
          handle(frames);
        } catch (e) {
          this.say(`a message from ${socket === this.positions ? this.o.stream : this.o.spectra} could not be read: ${text(e)}`);
        }
      }
    } catch (e) {
      if (!socket.closed) this.say(`receiving stopped: ${text(e)}`);
    }
  }

  private async write(maps: ScanMaps): Promise<void> {
    const dir = maps.path ?? this.o.dir;
    if (!dir) return this.say(`scan #${maps.scannr}: nowhere to write its maps (no header, no detector file; give dir=)`);
    try {
      const file = await writeXrfFile(maps, dir);
      this.lastFile = file;
      this.scansWritten++;
      const problems = [
        maps.withoutFrame ? `${maps.withoutFrame} points without a spectrum` : "",
        maps.frames - maps.paired ? `${maps.frames - maps.paired} spectra without a position` : "",
        maps.refused ? `${maps.refused} frames refused (${[...maps.refusals].map(([r, n]) => `${n}: ${r}`).join("; ")})` : "",
        maps.missedStart ? `start missed, mapped from point ${maps.firstSeen}` : "",
      ].filter(Boolean);
      this.say(`scan #${maps.scannr}: ${maps.paired} points mapped, written to ${file}${problems.length ? `; ${problems.join("; ")}` : ""}`);
      for (const l of this.listeners) l(file, maps);
    } catch (e) {
      this.say(`scan #${maps.scannr}: the maps could not be written: ${text(e)}`);
    }
  }

  async close(): Promise<void> {
    this.mapper.close();
    this.positions.close();
    this.frames.close();
    await this.writing;
    await this.view?.close();
  }
}
