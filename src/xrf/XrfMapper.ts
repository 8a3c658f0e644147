/**
 * Pairs the two streams an XRF map is made of: the scan's positions (the
 * stream recorder's messages, wire.ts) and the detector's frames (the
 * xspress3-streamer format, streamerFormat.ts). A frame series belongs to
 * the scan whose number its file name carries (`scan_000012_...`); without
 * one, to the scan under way. Knows no sockets and no files: the consumer
 * feeds it messages and gets finished scans back.
 */
import { basename, dirname } from "node:path";
import type { WireMessage } from "../recorders/stream/wire.ts";
import { isLink } from "../data/values.ts";
import { parseJsonPart } from "../detectors/xspress3/streamerFormat.ts";
import type { ImageHeader } from "../detectors/xspress3/streamerFormat.ts";
import type { RoiSet } from "./rois.ts";
import { ScanMaps } from "./ScanMaps.ts";

export interface MapperOptions {
  rois: RoiSet;
  /** the spectra stream's address, for messages */
  spectraAddress: string;
  /** say so when no frame has come this long after a scan started (default 3000 ms) */
  noSpectraMs?: number;
  /** after the scan's footer, wait for missing frames until none has come for this long (default 3000 ms) */
  graceMs?: number;
  /** what the consumer prints */
  say: (text: string) => void;
  /** a scan is complete (or as complete as it will get) */
  finished: (maps: ScanMaps) => void;
}

/** The scan number in a file name such as scan_000012_xsp3.h5, if any. */
export function scanNumberOf(filename: string): number | undefined {
  const base = basename(filename).replace(/\.[^.]*$/, "");
  const m = /scan_(\d+)/.exec(base) ?? /(\d+)/.exec(base);
  return m ? Number(m[1]) : undefined;
}

export class XrfMapper {
  private readonly scans = new Map<number, ScanMaps>();
  private readonly headerSeen = new Set<number>();
  /** frames of a series whose scan is not known yet */
  private unclaimed: ScanMaps | undefined;
  private series: ScanMaps | undefined;
  /** the scan whose positions are coming in */
  private open: ScanMaps | undefined;
  /** the scan shown: the one under way, else the last one */
  current: ScanMaps | undefined;
  private expect: "json" | "raw" | "scalers" = "json";
  private image: ImageHeader | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly done = new Set<number>();
  /** parts of the spectra stream that fit nowhere */
  strayParts = 0;

  constructor(private readonly o: MapperOptions) {}

  get rois(): RoiSet {
    return this.o.rois;
  }

  private scan(scannr: number): ScanMaps {
    let s = this.scans.get(scannr);
    if (!s) {
      s = new ScanMaps(scannr, this.o.rois);
      this.scans.set(scannr, s);
    }
    return s;
  }

