/**
 * shell.startup_ms: from starting `node bin/contrast.js beamlines/sim.ts` (what `npm start`
 * runs) to its first prompt, median of 5, with dist/ up to date; and shell.startup_cold_ms,
 * the same when dist/ must first be rebuilt, as after editing a source file or the setup script.
 *
 *   node --import tsx bench/shell.ts
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RUNS = 5;

/** Milliseconds from spawning the shell to its prompt on stdout (a pipe, so no terminal). */
function startupOnce(cold: boolean): Promise<number> {
  if (cold) for (const stale of ["dist/stamp", "dist/local"]) rmSync(join(ROOT, stale), { recursive: true, force: true });
  const dir = mkdtempSync(join(tmpdir(), "contrast-bench-shell-"));
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ["bin/contrast.js", "beamlines/sim.ts"], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, CONTRAST_DATA_DIR: dir, CONTRAST_HISTORY: join(dir, "history"), CONTRAST_REMOTE_FILE: join(dir, "remote.json"), CONTRAST_STREAM: "tcp://127.0.0.1:0" },
    });
    let out = "";
    let t: number | undefined;
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (t === undefined && /\[\d+\] contrast> /.test(out)) {
        t = performance.now() - t0;
        child.stdin.end(); // Ctrl-D: let it close its recorders
      }
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      rmSync(dir, { recursive: true, force: true });
      if (t === undefined) reject(new Error(`the shell exited (${code}) before its prompt:\n${out}`));
      else resolve(t);
    });
  });
}

async function median(cold: boolean): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await startupOnce(cold));
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)]);
}

export async function benchShell(): Promise<{ name: string; value: number; unit: string }[]> {
  const cold = await median(true);
  const warm = await median(false);
  return [
    { name: "shell.startup_ms", value: warm, unit: "ms" },
    { name: "shell.startup_cold_ms", value: cold, unit: "ms" },
  ];
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  for (const r of await benchShell()) console.log(`${r.name}: ${r.value} ${r.unit}`);
}
