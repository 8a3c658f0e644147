/**
 * Applies an integration table to frames, summing in double precision; the
 * denominator is computed once per table. A pixel holding the bad-pixel value
 * (or NaN) in a frame is left out of that frame's sums, numerator and
 * denominator alike, as pyFAI's dummy does.
 *
 * For 1-D profiles the table is flattened once into a first bin and a share
 * per pixel: pixels touching one or two bins (all but a few at usual
 * geometries) are summed in one loop over the frame in pixel order, so a
 * frame is read once and nothing is allocated per frame. Pixels touching
 * more bins take a general loop.
 */
import type { NumericArray } from "./npy.ts";
import { forEachEntry, type IntegrationTable } from "./table.ts";

/** The value Eiger detectors put in gap and dead pixels (uint32 maximum). */
export const EIGER_BAD_PIXEL = 2 ** 32 - 1;

export interface FrameResult {
  /** sectors × bins, or bins; 0 where no pixel contributed */
  intensity: Float64Array;
  /** pixels left out of this frame for holding the bad-pixel value */
  badPixels: number;
}

/**
 * The 1-D table flattened for the frame loop: per pixel in frame order its
 * first bin and the share of its first bin. A pixel touches one bin (share 1)
 * or two (the rest goes to the next bin); pixels without entries, or touching
 * more bins, point at a spare bin past the output and are summed apart.
 */
interface PairTable {
  firstBins: Uint16Array | Uint32Array;
  shares: Float32Array;
  /** pixels touching three or more bins, with their entries */
  wide: { pixels: Uint32Array; firstBins: Uint32Array; counts: Uint8Array; weights: Float32Array };
}

function pairTable(table: IntegrationTable): PairTable {
  const { counts, firstBin, weights, outputSize } = table;
  const spare = outputSize;
  const firstBins = spare + 2 <= 0xffff ? new Uint16Array(counts.length) : new Uint32Array(counts.length);
  const shares = new Float32Array(counts.length);
  let wideEntries = 0;
  let widePixels = 0;
  for (let i = 0; i < counts.length; i++) if (counts[i] > 2) { widePixels++; wideEntries += counts[i]; }
  const wide = { pixels: new Uint32Array(widePixels), firstBins: new Uint32Array(widePixels), counts: new Uint8Array(widePixels), weights: new Float32Array(wideEntries) };
  let e = 0;
  let w = 0;
  let we = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    firstBins[i] = c === 1 || c === 2 ? firstBin[i] : spare;
    shares[i] = c === 1 ? 1 : c === 2 ? weights[e] : 0;
    if (c > 2) {
      wide.pixels[w] = i;
      wide.firstBins[w] = firstBin[i];
      wide.counts[w++] = c;
      for (let k = 0; k < c; k++) wide.weights[we++] = weights[e + k];
    }
    e += c;
  }
  return { firstBins, shares, wide };
}

export class Integrator {
  private readonly numerator: Float64Array;
  /** built on the first frame: a process that only needs the table (the collector) never holds them */
  private sums: ((frame: NumericArray) => number)[] | null = null;
  private readonly bad: number;

  constructor(readonly table: IntegrationTable, readonly frameSize: number, readonly badPixel: number | null = EIGER_BAD_PIXEL) {
    // two spare bins past the output: where pixels without entries in the 1-D loop add (and their next bin)
    this.numerator = new Float64Array(table.outputSize + 2);
    this.bad = badPixel ?? NaN;
  }

  integrate(frame: NumericArray, out = new Float64Array(this.table.outputSize)): FrameResult {
    if (frame.length !== this.frameSize) throw new Error(`frame has ${frame.length} pixels, the geometry ${this.frameSize}`);
    this.numerator.fill(0);
    let badPixels = 0;
    if (this.table.entryBins) badPixels = this.sumScattered(frame);
    else {
      if (!this.sums) {
        const pairs = pairTable(this.table);
        this.sums = [pairSum(pairs, this.numerator, this.bad, this.table.outputSize), wideSum(pairs.wide, this.numerator, this.bad)];
      }
      for (const sum of this.sums) badPixels += sum(frame);
    }
    const num = this.numerator;
    const den = badPixels ? this.denominatorWithout(frame) : this.table.denominator;
    for (let b = 0; b < out.length; b++) out[b] = den[b] > 0 ? num[b] / den[b] : 0;
    return { intensity: out, badPixels };
  }

  private sumScattered(frame: NumericArray): number {
    const { counts, weights } = this.table;
    const bins = this.table.entryBins as Uint32Array;
    const num = this.numerator;
    const bad = this.bad;
    let badPixels = 0;
    let e = 0;
    for (let i = 0; i < counts.length; i++) {
      const c = counts[i];
      if (c === 0) continue;
      const v = frame[i];
      if (v === bad || v !== v) badPixels++;
      else for (let k = 0; k < c; k++) num[bins[e + k]] += v * weights[e + k];
      e += c;
    }
    return badPixels;
  }

  private denominatorWithout(frame: NumericArray): Float64Array {
    const bad = this.bad;
    const { pixelNormalization, denominator } = this.table;
    const den = denominator.slice();
    forEachEntry(this.table, (pixel, bin, weight) => {
      const v = frame[pixel];
      if (v === bad || v !== v) den[bin] -= weight * pixelNormalization[pixel];
    });
    // subtracting can leave rounding residue where every pixel of a bin was bad
    for (let b = 0; b < den.length; b++) if (den[b] < 1e-9 * denominator[b]) den[b] = 0;
    return den;
  }
}

/*
 * Each loop is a closure over its own arrays, never reassigned: V8 optimizes
 * that loop far better than the same loop taking the arrays as arguments
 * (measured: half the time per frame). One branch-free pass over the frame
 * in pixel order, reading 10 bytes a pixel besides the frame's, is what makes
 * it fast; the second bin gets v − v·share rather than a stored weight.
 */
function pairSum({ firstBins, shares }: PairTable, num: Float64Array, bad: number, spare: number): (frame: NumericArray) => number {
  return (frame) => {
    let badPixels = 0;
    for (let i = 0; i < frame.length; i++) {
      const v = frame[i];
      const b = firstBins[i];
      if (v === bad || v !== v) {
        if (b !== spare) badPixels++;
        continue;
      }
      const first = v * shares[i];
      num[b] += first;
      num[b + 1] += v - first;
    }
    return badPixels;
  };
}

function wideSum({ pixels, firstBins, counts, weights }: PairTable["wide"], num: Float64Array, bad: number): (frame: NumericArray) => number {
  return (frame) => {
    let badPixels = 0;
    let e = 0;
    for (let k = 0; k < pixels.length; k++) {
      const v = frame[pixels[k]];
      const c = counts[k];
      if (v === bad || v !== v) badPixels++;
      else for (let s = 0; s < c; s++) num[firstBins[k] + s] += v * weights[e + s];
      e += c;
    }
    return badPixels;
  };
}
