/**
 * shell.startup_ms: from starting `node --import tsx src/shell/cli.ts beamlines/sim.ts` to its
 * first prompt (median of 5), with tsx's transpile cache warm, and the same with the cache
 * disabled (shell.startup_cold_ms: every file transpiled again, as on a first run).
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
function startupOnce(extraEnv: Record<string, string>): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "contrast-bench-shell-"));
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ["--import", "tsx", "src/shell/cli.ts", "beamlines/sim.ts"], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, CONTRAST_DATA_DIR: dir, CONTRAST_HISTORY: join(dir, "history"), CONTRAST_STREAM: "tcp://127.0.0.1:0", ...extraEnv },
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

async function median(extraEnv: Record<string, string>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await startupOnce(extraEnv));
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)]);
}

export async function benchShell(): Promise<{ name: string; value: number; unit: string }[]> {
  await startupOnce({}); // fills tsx's cache
  const warm = await median({});
  const cold = await median({ TSX_DISABLE_CACHE: "1" });
  return [
    { name: "shell.startup_ms", value: warm, unit: "ms" },
    { name: "shell.startup_cold_ms", value: cold, unit: "ms" },
  ];
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  for (const r of await benchShell()) console.log(`${r.name}: ${r.value} ${r.unit}`);
}
