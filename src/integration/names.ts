/** Where integrated results go: the file of a series (scan) and the group inside it. */
export const INTEGRATED_PATH = "entry/integrated";
export const integratedFileName = (series: number): string => `scan_${String(series).padStart(6, "0")}_integrated.h5`;
