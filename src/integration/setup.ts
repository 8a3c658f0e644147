/**
 * Everything an integration needs from the user's options: the geometry read,
 * the masks combined and checked, the table loaded from the cache or built
 * (and then stored). The offline command and the workers both start here.
 */
import { readPoniFile, type Poni } from "./poni.ts";
import { combineMasks, loadMask } from "./mask.ts";
import { buildTable, type Binning, type IntegrationTable, type Splitting } from "./table.ts";
import { defaultCacheDirectory, loadTable, saveTable, tableKey } from "./tableCache.ts";
import { EIGER_BAD_PIXEL, Integrator } from "./integrator.ts";
import { radialUnit, type RadialUnitName } from "./units.ts";
import type { Corrections } from "./pixelGeometry.ts";

export interface IntegrationOptions {
  poni: string;
  mask: string | null;
  bins: number;
  unit: RadialUnitName;
  split: Splitting;
  radialRange: [number, number] | null;
  sectors: number | null;
  solidAngle: boolean;
  polarization: number | null;
  badPixel: number | null;
  /** where tables are kept; null to neither read nor write the cache */
  cache: string | null;
}

export const DEFAULT_OPTIONS: Omit<IntegrationOptions, "poni"> = {
  mask: null, bins: 1000, unit: "q_nm^-1", split: "bbox", radialRange: null, sectors: null,
  solidAngle: true, polarization: null, badPixel: EIGER_BAD_PIXEL, cache: defaultCacheDirectory(),
};

export interface PreparedIntegration {
  poni: Poni;
  table: IntegrationTable;
  integrator: Integrator;
  shape: [number, number];
  fromCache: boolean;
  setupSeconds: number;
}

export async function prepareIntegration(options: IntegrationOptions): Promise<PreparedIntegration> {
  const t0 = performance.now();
  if (!Number.isInteger(options.bins) || options.bins < 1) throw new Error(`bins must be a positive integer, not ${options.bins}`);
  if (options.sectors !== null && !(Number.isInteger(options.sectors) && options.sectors >= 1)) throw new Error(`sectors must be a positive integer, not ${options.sectors}`);
  if (options.polarization !== null && !(options.polarization >= -1 && options.polarization <= 1)) throw new Error(`polarization factor must be in [-1, 1], not ${options.polarization}`);
  if (options.radialRange && !(options.radialRange[0] < options.radialRange[1])) throw new Error(`radial range ${options.radialRange.join(" ")} must be LO < HI`);
  const poni = readPoniFile(options.poni);
  const shape = poni.detector.shape;
  const size = shape[0] * shape[1];
  const userMask = options.mask ? await loadMask(options.mask, shape) : null;
  const mask = userMask || poni.detector.mask ? combineMasks(poni.detector.mask, userMask, size) : null;
  const binning: Binning = { bins: options.bins, unit: radialUnit(options.unit), split: options.split, radialRange: options.radialRange, sectors: options.sectors };
  const corrections: Corrections = { solidAngle: options.solidAngle, polarization: options.polarization };
  const key = tableKey(poni, mask, binning, corrections);
  let table = options.cache ? loadTable(options.cache, key) : null;
  const fromCache = table !== null;
  if (!table) {
    table = buildTable(poni, mask, binning, corrections);
    if (options.cache) saveTable(options.cache, key, table);
  }
  return { poni, table, integrator: new Integrator(table, size, options.badPixel), shape, fromCache, setupSeconds: (performance.now() - t0) / 1000 };
}
