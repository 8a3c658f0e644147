export { Xspress3Simulator, DEFAULT_XSP3_ADDRESS, type Xspress3SimulatorOptions } from "./Xspress3Simulator.ts";
export { SpectrumModel, SIM_SAMPLE, peakSigma, type BeamSpot, type SampleElement, type SpectrumOptions } from "./spectra.ts";
export { LINES, type ElementLines } from "./lines.ts";
