export { XrfMapRecorder, type XrfMapRecorderOptions } from "./XrfMapRecorder.ts";
export { loadRois, parseRois, type Roi, type RoiSet } from "./rois.ts";
export { xrfFileName } from "./fileName.ts";
import "./macros.ts";
