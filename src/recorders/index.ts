export { Recorder, MemoryRecorder } from "./Recorder.ts";
export type { ScanHeader, ScanPoint, ScanFooter, ScanMessage, ScanStatus } from "./messages.ts";
