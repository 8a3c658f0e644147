export { SimulatedEiger, DEFAULT_EIGER_STREAM, type SimulatedEigerOptions } from "./SimulatedEiger.ts";
export { parseStreamMessage, type StreamMessage, type DetectorConfig } from "./streamV1.ts";
