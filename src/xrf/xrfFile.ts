/**
 * Writes a scan's maps to `scan_NNNNNN_xrf.h5` beside the scan file:
 *
 *   /                          @default = entry
 *   entry/                     NXentry, @default = plot
 *     scan_number, spectra_file, missed_start, refused_frames
 *     maps/<roi>               per-point sums over channels, one value per point in scan order (NaN: no frame)
 *     maps/positions/<motor>   the scan's real positions
 *     maps/channels/<roi>      (points, channels), for regions marked per_channel
 *     spectra/average, spectra/latest, spectra/energy_keV   summed over channels
 *     rois/name, first_bin, last_bin, energy_keV, width_keV
 *     plot/                    NXdata: the Fe map (else the first region) over the positions, as a scatter
 *
 * The scan file links it as entry/xrf (XrfMapRecorder.scanLinks).
 */
import { existsSync, mkdirSync, renameSync } from "node:fs";
import h5wasm from "h5wasm/node";
import { createDataset, createGroup, h5name, h5ready, setAttr, softLink } from "../recorders/hdf5/h5lib.ts";
import type { ScanMaps } from "./ScanMaps.ts";
import { xrfFileName } from "./fileName.ts";


const f64 = (a: ArrayLike<number>) => Float64Array.from(a);

export async function writeXrfFile(s: ScanMaps, dir: string): Promise<string> {
  await h5ready();
  mkdirSync(dir, { recursive: true });
  const final = xrfFileName(dir, s.scannr);
  if (existsSync(final)) throw new Error(`${final} already exists; not overwritten`);
  // written under a temporary name, so that a reader never sees half a file
  const tmp = `${final}.${process.pid}.part`;
  const file = new h5wasm.File(tmp, "w");
  if (file.file_id < 0n) throw new Error(`HDF5 could not create ${tmp}`);
  try {
    const n = s.points;
    setAttr(file, "default", "entry");
    const entry = createGroup(file, "entry", "NXentry");
    createDataset(entry, "scan_number", { data: new Int32Array([s.scannr]), shape: [] });
    createDataset(entry, "spectra_file", { data: s.spectraFile ?? "" });
    createDataset(entry, "missed_start", { data: new Uint8Array([s.missedStart ? 1 : 0]), shape: [] });
    createDataset(entry, "refused_frames", { data: new Int32Array([s.refused]), shape: [] });
    const maps = createGroup(entry, "maps", "NXcollection");
    const rois = s.rois.rois;
    rois.forEach((r, i) => createDataset(maps, h5name(r.name), { data: f64(s.roiSums(i)), shape: [n] }));
    const positions = createGroup(maps, "positions", "NXcollection");
    for (const m of s.motors) createDataset(positions, h5name(m), { data: f64(s.positionsOf(m)), shape: [n] });
    const perChannel = rois.filter((r) => r.perChannel);
    if (perChannel.length && s.shape) {
      const channels = createGroup(maps, "channels", "NXcollection");
      for (const r of perChannel) {
        const sums = s.channelSums(r.name) ?? new Float64Array(n * s.shape[0]).fill(NaN);
        createDataset(channels, h5name(r.name), { data: f64(sums), shape: [n, s.shape[0]] });
      }
    }
    const spectra = createGroup(entry, "spectra", "NXcollection");
    const bins = s.shape?.[1] ?? 0;
    createDataset(spectra, "average", { data: s.average() ?? new Float64Array(0), shape: [bins] });
    createDataset(spectra, "latest", { data: s.latest() ?? new Float64Array(0), shape: [bins] });
    createDataset(spectra, "energy_keV", { data: Float64Array.from({ length: bins }, (_, b) => b * s.rois.keVPerBin), shape: [bins] });
    const table = createGroup(entry, "rois", "NXcollection");
    createDataset(table, "name", { data: rois.map((r) => r.name) });
    createDataset(table, "first_bin", { data: Int32Array.from(rois.map((r) => r.first)), shape: [rois.length] });
    createDataset(table, "last_bin", { data: Int32Array.from(rois.map((r) => r.last)), shape: [rois.length] });
    createDataset(table, "energy_keV", { data: f64(rois.map((r) => r.energy_keV)), shape: [rois.length] });
    createDataset(table, "width_keV", { data: f64(rois.map((r) => r.width_keV)), shape: [rois.length] });
    // the default plot: Fe over the positions (horizontal: the fastest motor, the last one)
    const signal = rois.find((r) => r.name === "Fe") ?? rois[0];
    const plot = createGroup(entry, "plot", "NXdata");
    softLink(plot, `/entry/maps/${h5name(signal.name)}`, h5name(signal.name));
    setAttr(plot, "signal", h5name(signal.name));
    const axes = [...s.motors].reverse().slice(0, 2).map(h5name);
    for (const a of axes) {
      softLink(plot, `/entry/maps/positions/${a}`, a);
      setAttr(plot, `${a}_indices`, 0);
    }
    if (axes.length) setAttr(plot, "axes", axes);
    setAttr(entry, "default", "plot");
  } finally {
    if (file.close() < 0) throw new Error(`HDF5: closing ${tmp} failed`);
  }
  renameSync(tmp, final);
  return final;
}
