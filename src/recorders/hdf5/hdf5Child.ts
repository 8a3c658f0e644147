/** The HDF5 recorder's process: one Hdf5ScanWriter per scan. */
import type { ScanFooter, ScanHeader, ScanPoint } from "../messages.ts";
import type { RecorderChild } from "../process/RecorderChild.ts";
import { Hdf5ScanWriter, type Hdf5WriterOptions } from "./Hdf5ScanWriter.ts";
import { h5ready } from "./h5lib.ts";

class Hdf5Files implements RecorderChild {
  private writer: Hdf5ScanWriter | undefined;
  private last = "";

  constructor(private readonly options: Hdf5WriterOptions) {}

  describe(): string {
    if (this.writer) return `writing ${this.writer.fileName}`;
    return this.last || "one HDF5 file per scan, in the scan's data directory";
  }

  async header(h: ScanHeader): Promise<void> {
    this.writer = await Hdf5ScanWriter.open(h, this.options);
  }

  point(p: ScanPoint): void {
    this.writer?.write(p);
  }

  footer(f: ScanFooter): void {
    const w = this.writer;
    this.writer = undefined;
    if (!w) return;
    this.last = `${w.fileName} (${f.status}, ${w.points} points)`;
    w.close(f);
  }

  close(): void {}
}

export async function openRecorder(options: Hdf5WriterOptions): Promise<RecorderChild> {
  await h5ready();
  return new Hdf5Files(options);
}
