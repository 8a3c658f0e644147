/**
 * System parts some tests talk to (Debian's h5py, TangoTest, chromium).
 * On a plain machine those tests skip with a one-line reason; with
 * CONTRAST_REQUIRE_SYSTEM=1 (as in CI) a missing part is a failure instead.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export const SYSTEM_PYTHON = "/usr/bin/python3";
export const TANGO_TEST_BINARY = "/usr/lib/tango/TangoTest";
export const CHROMIUM = "/usr/bin/chromium";

const required = process.env.CONTRAST_REQUIRE_SYSTEM === "1";

function pythonHas(module: string): boolean {
  if (!existsSync(SYSTEM_PYTHON)) return false;
  return spawnSync(SYSTEM_PYTHON, ["-c", `import ${module}`], { stdio: "ignore" }).status === 0;
}

/** Returns a skip reason, or false when `present`; throws when the part is required but missing. */
export function needs(what: string, present: boolean): string | false {
  if (present) return false;
  const reason = `${what} is not installed here (CI installs it from Debian)`;
  if (required) throw new Error(`CONTRAST_REQUIRE_SYSTEM=1 but ${reason}`);
  return reason;
}

let h5pyCache: string | false | undefined;
/** `{ skip: needsH5py() }` for tests that read files back with Debian's h5py. */
export function needsH5py(): string | false {
  return (h5pyCache ??= needs("python3-h5py", pythonHas("h5py") && pythonHas("numpy")));
}

let zmqCache: string | false | undefined;
export function needsPyzmq(): string | false {
  return (zmqCache ??= needs("python3-zmq", pythonHas("zmq") && pythonHas("numpy")));
}

let pyfaiCache: string | false | undefined;
/** pyFAI, the independent reference for the radial integration tests */
export function needsPyFAI(): string | false {
  return (pyfaiCache ??= needs("python3-pyfai", pythonHas("pyFAI") && pythonHas("h5py")));
}

let tangoCache: string | false | undefined;
export function needsTango(): string | false {
  return (tangoCache ??= needs("tango-test and python3-tango", existsSync(TANGO_TEST_BINARY) && pythonHas("tango")));
}

let chromiumCache: string | false | undefined;
export function needsChromium(): string | false {
  return (chromiumCache ??= needs("chromium", existsSync(CHROMIUM)));
}

/** Runs a Python script with Debian's python3 and returns its stdout parsed as JSON. */
/** Python that imports h5py and defines clean(v): a value read by h5py as plain JSON (bytes as text, NaN as "NaN"). */
export const PY_PLAIN_VALUES = String.raw`import h5py, json, sys, math, numpy as np
def clean(v):
    if isinstance(v, bytes): return v.decode()
    if isinstance(v, np.ndarray): return clean(v.tolist())
    if isinstance(v, np.generic): return clean(v.item())
    if isinstance(v, (list, tuple)): return [clean(x) for x in v]
    if isinstance(v, dict): return {k: clean(x) for k, x in v.items()}
    if isinstance(v, float) and math.isnan(v): return "NaN"
    return v
`;

export function runPython<T = unknown>(script: string, args: string[] = []): T {
  const r = spawnSync(SYSTEM_PYTHON, ["-c", script, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
