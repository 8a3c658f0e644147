/**
 * Precomputed frames for the simulated Eiger: Debye–Scherrer rings at the
 * given q positions for a PONI geometry, a smooth background, Poisson noise,
 * and the module gaps holding the bad-pixel value. A few frames are made once
 * and cycled, so making frames never limits the frame rate.
 */
import type { Poni } from "../../integration/poni.ts";
import { pixelGeometry } from "../../integration/pixelGeometry.ts";
import { RADIAL_UNITS } from "../../integration/units.ts";

export const BAD_PIXEL = 2 ** 32 - 1;

function poissonSampler(seed: number): (mean: number) => number {
  let s = seed >>> 0 || 1;
  const uniform = () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  return (mean) => {
    if (mean < 30) {
      const limit = Math.exp(-mean);
      let k = 0;
      for (let p = uniform(); p > limit; p *= uniform()) k++;
      return k;
    }
    const g = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * g));
  };
}

/** `count` frames of the detector's shape; rings at q (nm⁻¹) with peak counts `peak`. */
export function ringFrames(poni: Poni, rings: number[], count: number, peak = 500): Uint32Array[] {
  const q = pixelGeometry(poni, RADIAL_UNITS["q_nm^-1"], false, { solidAngle: false, polarization: null }).radial;
  const mean = new Float64Array(q.length);
  for (let i = 0; i < q.length; i++) {
    let m = 2 + 40 * Math.exp(-q[i] / 1.5);
    rings.forEach((r, k) => {
      const sigma = 0.01 + 0.003 * r;
      const x = (q[i] - r) / sigma;
      if (x * x < 50) m += (peak / (k + 1)) * Math.exp(-0.5 * x * x);
    });
    mean[i] = m;
  }
  const gaps = poni.detector.mask;
  return Array.from({ length: count }, (_, f) => {
    const poisson = poissonSampler(0x9e3779b9 + f * 7919);
    const frame = new Uint32Array(q.length);
    for (let i = 0; i < frame.length; i++) frame[i] = gaps && gaps[i] ? BAD_PIXEL : poisson(mean[i]);
    return frame;
  });
}
