import path from "node:path";

/** `<dir>/scan_NNNNNN_xrf.h5`: the maps of scan NNNNNN, beside its scan file. */
export function xrfFileName(dir: string, scannr: number): string {
  return path.join(dir, `scan_${String(scannr).padStart(6, "0")}_xrf.h5`);
}
