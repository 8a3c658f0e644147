/**
 * How big arrays reach a recorder process: through a file in shared memory
 * (/dev/shm, else the temporary directory). The shell writes a point's arrays
 * at some offset and the message says where; the child reads them from
 * there. A pipe would do too, but its 64 kB buffer makes the two processes
 * take turns, and the shell's event loop is often busy (a scan with exposure
 * 0 never lets it run): a 2 MB frame took milliseconds that way, here
 * a quarter of one. The file is used as a ring: space is reused once the
 * child has acknowledged the point that used it. Its name is removed as soon
 * as both sides have it open, so nothing is left behind, even after kill -9.
 */
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, ftruncateSync, openSync, readSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TypedArray } from "../../data/values.ts";
import type { BlobRef } from "./blobs.ts";

const align = (n: number): number => Math.ceil(n / 8) * 8;

/** Bytes a point's arrays take in the spool. */
export function spoolBytes(arrays: TypedArray[]): number {
  return arrays.reduce((n, a) => n + align(a.byteLength), 0);
}

/** The shell's side: writes, and keeps track of which parts the child may still read. */
export class Spool {
  readonly path: string;
  private fd: number;
  /** regions not yet acknowledged, oldest first */
  private used: { seq: number; offset: number; end: number }[] = [];
  private tail = 0;
  private linked = true;
  private closed = false;

  constructor(private readonly name: string, readonly capacity: number) {
    const dir = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
    this.path = join(dir, `contrast-${name}-${process.pid}-${randomBytes(4).toString("hex")}.spool`);
    this.fd = openSync(this.path, "wx+", 0o600);
  }

  /** Where `n` bytes would go now, or null while the child still needs that space. */
  private place(n: number): number | null {
    if (!this.used.length) return 0;
    const head = this.used[0].offset;
    const wrapped = this.used[this.used.length - 1].offset < head;
    if (wrapped) return this.tail + n <= head ? this.tail : null;
    if (this.tail + n <= this.capacity) return this.tail;
    return n <= head ? 0 : null;
  }

  fits(n: number): boolean {
    return this.place(n) !== null;
  }

  /** Writes a point's arrays and fills in their refs' offsets. Call only when `fits()`. */
  write(seq: number, arrays: TypedArray[], refs: BlobRef[]): void {
    if (this.closed) return; // the child is gone; the shell hears of it from its exit
    const start = this.place(spoolBytes(arrays));
    if (start === null) throw new Error("spool: no room (the caller should have waited)");
    let at = start;
    try {
      arrays.forEach((a, i) => {
        const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
        for (let done = 0; done < bytes.byteLength;) done += writeSync(this.fd, bytes, done, bytes.byteLength - done, at + done);
        refs[i].offset = at;
        at += align(a.byteLength);
      });
    } catch (e) {
      // ENOSPC when /dev/shm is full
      throw new Error(`${this.name}: passing a point's arrays through ${this.path}: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.used.push({ seq, offset: start, end: at });
    this.tail = at;
  }

  /** The child has handled every message up to `seq`: their space is free. */
  release(seq: number): void {
    let n = 0;
    while (n < this.used.length && this.used[n].seq <= seq) n++;
    if (n) this.used.splice(0, n);
    if (!this.used.length) this.tail = 0;
  }

  /** Gives the memory back while nothing is in flight (between scans). */
  trim(): void {
    if (!this.used.length && !this.closed) ftruncateSync(this.fd, 0);
  }

  /** Removes the name once the child has opened the file. */
  unlink(): void {
    if (!this.linked) return;
    this.linked = false;
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }

  close(): void {
    this.unlink();
    if (!this.closed) closeSync(this.fd);
    this.closed = true;
  }
}

/** The child's side. */
export class SpoolReader {
  private readonly fd: number;

  constructor(path: string) {
    this.fd = openSync(path, "r");
  }

  /** The bytes of one array, in fresh memory of their own (so typed arrays over them are aligned). */
  read(ref: BlobRef): Uint8Array {
    const buf = Buffer.allocUnsafeSlow(ref.byteLength);
    for (let done = 0; done < ref.byteLength;) {
      const n = readSync(this.fd, buf, done, ref.byteLength - done, ref.offset + done);
      if (n === 0) throw new Error(`spool: ${ref.path.join("/")} is not there (offset ${ref.offset})`);
      done += n;
    }
    return buf;
  }
}
