import { Gadget } from "../gadget.ts";
import type { ScanMessage } from "./messages.ts";
import type { Link } from "../data/values.ts";

/**
 * Where scan data go. The scan loop talks to every active recorder through
 * `send()` only: header, one message per point, footer.
 *
 * `send()` settles when the recorder has accepted the message. For a header
 * a rejection refuses the scan before anything moves; for a point it may wait
 * while the recorder's backlog is full; for a footer it settles once the
 * data are safely stored ("scan finished" means "data on disk").
 */
export abstract class Recorder extends Gadget {
  active = true;
  /** when it dies, scans go on without it (with a warning) instead of failing or being refused */
  continueOnDeath = false;

  /** `signal`: the user's Ctrl-C, for a recorder that may give up waiting for a header or footer to be stored */
  abstract send(msg: ScanMessage, signal?: AbortSignal): Promise<void>;

  /** false once the recorder has died; `deathReason` then says why. */
  abstract isAlive(): boolean;
  deathReason(): string | undefined { return undefined; }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  /** Settles once a start under way has succeeded or failed; scans wait for it. */
  async started(): Promise<void> {}

  /** One line for `lsrec`. */
  describe(): string { return ""; }

  /**
   * Files this recorder (or a process it runs) will write for the scan, by
   * name: the header carries them and the HDF5 recorder links each as
   * `entry/<name>`, so the scan file stays the single entry point.
   */
  scanLinks(_scannr: number, _dir: string): Record<string, Link> { return {}; }
}

/** Keeps every message in memory: for tests and for scripts that want the data back. */
export class MemoryRecorder extends Recorder {
  readonly messages: ScanMessage[] = [];
  async send(msg: ScanMessage): Promise<void> { this.messages.push(msg); }
  isAlive(): boolean { return true; }
  override describe(): string { return `${this.messages.length} messages in memory`; }
  clear(): void { this.messages.length = 0; }
}
