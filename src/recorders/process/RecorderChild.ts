import type { ScanFooter, ScanHeader, ScanPoint, ScanSuspension } from "../messages.ts";

/**
 * The part of a recorder that runs in its own process. The module a
 * ProcessRecorder names exports `openRecorder(options)`, which returns one
 * of these (or throws: then `start()` fails with that message).
 *
 * Messages come in scan order, one at a time: the next call waits for the
 * previous one to settle. An error thrown by `header` refuses the scan; by
 * `point`, fails it. A scan left open (the shell stopped the recorder or
 * died) gets a footer with status "failed" before `close`.
 */
export interface RecorderChild {
  /** facts the shell side may use once started, e.g. { address } or { url } */
  readonly info?: Record<string, string>;
  /** one line for lsrec: what it writes, and where */
  describe(): string;
  header(h: ScanHeader): void | Promise<void>;
  point(p: ScanPoint): void | Promise<void>;
  footer(f: ScanFooter): void | Promise<void>;
  /** a suspension began or ended (the footer lists them all again) */
  suspension?(s: ScanSuspension): void | Promise<void>;
  /** release everything: the process exits right after */
  close(): void | Promise<void>;
}

/** A known reason a recorder cannot open (an address in use): reported by its message alone, without a stack trace. */
export class CannotOpen extends Error {}

export type OpenRecorder<O extends object> = (options: O) => RecorderChild | Promise<RecorderChild>;
