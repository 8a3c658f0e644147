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
  Hdf5Recorder, StreamRecorder, DEFAULT_STREAM_ADDRESS,
} from "../src/index.ts";

// motors
const samx = new DummyMotor({ name: "samx", velocity: 20 });
const samy = new DummyMotor({ name: "samy", velocity: 20, dialLimits: [-5, 5] });
new DummyMotor({ name: "gap", userLevel: 4 });
const energy = new DummyMotor({ name: "energy", velocity: 5, dialPosition: 10, dialLimits: [5, 30], precision: 4 });
const s1l = new DummyMotor({ name: "s1l", velocity: 2, dialPosition: -0.5, dialLimits: [-5, 5] });
const s1r = new DummyMotor({ name: "s1r", velocity: 2, dialPosition: 0.5, dialLimits: [-5, 5] });
slitPair(s1l, s1r, { gap: "s1gap", offset: "s1off" });

// the beam, which `beamloss <after_s> <duration_s>` takes away for a while
const beam = new SimulatedBeamScheduler();

// detectors: a sample with a bright spot at (samx, samy) = (0.5, 0.5) on a background of 10, all that is left without beam
const spot = () => (beam.beamUp ? 1000 * Math.exp(-((samx.now() - 0.5) ** 2 + (samy.now() - 0.5) ** 2) / 0.08) : 0) + 10;
new DummyDetector({ name: "det", signal: spot });
new Dummy1dDetector({ name: "spec", signal: spot });
new DummyDictDetector({ name: "counter" });
new Dummy2dDetector({ name: "cam", signal: spot, shape: [128, 128] });
new DummyWritingDetector({ name: "eiger", active: false });
// a fluorescence detector streaming like MAX IV's Xspress3 ($CONTRAST_XSP3, else tcp://127.0.0.1:9999); see docs/xrf.md
new Xspress3Simulator({
  name: "xsp3", active: false, address: process.env.CONTRAST_XSP3 || undefined,
  spot: () => ({ x: samx.now(), y: samy.now(), energy: energy.now() }),
});
new PseudoDetector({ name: "norm", expression: "det / counter.monitor" });

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
