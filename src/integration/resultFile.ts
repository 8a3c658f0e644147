/**
 * The integrated results in HDF5, laid out for NeXus viewers:
 *   /entry/integrated         NXdata, signal I, axes (frame, [chi,] radial)
 *   /entry/integrated/I       frames × bins, or frames × sectors × bins
 *   /entry/integrated/radial  bin centres (`units`), /chi sector centres (degrees)
 *   /entry/integrated/frame   the detector frame number of each row
 * with the geometry and options as attributes of /entry/integrated, and the
 * counts of frames integrated and skipped (written as they change).
 */
import type { Dataset, File, Group } from "h5wasm/node";
import { createDataset, createGroup, h5ready, setAttr } from "../recorders/hdf5/h5lib.ts";
import { formatPoni, type Poni } from "./poni.ts";
import type { IntegrationOptions } from "./setup.ts";
import type { IntegrationTable } from "./table.ts";
import { radialUnit } from "./units.ts";


export class IntegratedResultFile {
  private rows = 0;
  private integrated = 0;
  private skipped = 0;
  private constructor(
    readonly path: string,
    private readonly file: File,
    private readonly group: Group,
    private readonly intensity: Dataset,
    private readonly frames: Dataset,
    private readonly rowShape: number[],
  ) {}

  static async create(path: string, table: IntegrationTable, poni: Poni, options: IntegrationOptions): Promise<IntegratedResultFile> {
    const h5wasm = (await import("h5wasm/node")).default;
    await h5ready();
    const file = new h5wasm.File(path, "w");
    if (!file.file_id || file.file_id < 0n) throw new Error(`cannot create ${path}`);
    setAttr(file, "default", "entry");
    const entry = createGroup(file, "entry", "NXentry");
    setAttr(entry, "default", "integrated");
    const group = createGroup(entry, "integrated", "NXdata");
    const bins = table.radial.length;
    const rowShape = table.chi ? [table.chi.length, bins] : [bins];
    setAttr(group, "signal", "I");
    setAttr(group, "axes", table.chi ? [".", "chi", "radial"] : [".", "radial"]);
    setAttr(group, "radial_indices", rowShape.length);
    if (table.chi) setAttr(group, "chi_indices", 1);
    const intensity = createDataset(group, "I", {
      data: new Float64Array(0), dtype: "<d", shape: [0, ...rowShape], maxshape: [null, ...rowShape], chunks: [16, ...rowShape],
    });
    setAttr(intensity, "interpretation", table.chi ? "image" : "spectrum");
    const radial = createDataset(group, "radial", { data: table.radial, dtype: "<d" });
    setAttr(radial, "units", radialUnit(options.unit).label);
    setAttr(radial, "long_name", options.unit);
    if (table.chi) setAttr(createDataset(group, "chi", { data: table.chi, dtype: "<d" }), "units", "degrees");
    const frames = createDataset(group, "frame", { data: new BigInt64Array(0), dtype: "<q", shape: [0], maxshape: [null], chunks: [1024] });
    const attrs: Record<string, string | number> = {
      poni: formatPoni(poni), detector: poni.detector.name, distance_m: poni.distance, poni1_m: poni.poni1, poni2_m: poni.poni2,
      rot1_rad: poni.rot1, rot2_rad: poni.rot2, rot3_rad: poni.rot3, wavelength_m: poni.wavelength,
      unit: options.unit, bins, split: options.split, solid_angle: options.solidAngle ? 1 : 0,
      polarization: options.polarization ?? "none", sectors: options.sectors ?? 0, mask: options.mask ?? "",
      radial_range: options.radialRange ? options.radialRange.join(" ") : "unmasked pixels",
      bad_pixel: options.badPixel ?? "none",
    };
    for (const [k, v] of Object.entries(attrs)) setAttr(group, k, v);
    const out = new IntegratedResultFile(path, file, group, intensity, frames, rowShape);
    out.writeCounts();
    return out;
  }

  /** Appends one frame's result (frames are appended in the order they are to be read). */
  append(frame: number, intensity: Float64Array): void {
    this.intensity.resize([this.rows + 1, ...this.rowShape]);
    this.intensity.write_slice([[this.rows, this.rows + 1], ...this.rowShape.map(() => [] as [])], intensity);
    this.frames.resize([this.rows + 1]);
    this.frames.write_slice([[this.rows, this.rows + 1]], new BigInt64Array([BigInt(frame)]));
    this.rows++;
    this.integrated++;
  }

  /** A frame that could not be integrated (wrong shape, unreadable), counted in the file. */
  skip(): void {
    this.skipped++;
  }

  private writeCounts(): void {
    setAttr(this.group, "frames_integrated", this.integrated);
    setAttr(this.group, "frames_skipped", this.skipped);
  }

  flush(): void {
    this.writeCounts();
    this.file.flush();
  }

  close(): void {
    this.writeCounts();
    this.file.close();
  }
}
