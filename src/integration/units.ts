/**
 * Radial units as pyFAI names them. Bins are laid out in the unit's internal
 * quantity (q in nm⁻¹, 2θ in radians, r in metres) and only the bin centres
 * and the user's radial range are scaled, as pyFAI does, so edges agree.
 */
export type RadialUnitName = "q_nm^-1" | "q_A^-1" | "2th_deg" | "r_mm";

export interface RadialUnit {
  name: RadialUnitName;
  /** factor from the internal quantity to the unit shown */
  scale: number;
  /** the `units` attribute written beside the bin centres */
  label: string;
  /** internal quantity of a point given its scattering angle 2θ (rad) and its distance r (m) from the beam on a plane normal to it */
  fromAngle(tth: number, r: number, wavelength: number): number;
}

const q = (tth: number, _r: number, wavelength: number): number => (4e-9 * Math.PI / wavelength) * Math.sin(tth / 2);

export const RADIAL_UNITS: Record<RadialUnitName, RadialUnit> = {
  "q_nm^-1": { name: "q_nm^-1", scale: 1, label: "1/nm", fromAngle: q },
  "q_A^-1": { name: "q_A^-1", scale: 0.1, label: "1/angstrom", fromAngle: q },
  "2th_deg": { name: "2th_deg", scale: 180 / Math.PI, label: "degrees", fromAngle: (tth) => tth },
  "r_mm": { name: "r_mm", scale: 1000, label: "mm", fromAngle: (_tth, r) => r },
};

export function radialUnit(name: string): RadialUnit {
  const unit = (RADIAL_UNITS as Record<string, RadialUnit | undefined>)[name];
  if (!unit) throw new Error(`unknown radial unit '${name}' (one of ${Object.keys(RADIAL_UNITS).join(", ")})`);
  return unit;
}
