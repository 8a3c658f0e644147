/**
 * Per-pixel positions of a flat detector in the laboratory frame, with pyFAI's
 * conventions: pixel i's centre at (i + 0.5)·pixel, rotations rot1–rot3 about
 * the PONI, χ = atan2(t1, t2) in (−π, π], solid angle relative to the PONI.
 * pyFAI computes pixel-centre coordinates and stores corner values in single
 * precision (a few nanometres on the detector, far below a pixel); both are
 * rounded the same way here so that pixels on a bin edge fall on the same side
 * as in pyFAI, and tables agree with pyFAI's to its own precision.
 */
import type { Poni } from "./poni.ts";
import type { RadialUnit } from "./units.ts";

export interface PixelGeometry {
  size: number;
  /** radial position of each pixel centre, in the unit's internal quantity */
  radial: Float64Array;
  /** largest distance from the centre to a corner, same quantity */
  radialDelta: Float64Array;
  /** azimuth χ of the centre and its largest centre–corner distance (radians); only when asked */
  chi: Float64Array | null;
  chiDelta: Float64Array | null;
  /** solid angle × polarization of each pixel (1 where neither is applied) */
  normalization: Float64Array;
}

export interface Corrections {
  solidAngle: boolean;
  /** pyFAI's polarization factor in [−1, 1]; null for none */
  polarization: number | null;
}

type Rotation = (p1: number, p2: number, out: Float64Array) => void;

/** t1 (vertical), t2 (horizontal), t3 (along the beam) of a point p1, p2 metres from the PONI on the detector. */
function rotation(poni: Poni): Rotation {
  const L = poni.distance;
  const [c1, c2, c3] = [Math.cos(poni.rot1), Math.cos(poni.rot2), Math.cos(poni.rot3)];
  const [s1, s2, s3] = [Math.sin(poni.rot1), Math.sin(poni.rot2), Math.sin(poni.rot3)];
  return (p1, p2, out) => {
    out[0] = p1 * c2 * c3 + p2 * (c3 * s1 * s2 - c1 * s3) - L * (c1 * c3 * s2 + s1 * s3);
    out[1] = p1 * c2 * s3 + p2 * (c1 * c3 + s1 * s2 * s3) - L * (-c3 * s1 + c1 * s2 * s3);
    out[2] = p1 * s2 - p2 * c2 * s1 + L * c1 * c2;
  };
}

const TWO_PI = 2 * Math.PI;
const modTwoPi = (x: number): number => ((x % TWO_PI) + TWO_PI) % TWO_PI;

export function pixelGeometry(poni: Poni, unit: RadialUnit, withChi: boolean, corrections: Corrections): PixelGeometry {
  const [rows, cols] = poni.detector.shape;
  const { pixel1, pixel2 } = poni.detector;
  const size = rows * cols;
  const rotate = rotation(poni);
  const t = new Float64Array(3);
  const value = (p1: number, p2: number): number => {
    rotate(p1, p2, t);
    const r = Math.hypot(t[0], t[1]);
    return unit.fromAngle(Math.atan2(r, t[2]), r, poni.wavelength);
  };

  // corners on a (rows+1) × (cols+1) grid, single precision like pyFAI's corner array
  const gridCols = cols + 1;
  const cornerRadial = new Float32Array((rows + 1) * gridCols);
  const cornerChi = withChi ? new Float32Array((rows + 1) * gridCols) : null;
  for (let i = 0; i <= rows; i++) {
    const p1 = i * pixel1 - poni.poni1;
    for (let j = 0; j <= cols; j++) {
      const k = i * gridCols + j;
      cornerRadial[k] = value(p1, j * pixel2 - poni.poni2);
      if (cornerChi) cornerChi[k] = Math.atan2(t[0], t[1]);
    }
  }

  const radial = new Float64Array(size);
  const radialDelta = new Float64Array(size);
  const chi = withChi ? new Float64Array(size) : null;
  const chiDelta = withChi ? new Float64Array(size) : null;
  const normalization = new Float64Array(size);
  const d2 = poni.distance * poni.distance;
  const pol = corrections.polarization;
  const f = Math.fround;
  for (let i = 0; i < rows; i++) {
    const p1 = f(f(f(pixel1) * (i + 0.5)) - f(poni.poni1));
    for (let j = 0; j < cols; j++) {
      const p2 = f(f(f(pixel2) * (j + 0.5)) - f(poni.poni2));
      const idx = i * cols + j;
      const c = value(p1, p2);
      radial[idx] = c;
      const k = i * gridCols + j;
      radialDelta[idx] = Math.max(
        Math.abs(cornerRadial[k] - c), Math.abs(cornerRadial[k + gridCols] - c),
        Math.abs(cornerRadial[k + gridCols + 1] - c), Math.abs(cornerRadial[k + 1] - c));
      const azimuth = Math.atan2(t[0], t[1]);
      if (chi && chiDelta && cornerChi) {
        chi[idx] = azimuth;
        let d = 0;
        for (const kk of [k, k + gridCols, k + gridCols + 1, k + 1]) {
          const diff = Math.min(modTwoPi(cornerChi[kk] - azimuth), modTwoPi(azimuth - cornerChi[kk]));
          if (diff > d) d = diff;
        }
        chiDelta[idx] = d;
      }
      let n = 1;
      if (corrections.solidAngle) {
        const cos = poni.distance / Math.sqrt(d2 + p1 * p1 + p2 * p2);
        n = cos * cos * cos;
      }
      if (pol !== null) {
        const tth = Math.atan2(Math.hypot(t[0], t[1]), t[2]);
        const cos2 = Math.cos(tth) ** 2;
        n *= Math.fround(0.5 * (1 + cos2 - pol * Math.cos(2 * azimuth) * (1 - cos2)));
      }
      normalization[idx] = n;
    }
  }
  return { size, radial, radialDelta, chi, chiDelta, normalization };
}
