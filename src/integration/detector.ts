/**
 * Area detectors as a PONI file names them: a generic one (pixel sizes and
 * shape) or an Eiger whose module gaps are masked, laid out as pyFAI does
 * (modules of 514 × 1030 pixels, gaps of 37 rows and 10 columns).
 */
export interface AreaDetector {
  name: string;
  /** pixel size along rows (dim 1, slow) and columns (dim 2, fast), metres */
  pixel1: number;
  pixel2: number;
  /** [rows, columns] */
  shape: [number, number];
  /** 1 = masked (module gaps); null when the detector has none */
  mask: Uint8Array | null;
}

const EIGER_MODULE = [514, 1030] as const;
const EIGER_GAP = [37, 10] as const;
const EIGER_SHAPES: Record<string, [number, number]> = {
  eiger500k: [514, 1030],
  eiger1m: [1065, 1030],
  eiger4m: [2167, 2070],
};
export const EIGER_NAMES = ["Eiger500k", "Eiger1M", "Eiger4M"];

export function eigerGapMask(shape: [number, number]): Uint8Array {
  const [rows, cols] = shape;
  const mask = new Uint8Array(rows * cols);
  for (let r0 = EIGER_MODULE[0]; r0 < rows; r0 += EIGER_MODULE[0] + EIGER_GAP[0])
    mask.fill(1, r0 * cols, Math.min(rows, r0 + EIGER_GAP[0]) * cols);
  for (let c0 = EIGER_MODULE[1]; c0 < cols; c0 += EIGER_MODULE[1] + EIGER_GAP[1])
    for (let r = 0; r < rows; r++) mask.fill(1, r * cols + c0, r * cols + Math.min(cols, c0 + EIGER_GAP[1]));
  return mask;
}

/** An Eiger by pyFAI's name (case-insensitive), or undefined. */
export function namedDetector(name: string): AreaDetector | undefined {
  const shape = EIGER_SHAPES[name.toLowerCase()];
  if (!shape) return undefined;
  const canonical = EIGER_NAMES.find((n) => n.toLowerCase() === name.toLowerCase()) ?? name;
  return { name: canonical, pixel1: 75e-6, pixel2: 75e-6, shape, mask: eigerGapMask(shape) };
}

export function genericDetector(pixel1: number, pixel2: number, shape: [number, number]): AreaDetector {
  return { name: "Detector", pixel1, pixel2, shape, mask: null };
}
