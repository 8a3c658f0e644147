/** The HDF5 recorder's process: one Hdf5ScanWriter per scan. */
import path from "node:path";
import type { ScanFooter, ScanHeader, ScanPoint, ScanSuspension } from "../messages.ts";
import type { RecorderChild } from "../process/RecorderChild.ts";
import { Hdf5ScanWriter, scanFilePath, type Hdf5WriterOptions } from "./Hdf5ScanWriter.ts";
import { h5error, h5ready } from "./h5lib.ts";

/**
 * A system or HDF5 error ("ENOSPC: no space left on device, write") as one
 * line with the action and the file in front; our own messages pass as they are.
 */
function explained(e: unknown, action: string): Error {
  const raw = e instanceof Error && ("code" in e || e.message.includes("HDF5-DIAG"));
  return raw ? new Error(`${action}: ${h5error(e)}`) : e instanceof Error ? e : new Error(String(e));
}

class Hdf5Files implements RecorderChild {
  private writer: Hdf5ScanWriter | undefined;
  private last = "";

  constructor(private readonly options: Hdf5WriterOptions) {}

  describe(): string {
    if (this.writer) return `writing ${this.writer.fileName}`;
    return this.last || "one HDF5 file per scan, in the scan's data directory";
  }

  async header(h: ScanHeader): Promise<void> {
    try {
      this.writer = await Hdf5ScanWriter.open(h, this.options);
    } catch (e) {
      throw explained(e, `creating ${scanFilePath(path.resolve(h.path), h.scannr)}`);
    }
  }

  point(p: ScanPoint): void {
    try {
      this.writer?.write(p);
    } catch (e) {
      throw explained(e, `writing point ${p.index} to ${this.writer?.fileName}`);
    }
  }

  suspension(s: ScanSuspension): void {
    try {
      this.writer?.suspension(s);
    } catch (e) {
      throw explained(e, `writing the ${s.status} message to ${this.writer?.fileName}`);
    }
  }

  footer(f: ScanFooter): void {
    const w = this.writer;
    this.writer = undefined;
    if (!w) return;
    this.last = `${w.fileName} (${f.status}, ${w.points} points)`;
    try {
      w.close(f);
    } catch (e) {
      this.last = `${w.fileName} (footer not stored, ${w.points} points)`;
      throw explained(e, `closing ${w.fileName}`);
    }
  }

  close(): void {}
}

export async function openRecorder(options: Hdf5WriterOptions): Promise<RecorderChild> {
  await h5ready();
  return new Hdf5Files(options);
}
