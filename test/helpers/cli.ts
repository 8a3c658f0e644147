import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface Run { code: number | null; out: string; err: string }

/** Runs `node ARGS` in `cwd`, collecting its output. */
export function runNode(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      // no remote control (and no runtime file in the real ~/.contrast) unless a test asks for one
      cwd, env: { ...process.env, FORCE_COLOR: "0", CONTRAST_REMOTE: "off", ...env }, stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

/** Runs `contrast` as a user would. */
export function contrast(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return runNode(["bin/contrast.js", ...args], env);
}

/** A folder for scripts outside the project; it and their builds in dist/local go when the test ends. */
export function scriptDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "contrast-script-"));
  t.after(() => {
    for (const d of [dir, join(ROOT, "dist", "local", dir)]) rmSync(d, { recursive: true, force: true });
  });
  return dir;
}
