/**
 * Applies an integration table to frames: one pass over the frame in pixel
 * order, sums in double precision, the denominator computed once per table.
 * A pixel holding the bad-pixel value (or NaN) in a frame is left out of
 * that frame's sums, numerator and denominator alike, as pyFAI's dummy does.
 */
import type { NumericArray } from "./npy.ts";
import type { IntegrationTable } from "./table.ts";

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
    const { pixels, counts, bins, weights } = this.table;
    const num = this.numerator;
    num.fill(0);
    const bad = this.badPixel ?? NaN;
    let badPixels = 0;
    let e = 0;
    const n = pixels.length;
    for (let p = 0; p < n; p++) {
      const v = frame[pixels[p]];
      const c = counts[p];
      if (v === bad || v !== v) {
        badPixels++;
        e += c;
        continue;
      }
      // most pixels touch one or two bins
      num[bins[e]] += v * weights[e];
      if (c > 1) {
        num[bins[e + 1]] += v * weights[e + 1];
        for (let k = 2; k < c; k++) num[bins[e + k]] += v * weights[e + k];
      }
      e += c;
    }
    const den = badPixels ? this.denominatorWithout(frame, bad) : this.table.denominator;
    for (let b = 0; b < out.length; b++) out[b] = den[b] > 0 ? num[b] / den[b] : 0;
    return { intensity: out, badPixels };
  }

  private denominatorWithout(frame: NumericArray, bad: number): Float64Array {
    const { pixels, counts, bins, weights, pixelNormalization } = this.table;
    const den = this.table.denominator.slice();
    let e = 0;
    for (let p = 0; p < pixels.length; p++) {
      const v = frame[pixels[p]];
      if (v === bad || v !== v) for (let k = 0; k < counts[p]; k++) den[bins[e + k]] -= weights[e + k] * pixelNormalization[p];
      e += counts[p];
    }
    // subtracting can leave rounding residue where every pixel of a bin was bad
    for (let b = 0; b < den.length; b++) if (den[b] < 1e-9 * this.table.denominator[b]) den[b] = 0;
    return den;
  }
}
