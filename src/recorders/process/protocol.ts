/**
 * What the shell and a recorder process say to each other over the IPC
 * channel (advanced serialization: typed arrays arrive as typed arrays).
 * Scan messages carry a sequence number; the child processes them in order
 * and acknowledges "everything up to seq" now and then, not one by one.
 */
import type { ScanMessage } from "../messages.ts";
import type { BlobRef } from "./blobs.ts";

/** A scan message on its way to the child. Big arrays travel through the spool (blobs.ts, Spool.ts). */
export interface Envelope {
  seq: number;
  msg: ScanMessage;
  blobs?: BlobRef[];
}

export type ToChild =
  /** `spool`: the file big arrays come through */
  | { type: "open"; module: string; options: object; spool: string }
  | { type: "batch"; items: Envelope[] }
  /** the shell waits: acknowledge as soon as message seq is handled */
  | { type: "ackAt"; seq: number }
  /** close files and exit, after every message sent before this one */
  | { type: "stop" };

export type ToParent =
  | { type: "ready"; info: Record<string, string>; status: string }
  | { type: "cannotStart"; error: string }
  /** every message up to and including seq has been handled */
  | { type: "ack"; seq: number }
  /** message seq could not be handled (sent before the ack that covers it) */
  | { type: "error"; seq: number; error: string }
  /** a new one-line description for lsrec */
  | { type: "status"; status: string }
  /** sent every BEAT_MS, busy or not: silence means the process is stopped or stuck (a hung disk) */
  | { type: "beat" };

export const BEAT_MS = 1000;

/** The child acknowledges at least this often while it has unacknowledged work... */
export const ACK_INTERVAL_MS = 20;
/** ...and after this many messages (a fast child would otherwise look 1000s of points behind) */
export const ACK_EVERY = 100;
