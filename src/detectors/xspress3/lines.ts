/**
 * Fluorescence line energies (keV) of the elements of a steel lamella like
 * the paper's, and Pt from the ion-beam preparation. Kβ and Lβ sit beside
 * the main line at the given fraction of its intensity.
 */
export interface ElementLines {
  /** the main line: Kα, or Lα for Pt */
  main: number;
  /** the second line and its intensity relative to the main one */
  second: number;
  secondRatio: number;
}

export const LINES: Readonly<Record<string, ElementLines>> = {
  Ar: { main: 2.957, second: 3.190, secondRatio: 0.12 },
  Cr: { main: 5.415, second: 5.947, secondRatio: 0.13 },
  Mn: { main: 5.899, second: 6.490, secondRatio: 0.13 },
  Fe: { main: 6.404, second: 7.058, secondRatio: 0.13 },
  Co: { main: 6.930, second: 7.649, secondRatio: 0.13 },
  Ni: { main: 7.478, second: 8.265, secondRatio: 0.13 },
  Cu: { main: 8.048, second: 8.905, secondRatio: 0.13 },
  Pt: { main: 9.442, second: 11.071, secondRatio: 0.5 },
};
