/**
 * The sparse integration table: built once per geometry, mask and binning,
 * then applied to every frame. Pixel-ordered (for each contributing pixel its
 * entries, each a bin and a coefficient) so a frame is read once, in order.
 * Bin edges and coefficients follow pyFAI's bounding-box splitting (and its
 * no-split histogram) so results agree with pyFAI's to its precision.
 */
import type { Poni } from "./poni.ts";
import { pixelGeometry, type Corrections } from "./pixelGeometry.ts";
import type { RadialUnit } from "./units.ts";

export type Splitting = "bbox" | "none";

export interface Binning {
  bins: number;
  unit: RadialUnit;
  split: Splitting;
  /** radial range in the unit shown (e.g. nm⁻¹); null for the extent of the unmasked pixels */
  radialRange: [number, number] | null;
  /** K sectors over 360°, χ from −180° to 180°; null for a 1-D profile */
  sectors: number | null;
}

export interface IntegrationTable {
  /** radial bin centres, in the unit shown */
  radial: Float64Array;
  /** sector centres in degrees, when sectors were asked */
  chi: Float64Array | null;
  /** output bins: sectors × bins (or bins) */
  outputSize: number;
  /** per detector pixel, in frame order: how many entries it has (0: masked or out of range) */
  counts: Uint8Array;
  /** per detector pixel: its first output bin; a pixel's entries go to consecutive bins from there */
  firstBin: Uint16Array | Uint32Array;
  /** per entry, in pixel order: the coefficient */
  weights: Float32Array;
  /** per entry, only for sectors (whose entries are not consecutive): the output bin */
  entryBins: Uint32Array | null;
  /** per detector pixel: solid angle × polarization, to take out a pixel that is bad in one frame */
  pixelNormalization: Float32Array;
  /** Σ coefficient × normalization per output bin, the same for every frame */
  denominator: Float64Array;
}

/** pyFAI's upper bound: the largest position is moved up by one float32 epsilon so it falls inside the last bin */
const EPS32 = 1 + 2 ** -23;
const upperBound = (x: number): number => (x > 0 ? x * EPS32 : x / EPS32);

class EntryList {
  bins = new Uint32Array(1 << 20);
  weights = new Float32Array(1 << 20);
  length = 0;
  push(bin: number, weight: number): void {
    if (this.length === this.bins.length) {
      const bins = new Uint32Array(this.length * 2);
      bins.set(this.bins);
      const weights = new Float32Array(this.length * 2);
      weights.set(this.weights);
      this.bins = bins;
      this.weights = weights;
    }
    this.bins[this.length] = bin;
    this.weights[this.length++] = weight;
  }
}

/** Bins a pixel spanning fractional bins [fmin, fmax] touches, with pyFAI's coefficients; returns how many. */
function spread(fmin: number, fmax: number, nbins: number, binsOut: Int32Array, weightsOut: Float64Array): number {
  let lo = Math.trunc(fmin);
  let hi = Math.trunc(fmax);
  if (hi < 0 || lo >= nbins) return 0;
  hi = Math.min(hi, nbins - 1);
  lo = Math.max(lo, 0);
  if (lo === hi) {
    binsOut[0] = lo;
    weightsOut[0] = 1;
    return 1;
  }
  const inv = 1 / (fmax - fmin);
  let n = 0;
  binsOut[n] = lo;
  weightsOut[n++] = inv * (lo + 1 - fmin);
  for (let b = lo + 1; b < hi; b++) {
    binsOut[n] = b;
    weightsOut[n++] = inv;
  }
  binsOut[n] = hi;
  weightsOut[n++] = inv * (fmax - hi);
  return n;
}

