/**
 * A beamline made of the TangoTest device server, through the Tango REST API. Start
 * TangoTest and the gateway first (docs/tango.md), then:
 *   node bin/contrast.js beamlines/tangotest.ts
 * $CONTRAST_TANGO_REST is the REST base URL, $CONTRAST_TANGO_PORT the Tango port, and
 * data (one HDF5 file per scan) go to $CONTRAST_DATA_DIR, else ./data.
 */
import { join } from "node:path";
import {
  env, TangoRestClient, TangoAttributeMotor, TangoAttributeDetector, DummyScheduler, MotorSnapshot, MotorMemorizer,
  Hdf5Recorder,
} from "../src/index.ts";

const tangoPort = Number(process.env.CONTRAST_TANGO_PORT ?? 10000);
if (!Number.isInteger(tangoPort) || tangoPort <= 0) throw new Error(`CONTRAST_TANGO_PORT is not a port: ${process.env.CONTRAST_TANGO_PORT}`);
const client = new TangoRestClient({
  baseUrl: process.env.CONTRAST_TANGO_REST ?? "http://127.0.0.1:8080/tango/rest/v11",
  tangoPort,
});
const device = "sys/tg_test/1";

// motors
new TangoAttributeMotor({ name: "dsw", client, device, attribute: "double_scalar_w", dialLimits: [-1000, 1000] });

// detectors
new TangoAttributeDetector({ name: "ds", client, device, attribute: "double_scalar" });
new TangoAttributeDetector({ name: "ls", client, device, attribute: "long_scalar" });
new TangoAttributeDetector({ name: "spec", client, device, attribute: "double_spectrum_ro" });

// environment
env.userLevel = 3;
env.scheduler = new DummyScheduler();
env.snapshot = new MotorSnapshot();
new MotorMemorizer(join(env.paths.directory, ".contrast-motors.json"));

// the HDF5 recorder, in a process of its own, started in the background; a scan waits until it is ready
const h5rec = new Hdf5Recorder({ name: "h5rec" });
h5rec.start().catch((e: unknown) => env.print(`warning: ${e instanceof Error ? e.message : String(e)}; scans are refused until it runs (lsrec)`));
