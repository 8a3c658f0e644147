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
  /** indices of the contributing pixels, increasing */
  pixels: Uint32Array;
  /** entries per contributing pixel */
  counts: Uint8Array;
  /** per entry: output bin and coefficient */
  bins: Uint32Array;
  weights: Float32Array;
  /** per contributing pixel: solid angle × polarization, to take out a pixel that is bad in one frame */
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

  const entries = new EntryList();
  const pixels = new Uint32Array(size);
  const counts = new Uint8Array(size);
  const pixelNormalization = new Float32Array(size);
  let nPixels = 0;
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
      else {
        const f = (chi[i] - chiMin) / chiDeltaBin;
        cBins[0] = Math.min(Math.floor(f), sectors - 1);
      }
      if (nc === 0) continue;
    }
    if (nr * nc > 255) throw new Error(`pixel ${i} spans ${nr * nc} bins: use fewer bins`);
    for (let c = 0; c < nc; c++)
      for (let r = 0; r < nr; r++) entries.push(cBins[c] * bins + rBins[r], Math.fround(rWeights[r] * cWeights[c]));
    pixels[nPixels] = i;
    counts[nPixels] = nr * nc;
    pixelNormalization[nPixels++] = normalization[i];
  }

  const outputSize = bins * (sectors ?? 1);
  const table: IntegrationTable = {
    radial: binCentres(min, delta, bins, unit.scale),
    chi: sectors ? binCentres(chiMin, chiDeltaBin, sectors, 180 / Math.PI) : null,
    outputSize,
    pixels: pixels.slice(0, nPixels),
    counts: counts.slice(0, nPixels),
    bins: entries.bins.slice(0, entries.length),
    weights: entries.weights.slice(0, entries.length),
    pixelNormalization: pixelNormalization.slice(0, nPixels),
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

export function computeDenominator(table: IntegrationTable): void {
  const { pixels, counts, bins, weights, pixelNormalization, denominator } = table;
  denominator.fill(0);
  let e = 0;
  for (let p = 0; p < pixels.length; p++) {
    const n = pixelNormalization[p];
    for (let k = counts[p]; k > 0; k--, e++) denominator[bins[e]] += weights[e] * n;
  }
}
