/**
 * The wire format of MAX IV's xspress3-streamer (ZeroMQ PUB, one message per
 * send, never multipart):
 *
 *   {"htype": "header", "filename": str, "overwritable": bool}      once per series
 *   {"htype": "image", "exptime", "frame", "shape": [channels, bins], "type": "uint32", "compression": "none"}
 *   <raw little-endian buffer, channels x bins, row = channel>
 *   <pickled list of scalers: ocr, AllEvents, AllGood, ClockTicks, TotalTicks, ResetTicks, event_widths, dtc>
 *   ...                                                             three sends per frame
 *   {"htype": "series_end"}
 *
 * The pickle is the one Python part; we write and read only what a list of
 * numbers needs (protocol 2, and the opcodes protocols 3-5 add around it).
 */
export interface SeriesHeader { htype: "header"; filename: string; overwritable: boolean }
export interface ImageHeader {
  htype: "image"; exptime: number; frame: number; shape: number[]; type: string; compression: string;
}
export interface SeriesEnd { htype: "series_end" }
export type StreamerJson = SeriesHeader | ImageHeader | SeriesEnd;

export const SCALER_NAMES = ["ocr", "AllEvents", "AllGood", "ClockTicks", "TotalTicks", "ResetTicks", "event_widths", "dtc"] as const;

export function jsonPart(m: StreamerJson): Buffer {
  return Buffer.from(JSON.stringify(m), "utf8");
}

/** A JSON part of the stream, or undefined when the bytes are not one. */
export function parseJsonPart(b: Buffer): StreamerJson | undefined {
  if (b.length === 0 || b[0] !== 0x7b /* { */) return undefined;
  try {
    const m = JSON.parse(b.toString("utf8")) as { htype?: unknown };
    return typeof m.htype === "string" ? (m as StreamerJson) : undefined;
  } catch {
    return undefined;
  }
}

/** A list of numbers as a protocol-2 pickle (what `pickle.dumps(list, 2)` gives for floats and small ints). */
export function pickleNumbers(values: number[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0x80, 2, 0x5d /* ] */, 0x28 /* ( */])];
  for (const v of values) {
    if (Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31) {
      const b = Buffer.alloc(5);
      b[0] = 0x4a; // J: BININT
      b.writeInt32LE(v, 1);
      parts.push(b);
    } else {
      const b = Buffer.alloc(9);
      b[0] = 0x47; // G: BINFLOAT
      b.writeDoubleBE(v, 1);
      parts.push(b);
    }
  }
  parts.push(Buffer.from([0x65 /* e: APPENDS */, 0x2e /* . */]));
  return Buffer.concat(parts);
}

/** Reads a pickled flat list of numbers (None as NaN); throws on anything else. */
export function unpickleNumbers(b: Buffer): number[] {
  const stack: (number[] | number | "mark")[] = [];
  let i = 0;
  const popToMark = (): number[] => {
    const items: number[] = [];
    for (let v = stack.pop(); v !== "mark"; v = stack.pop()) {
      if (v === undefined) throw new Error("pickle: no mark");
      if (typeof v !== "number") throw new Error("pickle: not a flat list of numbers");
      items.unshift(v);
    }
    return items;
  };
  const list = (): number[] => {
    const l = stack[stack.length - 1];
    if (!Array.isArray(l)) throw new Error("pickle: append outside a list");
    return l;
  };
  while (i < b.length) {
    const op = b[i++];
    switch (op) {
      case 0x80: i++; break; // PROTO n
      case 0x95: i += 8; break; // FRAME
      case 0x94: break; // MEMOIZE
      case 0x71: i++; break; // BINPUT
      case 0x72: i += 4; break; // LONG_BINPUT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x28: stack.push("mark"); break;
      case 0x47: stack.push(b.readDoubleBE(i)); i += 8; break;
      case 0x4a: stack.push(b.readInt32LE(i)); i += 4; break;
      case 0x4b: stack.push(b[i]); i += 1; break; // BININT1
      case 0x4d: stack.push(b.readUInt16LE(i)); i += 2; break; // BININT2
      case 0x8a: { // LONG1
        const n = b[i++];
        let v = 0;
        for (let k = n - 1; k >= 0; k--) v = v * 256 + b[i + k];
        if (n && b[i + n - 1] & 0x80) v -= 2 ** (8 * n);
        stack.push(v);
        i += n;
        break;
      }
      case 0x4e: stack.push(NaN); break; // None
      case 0x88: stack.push(1); break; // True
      case 0x89: stack.push(0); break; // False
      case 0x65: { const items = popToMark(); list().push(...items); break; }
      case 0x61: { const v = stack.pop(); if (typeof v !== "number") throw new Error("pickle: not a number"); list().push(v); break; }
      case 0x2e: { // STOP
        const top = stack.pop();
        if (!Array.isArray(top)) throw new Error("pickle: not a list");
        return top;
      }
      default: throw new Error(`pickle: unsupported opcode 0x${op.toString(16)}`);
    }
  }
  throw new Error("pickle: no STOP");
}