  private later(ms: number, f: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      f();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  // ---- positions (the stream recorder)

  stream(msg: WireMessage): void {
    if (msg.kind === "heartbeat" || this.done.has(msg.scannr)) return;
    if (msg.kind === "header") {
      const s = this.claim(msg.scannr);
      this.headerSeen.add(msg.scannr);
      s.motors = [...msg.motors];
      s.path = msg.path;
      s.npoints = msg.npoints;
      s.description = msg.description;
      this.started(s);
    } else if (msg.kind === "data") {
      let s = this.scans.get(msg.scannr);
      if (!s || !this.headerSeen.has(msg.scannr)) {
        if (!s || !s.missedStart) {
          s = this.claim(msg.scannr);
          s.missedStart = true;
          s.firstSeen = msg.index;
          this.headerSeen.add(msg.scannr);
          this.o.say(`scan #${msg.scannr} began before this consumer started: its start was missed; mapping from point ${msg.index} on`);
          this.started(s);
        }
      }
      s.path ??= linkDirectory(msg.data);
      s.addPosition(msg.index, msg.data);
    } else if (msg.kind === "footer") { // a suspension changes nothing here: the point taken again comes with the same index
      const s = this.scans.get(msg.scannr);
      if (!s) return;
      s.ended = msg.status;
      if (this.open === s) this.open = undefined;
      if (s.seriesEnded || (s.positioned > 0 && s.withoutFrame === 0)) this.finish(s);
      else this.awaitFrames(s, -1);
    }
  }

  /** After the footer: finishes once no frame has come for graceMs (frames may still be queued behind the positions). */
  private awaitFrames(s: ScanMaps, framesBefore: number): void {
    this.later(this.o.graceMs ?? 3000, () => (s.frames + s.refused === framesBefore ? this.finish(s) : this.awaitFrames(s, s.frames + s.refused)));
  }

  /** The scan's maps, taking over frames that came before anyone knew their scan. */
  private claim(scannr: number): ScanMaps {
    if (this.unclaimed && !this.scans.has(scannr)) {
      const u = this.unclaimed;
      this.unclaimed = undefined;
      u.scannr = scannr;
      this.scans.set(scannr, u);
    }
    return this.scan(scannr);
  }

  private started(s: ScanMaps): void {
    this.open = s;
    this.current = s;
    const ms = this.o.noSpectraMs ?? 3000;
    this.later(ms, () => {
      if (s.frames === 0 && s.refused === 0 && !this.done.has(s.scannr))
        this.o.say(`scan #${s.scannr}: no spectra from ${this.o.spectraAddress} ${ms / 1000} s after the scan started; is the detector active and streaming there?`);
    });
  }

  // ---- spectra (the xspress3 streamer): three sends per frame

  spectra(part: Buffer): void {
    if (this.expect === "raw") {
      this.expect = "scalers";
      const json = part.length < 4096 ? parseJsonPart(part) : undefined;
      if (!json) return this.frame(part);
      this.refuseImage("its raw part never came");
      this.expect = "json";
      return this.json(part);
    }
    if (this.expect === "scalers") {
      this.expect = "json";
      // the scalers (dead time) are the detector file's business; a JSON part here means they were lost
      if (part[0] === 0x7b && parseJsonPart(part)) return this.json(part);
      return;
    }
    this.json(part);
  }

  private json(part: Buffer): void {
    const m = parseJsonPart(part);
    if (!m) {
      this.strayParts++;
      return;
    }
    if (m.htype === "header") {
      // frames that never found their scan (they came after it was written) must not slip into this one
      if (this.unclaimed?.frames) this.o.say(`${this.unclaimed.frames} frames of no known scan dropped`);
      this.unclaimed = undefined;
      const n = scanNumberOf(m.filename);
      let s: ScanMaps;
      if (n !== undefined) s = this.claim(n);
      else if (this.open && this.open.frames === 0) s = this.open;
      else s = this.unclaimed = new ScanMaps(-1, this.o.rois);
      s.spectraFile = m.filename;
      s.path ??= dirname(m.filename);
      this.series = s;
    } else if (m.htype === "image") {
      this.image = m;
      this.expect = "raw";
    } else if (m.htype === "series_end") {
      const s = this.series;
      this.series = undefined;
      if (!s) return;
      s.seriesEnded = true;
      if (s.ended) this.finish(s);
    }
  }

  /** The scan a frame belongs to: its series', else (series header missed) the one under way. */
  private frameScan(): ScanMaps {
    if (this.series && !this.done.has(this.series.scannr)) return this.series;
    if (this.open) return (this.series = this.open);
    return (this.series = this.unclaimed ??= new ScanMaps(-1, this.o.rois));
  }

  private refuseImage(reason: string): void {
    const s = this.frameScan();
    const index = this.image?.frame;
    if (s.refuse(reason)) this.o.say(`scan #${s.scannr}: frame ${index} refused: ${reason} (further such frames are counted)`);
  }

  private frame(raw: Buffer): void {
    const img = this.image as ImageHeader;
    this.image = undefined;
    const s = this.frameScan();
    const why = s.check(img.shape, img.type, raw.byteLength)
      ?? (Number.isInteger(img.frame) && img.frame >= 0 ? undefined : `frame number ${String(img.frame)}`);
    if (why) {
      this.image = img;
      return this.refuseImage(why);
    }
    const n = raw.byteLength / 4;
    const counts = raw.byteOffset % 4 === 0 ? new Uint32Array(raw.buffer, raw.byteOffset, n) : new Uint32Array(new Uint8Array(raw).buffer, 0, n);
    s.exptime = img.exptime;
    s.addFrame(img.frame, counts, img.shape as [number, number]);
    if (s.ended && s.withoutFrame === 0) this.finish(s);
  }

  private finish(s: ScanMaps): void {
    if (this.done.has(s.scannr)) return;
    this.done.add(s.scannr);
    this.scans.delete(s.scannr);
    if (this.series === s) this.series = undefined;
    this.o.finished(s);
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/** The directory of a detector's own file, from a link in a point's data. */
function linkDirectory(data: Record<string, unknown>): string | undefined {
  for (const v of Object.values(data)) if (isLink(v)) return dirname(v.file);
  return undefined;
}
