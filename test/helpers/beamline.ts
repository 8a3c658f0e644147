/** A fresh simulated beamline per test file: real gadgets, a temporary data directory, captured output. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Gadget, env, DummyMotor, DummyDetector, Dummy1dDetector, MemoryRecorder, DummyScheduler, MotorSnapshot,
} from "../../src/index.ts";

export const printed: string[] = [];
env.print = (text) => void printed.push(text);

/** What macros printed since the last call, as one string. */
export function takeOutput(): string {
  const out = printed.join("\n");
  printed.length = 0;
  return out;
}

export function tempDir(prefix = "contrast-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function resetBeamline() {
  for (const g of Gadget.getInstances()) g.dispose();
  env.paths.directory = tempDir();
  env.userLevel = 3;
  env.scheduler = new DummyScheduler();
  env.snapshot = new MotorSnapshot();
  env.hooks = {};
  env.shortcuts.clear();
  env.scope = {};
  takeOutput();
  const samx = new DummyMotor({ name: "samx" });
  const samy = new DummyMotor({ name: "samy", dialLimits: [-5, 5] });
  const gap = new DummyMotor({ name: "gap", userLevel: 4 });
  const det = new DummyDetector({ name: "det" });
  const spec = new Dummy1dDetector({ name: "spec" });
  const rec = new MemoryRecorder({ name: "mem" });
  return { samx, samy, gap, det, spec, rec };
}
