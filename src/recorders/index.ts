export { Recorder, MemoryRecorder } from "./Recorder.ts";
export type { ScanHeader, ScanPoint, ScanFooter, ScanMessage, ScanStatus, ScanSuspension, Suspension } from "./messages.ts";
export { ProcessRecorder, type ProcessRecorderOptions, type ChildSpec } from "./process/ProcessRecorder.ts";
export { CannotOpen, type RecorderChild, type OpenRecorder } from "./process/RecorderChild.ts";
export { Hdf5Recorder, type Hdf5RecorderOptions } from "./hdf5/Hdf5Recorder.ts";
export { StreamRecorder, DEFAULT_STREAM_ADDRESS, type StreamRecorderOptions } from "./stream/StreamRecorder.ts";
export { LivePlotRecorder, type LivePlotRecorderOptions } from "./liveplot/LivePlotRecorder.ts";
export type { RecorderRow } from "./macros.ts";
import "./macros.ts";
