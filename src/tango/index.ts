/** Tango hardware over the Tango REST API: the client and the gadgets built on it. */
export { TangoRestClient, TangoError } from "./client.ts";
export type * from "./types.ts";
export { TangoMotor, type TangoMotorOptions } from "./TangoMotor.ts";
export { TangoAttributeMotor, type TangoAttributeMotorOptions } from "./TangoAttributeMotor.ts";
export { TangoAttributeDetector, type TangoAttributeDetectorOptions } from "./TangoAttributeDetector.ts";
export { TangoPathFixer, type TangoPathFixerOptions } from "./TangoPathFixer.ts";
export {
  TangoScheduler, type TangoSchedulerOptions, type TangoAttributeRef, type TangoShutterRef,
} from "./TangoScheduler.ts";
