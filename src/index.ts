/** Everything a beamline script or a procedure needs, from one import. */
export { Gadget } from "./gadget.ts";
export * from "./data/values.ts";
export * from "./environment/index.ts";
export * from "./macros/index.ts";
export * from "./motors/index.ts";
export * from "./detectors/index.ts";
export * from "./scans/index.ts";
export * from "./recorders/index.ts";
export * from "./xrf/index.ts";
export * from "./hardware/sim/index.ts";
export { AbortError } from "./util/abort.ts";
export * from "./tango/index.ts";
export * from "./remote/index.ts";
export * from "./integration/index.ts";
