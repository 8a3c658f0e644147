/**
 * The simulated beamline: the paper's Fig. 1b and a bit more. Needs nothing
 * but Node. Data go to $CONTRAST_DATA_DIR, else ./data; the stream is
 * published on $CONTRAST_STREAM, else tcp://127.0.0.1:5556, as JSON frames, or
 * as the original Contrast's pickled dicts when $CONTRAST_STREAM_FORMAT=pickle.
 */
import { join } from "node:path";
import {
  env, DummyMotor, DummyDetector, Dummy1dDetector, Dummy2dDetector, DummyDictDetector,
  DummyWritingDetector, Xspress3Simulator, PseudoDetector, MotorMemorizer, slitPair, SimulatedBeamScheduler, MotorSnapshot,
  Hdf5Recorder, StreamRecorder, DEFAULT_STREAM_ADDRESS, SimulatedEiger, DEFAULT_EIGER_STREAM, PiezoStage, PandaBox,
} from "../src/index.ts";

// motors
const samx = new DummyMotor({ name: "samx", velocity: 20 });
const samy = new DummyMotor({ name: "samy", velocity: 20, dialLimits: [-5, 5] });
new DummyMotor({ name: "gap", userLevel: 4 });
const energy = new DummyMotor({ name: "energy", velocity: 5, dialPosition: 10, dialLimits: [5, 30], precision: 4 });
const s1l = new DummyMotor({ name: "s1l", velocity: 2, dialPosition: -0.5, dialLimits: [-5, 5] });
const s1r = new DummyMotor({ name: "s1r", velocity: 2, dialPosition: 0.5, dialLimits: [-5, 5] });
slitPair(s1l, s1r, { gap: "s1gap", offset: "s1off" });

// a piezo stage on top (nPoint LC400-like), 0..100 µm, pzx the fly axis (docs/flyscans.md)
const lc400 = new PiezoStage({ name: "lc400" });
const pzx = lc400.axis({ name: "pzx", dialLimits: [0, 100] });
const pzy = lc400.axis({ name: "pzy", dialLimits: [0, 100] });

// the beam, which `beamloss <after_s> <duration_s>` takes away for a while
const beam = new SimulatedBeamScheduler();

// detectors: a sample with a bright spot at (samx, samy) = (0.5, 0.5) mm and a 10 µm particle
// at (60, 40) µm, seen through the piezo stage: a triggered frame passes its trigger time, so a fly
// map and a stepped map of pzx, pzy show the same particle; without beam only the background of 10 is left
const spot = (t?: number) => {
  if (!beam.beamUp) return 10;
  const now = t ?? performance.now();
  const x = samx.now() * 1000 + pzx.positionAt(now);
  const y = samy.now() * 1000 + pzy.positionAt(now);
  return 1000 * Math.exp(-((x - 500) ** 2 + (y - 500) ** 2) / 80_000) + 500 * Math.exp(-((x - 60) ** 2 + (y - 40) ** 2) / 128) + 10;
};
const det = new DummyDetector({ name: "det", signal: spot, hwTrigMinLatency: 0.00005 });
const spec = new Dummy1dDetector({ name: "spec", signal: spot, hwTrigMinLatency: 0.0001 });
new DummyDictDetector({ name: "counter" });
const cam = new Dummy2dDetector({ name: "cam", signal: spot, shape: [128, 128], hwTrigMinLatency: 0.0005 });
const eiger = new DummyWritingDetector({ name: "eiger", active: false, hwTrigMinLatency: 0.0001 });
// a fluorescence detector streaming like MAX IV's Xspress3 ($CONTRAST_XSP3, else tcp://127.0.0.1:9999); see docs/xrf.md
new Xspress3Simulator({
  name: "xsp3", active: false, address: process.env.CONTRAST_XSP3 || undefined,
  spot: () => ({ x: samx.now(), y: samy.now(), energy: energy.now() }),
});
// 2167 × 2070 frames with powder rings, streamed for the integration pipeline (`integrate`)
new SimulatedEiger({
  name: "eiger4m", active: false, address: process.env.CONTRAST_EIGER_STREAM || DEFAULT_EIGER_STREAM,
  poni: { distance: 0.3, poni1: 0.0801, poni2: 0.0783, rot1: 0, rot2: 0, rot3: 0, wavelength: 1e-10, detector: "Eiger4M" },
});
new PseudoDetector({ name: "norm", expression: "det / counter.monitor" });

// the trigger box (PandABox-like): started at each line's start by the stage, it triggers
// det, spec, cam and eiger, and reads both encoders
const panda0 = new PandaBox({ name: "panda0", encoders: [pzx, pzy], triggerSource: lc400.lineStart });
for (const d of [det, spec, cam, eiger]) d.triggerSource = panda0.triggers;

// environment
env.userLevel = 3;
env.scheduler = beam;
env.snapshot = new MotorSnapshot();
new MotorMemorizer(join(env.paths.directory, ".contrast-motors.json"));

// recorders, each in a process of its own: one HDF5 file per scan, and the ZeroMQ stream
const h5rec = new Hdf5Recorder({ name: "h5rec" });
const format = process.env.CONTRAST_STREAM_FORMAT || "json";
if (format !== "json" && format !== "pickle") env.print(`warning: CONTRAST_STREAM_FORMAT must be json or pickle, not '${format}'; streaming json`);
const stream = new StreamRecorder({
  name: "stream", address: process.env.CONTRAST_STREAM || DEFAULT_STREAM_ADDRESS, format: format === "pickle" ? "pickle" : "json",
});
// started in the background so the prompt comes at once; a scan waits until they are ready
h5rec.start().catch((e: unknown) => env.print(`warning: ${e instanceof Error ? e.message : String(e)}; scans are refused until it runs (lsrec)`));
stream.start().catch((e: unknown) => {
  stream.active = false; // a busy port should not stop the beamline: scans go on without the stream
  env.print(`warning: ${e instanceof Error ? e.message : String(e)}; going on without the stream`);
});
