/**
 * Applies an integration table to frames: one pass over the frame in pixel
 * order, sums in double precision, the denominator computed once per table.
 * A pixel holding the bad-pixel value (or NaN) in a frame is left out of
 * that frame's sums, numerator and denominator alike, as pyFAI's dummy does.
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

export class Integrator {
  private readonly numerator: Float64Array;

  constructor(readonly table: IntegrationTable, readonly frameSize: number, readonly badPixel: number | null = EIGER_BAD_PIXEL) {
    this.numerator = new Float64Array(table.outputSize);
  }

  integrate(frame: NumericArray, out = new Float64Array(this.table.outputSize)): FrameResult {
    if (frame.length !== this.frameSize) throw new Error(`frame has ${frame.length} pixels, the geometry ${this.frameSize}`);
    this.numerator.fill(0);
    const badPixels = this.table.entryBins ? this.sumScattered(frame) : this.sumConsecutive(frame);
    const num = this.numerator;
    const den = badPixels ? this.denominatorWithout(frame) : this.table.denominator;
    for (let b = 0; b < out.length; b++) out[b] = den[b] > 0 ? num[b] / den[b] : 0;
    return { intensity: out, badPixels };
  }

  /** 1-D profiles: a pixel's entries go to consecutive bins, so only its first bin is stored */
  private sumConsecutive(frame: NumericArray): number {
    const { counts, firstBin, weights } = this.table;
    const num = this.numerator;
    const bad = this.badPixel ?? NaN;
    const size = counts.length;
    let badPixels = 0;
    let e = 0;
    for (let i = 0; i < size; i++) {
      const c = counts[i];
      if (c === 0) continue;
      const v = frame[i];
      if (v === bad || v !== v) {
        badPixels++;
        e += c;
        continue;
      }
      const b = firstBin[i];
      num[b] += v * weights[e];
      if (c > 1) {
        num[b + 1] += v * weights[e + 1];
        for (let k = 2; k < c; k++) num[b + k] += v * weights[e + k];
      }
      e += c;
    }
    return badPixels;
  }

  private sumScattered(frame: NumericArray): number {
    const { counts, weights } = this.table;
    const bins = this.table.entryBins as Uint32Array;
    const num = this.numerator;
    const bad = this.badPixel ?? NaN;
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
    const bad = this.badPixel ?? NaN;
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
