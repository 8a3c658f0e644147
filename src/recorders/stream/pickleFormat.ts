/**
 * The original Contrast's stream format: one frame per message, a protocol-2
 * pickle of a plain dict (see pickle.ts), as its consumers and MAX IV's
 * processing (dranspose) read it:
 *
 *   {'status': 'started', 'scannr': 3, 'description': 'ascan ...', 'path': '/data', 'snapshot': {...}, ...}
 *   {'status': 'running', 'samx': 0.0, 'det': 12.5, 'cam': <ndarray>, 'dt': 0.21}
 *   {'status': 'finished' | 'interrupted', 'scannr': 3, 'description': ..., 'path': ..., 'snapshot': {...}, ...}
 *   {'status': 'suspended' | 'resumed', 'scannr': 3, 'index': 7, 'reason': 'beam lost', 'time': 1.7e9}
 *   {'status': 'heartbeat'}
 *
 * A point is flat: motor and detector names are keys next to 'status'. Links
 * become {'type': 'Link', 'filename', 'path', 'universal'}. A failed scan ends
 * 'interrupted' with its 'error'. scannr, npoints and the point's index are ints,
 * every other number a float.
 */
import { isLink, isNdArray, isTypedArray, type Value } from "../../data/values.ts";
import type { ScanHeader } from "../messages.ts";
import { pickle, type Picklable } from "./pickle.ts";
import type { WireMessage } from "./wire.ts";

/** A message's values (and the header's lists of names) as Python should see them. */
function picklable(v: Value | Value[] | object | undefined): Picklable {
  if (v === undefined || v === null) return null;
  if (typeof v !== "object" || isTypedArray(v) || isNdArray(v)) return v as Picklable;
  if (isLink(v)) return { type: "Link", filename: v.file, path: v.path, universal: v.universal };
  if (Array.isArray(v)) return v.map(picklable);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, picklable(x as Value)]));
}

const int = (n: number | null): Picklable => (n === null ? null : BigInt(n));

/** Turns messages into pickled dicts; remembers the scan's header so the footer repeats what dranspose requires. */
export class PickleFormat {
  private header: ScanHeader | undefined;

  encode(msg: WireMessage): Buffer[] {
    return [pickle(this.dict(msg))];
  }

  private dict(msg: WireMessage): Picklable {
    switch (msg.kind) {
      case "heartbeat":
        return { status: "heartbeat" };
      case "header": {
        this.header = msg;
        const { kind: _kind, status, scannr, description, path, snapshot, npoints, ...rest } = msg;
        return {
          status, scannr: int(scannr), description, path, snapshot: picklable(snapshot),
          npoints: int(npoints), ...(picklable(rest) as Record<string, Picklable>),
        };
      }
      case "data":
        return { status: "running", ...(picklable(msg.data) as Record<string, Picklable>) };
      case "suspension":
        return { status: msg.status, scannr: int(msg.scannr), index: int(msg.index), reason: msg.reason, time: msg.time };
      case "footer": {
        const h = this.header?.scannr === msg.scannr ? this.header : undefined;
        this.header = undefined;
        const { kind: _kind, status, scannr, snapshot, error, ...rest } = msg;
        return {
          status: status === "failed" ? "interrupted" : status,
          scannr: int(scannr), description: h?.description ?? "", path: h?.path ?? "",
          snapshot: picklable(snapshot), ...(picklable(rest) as Record<string, Picklable>),
          ...(error === undefined ? {} : { error }),
        };
      }
    }
  }
}