export function buildTable(poni: Poni, mask: Uint8Array | null, binning: Binning, corrections: Corrections): IntegrationTable {
  const { bins, unit, split } = binning;
  const sectors = binning.sectors;
  const geometry = pixelGeometry(poni, unit, sectors !== null, corrections);
  const { size, radial, radialDelta, chi, chiDelta, normalization } = geometry;
  const d0 = split === "bbox" ? radialDelta : null;
  const masked = (i: number): boolean => mask !== null && mask[i] !== 0;

  let min: number;
  let maxIn: number;
  if (binning.radialRange) {
    min = Math.min(...binning.radialRange) / unit.scale;
    maxIn = Math.max(...binning.radialRange) / unit.scale;
  } else {
    // pyFAI: the bounding boxes of the unmasked pixels; without splitting, the centres of all pixels
    min = Infinity;
    maxIn = -Infinity;
    for (let i = 0; i < size; i++) {
      if (d0 && masked(i)) continue;
      const d = d0 ? d0[i] : 0;
      if (radial[i] - d < min) min = radial[i] - d;
      if (radial[i] + d > maxIn) maxIn = radial[i] + d;
    }
    if (min === Infinity) throw new Error("every pixel is masked");
    min = Math.max(0, min);
    maxIn = Math.max(0, maxIn);
  }
  const max = upperBound(maxIn);
  const delta = (max - min) / bins;
  const chiMin = -Math.PI;
  const chiDeltaBin = sectors ? (upperBound(Math.PI) - chiMin) / sectors : 0;

  const outputSize = bins * (sectors ?? 1);
  const entries = new EntryList();
  const counts = new Uint8Array(size);
  const firstBin = outputSize <= 65536 ? new Uint16Array(size) : new Uint32Array(size);
  const rBins = new Int32Array(4096), rWeights = new Float64Array(4096);
  const cBins = new Int32Array(4096), cWeights = new Float64Array(4096);
  for (let i = 0; i < size; i++) {
    if (masked(i)) continue;
    let nr: number;
    if (d0) {
      nr = spread((radial[i] - d0[i] - min) / delta, (radial[i] + d0[i] - min) / delta, bins, rBins, rWeights);
    } else {
      // truncation, not floor: as in pyFAI's histogram, pixels up to one bin below the range count in the first bin
      const b = Math.trunc((radial[i] - min) / delta);
      if (!(b >= 0 && b < bins)) continue;
      rBins[0] = b;
      rWeights[0] = 1;
      nr = 1;
    }
    if (nr === 0) continue;
    let nc = 1;
    cBins[0] = 0;
    cWeights[0] = 1;
    if (sectors && chi && chiDelta) {
      const dc = d0 ? chiDelta[i] : 0;
      if (d0) nc = spread((chi[i] - dc - chiMin) / chiDeltaBin, (chi[i] + dc - chiMin) / chiDeltaBin, sectors, cBins, cWeights);
      else cBins[0] = Math.min(Math.floor((chi[i] - chiMin) / chiDeltaBin), sectors - 1);
      if (nc === 0) continue;
    }
    if (nr * nc > 255) throw new Error(`pixel ${i} spans ${nr * nc} bins: use fewer bins`);
    for (let c = 0; c < nc; c++)
      for (let r = 0; r < nr; r++) entries.push(cBins[c] * bins + rBins[r], Math.fround(rWeights[r] * cWeights[c]));
    counts[i] = nr * nc;
    firstBin[i] = cBins[0] * bins + rBins[0];
  }

  const pixelNormalization = new Float32Array(size);
  pixelNormalization.set(normalization);
  const table: IntegrationTable = {
    radial: binCentres(min, delta, bins, unit.scale),
    chi: sectors ? binCentres(chiMin, chiDeltaBin, sectors, 180 / Math.PI) : null,
    outputSize,
    counts,
    firstBin,
    weights: entries.weights.slice(0, entries.length),
    entryBins: sectors ? entries.bins.slice(0, entries.length) : null,
    pixelNormalization,
    denominator: new Float64Array(outputSize),
  };
  computeDenominator(table);
  return table;
}

function binCentres(min: number, delta: number, n: number, scale: number): Float64Array {
  const out = new Float64Array(n);
  for (let b = 0; b < n; b++) out[b] = (min + (b + 0.5) * delta) * scale;
  return out;
}

/** The output bin of each entry, in pixel order (for the denominator, and for sectors). */
export function forEachEntry(table: IntegrationTable, visit: (pixel: number, bin: number, weight: number) => void): void {
  const { counts, firstBin, weights, entryBins } = table;
  let e = 0;
  for (let i = 0; i < counts.length; i++)
    for (let k = 0; k < counts[i]; k++, e++) visit(i, entryBins ? entryBins[e] : firstBin[i] + k, weights[e]);
}

export function computeDenominator(table: IntegrationTable): void {
  const { denominator, pixelNormalization } = table;
  denominator.fill(0);
  forEachEntry(table, (pixel, bin, weight) => { denominator[bin] += weight * pixelNormalization[pixel]; });
}
