export { SoftwareScan, type Position, type ScanResult } from "./SoftwareScan.ts";
export { AScan, DScan } from "./AScan.ts";
export { Mesh, DMesh } from "./Mesh.ts";
export { FlyScan, DFlyScan } from "./FlyScan.ts";
export { ListScan, LoopScan } from "./ListScan.ts";
export { SpiralScan, FermatScan } from "./spirals.ts";
export { Tweak } from "./tweak.ts";
import "./statsMacros.ts";
export { peakStats, gridStats, plotSelection, type PeakStats, type ScanStats } from "./stats.ts";
