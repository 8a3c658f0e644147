/**
 * The paper's Fig. 2c: a procedure is a plain script that calls runCommand.
 * Run it on the simulated beamline, exiting with its status (0 done, 1 failed, 130 Ctrl-C):
 *   node bin/contrast.js beamlines/sim.ts examples/energy-series.ts
 * or from the shell: await import("./examples/energy-series.ts")
 * Ctrl-C stops the macro that runs and the procedure with it.
 */
import "../beamlines/sim.ts";
import "./spiral.ts";
import { runCommand } from "../src/index.ts";

const energies = Array.from({ length: 5 }, (_, i) => 10 + i * 0.25);
for (const E of energies) {
  await runCommand(`umv energy ${E}`);
  await runCommand("spiral samx samy 0.1 20 0.01");
}
