/**
 * Synthetic XRF spectra: element lines as Gaussian peaks whose width grows
 * with energy (silicon drift detector: electronic noise plus Fano
 * statistics), an elastic scatter peak at the beam energy, a smooth
 * background, and Poisson noise on every bin.
 */
import { LINES } from "./lines.ts";

/** Where the beam is on the sample and what it is. */
export interface BeamSpot {
  x: number;
  y: number;
  /** beam energy, keV */
  energy: number;
}

/** An element of a sample: counts per second per channel of its main line at a spot. */
export interface SampleElement {
  element: keyof typeof LINES;
  rate: (x: number, y: number) => number;
}

export interface SpectrumOptions {
  channels: number;
  bins: number;
  /** energy width of one bin, keV (0.01 = 10 eV) */
  keVPerBin: number;
}

/** The sample of beamlines/sim.ts over the unit square (see docs/xrf.md). */
export const SIM_SAMPLE: SampleElement[] = [
  { element: "Fe", rate: () => 20_000 },
  { element: "Mn", rate: () => 2_000 },
  { element: "Ni", rate: (x) => (x < 0.5 ? 8_000 : 0) },
  { element: "Cr", rate: (x) => (x >= 0.5 ? 8_000 : 0) },
  { element: "Ar", rate: (_x, y) => 4_000 * Math.min(1, Math.max(0, 1 - y)) },
  { element: "Pt", rate: (x, y) => ((x - 0.5) ** 2 + (y - 0.5) ** 2 <= 0.04 ? 6_000 : 0) },
];

/** Gaussian sigma (keV) of a peak at energy E (keV): 100 eV FWHM noise, Fano 0.115, 3.8 eV per pair. */
export function peakSigma(keV: number): number {
  const noise = 0.1 / 2.3548;
  return Math.sqrt(noise * noise + 0.115 * 0.0038 * keV);
}

/** Counts/s of the scatter peak and of the whole background, per channel. */
const SCATTER_RATE = 10_000;
const BACKGROUND_RATE = 6_000;
/** Channels see the sample under slightly different solid angles. */
const CHANNEL_GAIN = [1, 0.92, 1.07, 0.97];

export class SpectrumModel {
  private readonly profiles = new Map<string, Float64Array>();
  private scatter: { energy: number; profile: Float64Array } | undefined;
  private readonly expected: Float64Array;

  constructor(readonly sample: SampleElement[], readonly opts: SpectrumOptions) {
    this.expected = new Float64Array(opts.bins);
  }

  /** A normalised peak profile (sums to 1 over all energies) sampled per bin. */
  private peak(keV: number): Float64Array {
    const { bins, keVPerBin } = this.opts;
    const out = new Float64Array(bins);
    const s = peakSigma(keV);
    const lo = Math.max(0, Math.floor((keV - 6 * s) / keVPerBin));
    const hi = Math.min(bins - 1, Math.ceil((keV + 6 * s) / keVPerBin));
    const norm = keVPerBin / (s * Math.sqrt(2 * Math.PI));
    for (let b = lo; b <= hi; b++) out[b] = norm * Math.exp(-0.5 * ((b * keVPerBin - keV) / s) ** 2);
    return out;
  }

  private elementProfile(element: keyof typeof LINES): Float64Array {
    let p = this.profiles.get(element);
    if (!p) {
      const l = LINES[element];
      const main = this.peak(l.main);
      const second = this.peak(l.second);
      p = main.map((v, b) => (v + l.secondRatio * second[b]) / (1 + l.secondRatio));
      this.profiles.set(element, p);
    }
    return p;
  }

  /** Scatter at the beam energy plus a smooth background that ends there, per bin, normalised. */
  private scatterProfile(energy: number): Float64Array {
    if (this.scatter?.energy === energy) return this.scatter.profile;
    const { bins, keVPerBin } = this.opts;
    const peak = this.peak(energy);
    const bg = new Float64Array(bins);
    for (let b = 0; b < bins; b++) {
      const e = b * keVPerBin;
      bg[b] = e < energy ? (1 - Math.exp(-e / 1.5)) * Math.exp(-e / 6) * (1 - e / energy) : 0;
    }
    const bgSum = bg.reduce((a, v) => a + v, 0) || 1;
    const profile = peak.map((v, b) => SCATTER_RATE * v + (BACKGROUND_RATE * bg[b]) / bgSum);
    this.scatter = { energy, profile };
    return profile;
  }

  /** Expected counts per bin in one channel of gain 1 for `seconds` at `spot`. */
  expectation(spot: BeamSpot, seconds: number): Float64Array {
    const out = this.expected;
    out.set(this.scatterProfile(spot.energy));
    for (const el of this.sample) {
      const rate = el.rate(spot.x, spot.y);
      if (!(rate > 0)) continue;
      const p = this.elementProfile(el.element);
      for (let b = 0; b < out.length; b++) out[b] += rate * p[b];
    }
    for (let b = 0; b < out.length; b++) out[b] *= seconds;
    return out;
  }

  /** One frame: channels × bins of Poisson counts, row = channel. */
  frame(spot: BeamSpot, seconds: number, into = new Uint32Array(this.opts.channels * this.opts.bins)): Uint32Array {
    const { channels, bins } = this.opts;
    const lambda = this.expectation(spot, seconds);
    for (let c = 0; c < channels; c++) {
      const gain = CHANNEL_GAIN[c % CHANNEL_GAIN.length];
      for (let b = 0; b < bins; b++) into[c * bins + b] = poisson(lambda[b] * gain);
    }
    return into;
  }
}

/** A Poisson draw: by multiplication for small means, normal approximation above 30. */
export function poisson(mean: number): number {
  if (!(mean > 0)) return 0;
  if (mean > 30) {
    const u = 1 - Math.random();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
  }
  const limit = Math.exp(-mean);
  let k = 0;
  let p = Math.random();
  while (p > limit) {
    k++;
    p *= Math.random();
  }
  return k;
}
