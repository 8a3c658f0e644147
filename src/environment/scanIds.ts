import { readFileSync, writeFileSync, readdirSync, renameSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";

const FILE = ".contrast-scan-id.json";

/**
 * Scan numbers, persisted beside the data: the next number is kept in a small
 * file in the data directory, and never falls below one past the highest
 * NNNNNN.h5 already there, so a restart never reuses a number.
 */
export function peekScanId(dir: string): number {
  let next = 1;
  const file = join(dir, FILE);
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, "utf8")) as { nextScanId?: number };
    if (Number.isInteger(saved.nextScanId)) next = saved.nextScanId as number;
  }
  if (existsSync(dir)) {
    for (const f of readdirSync(dir)) {
      const m = /^(\d{6,})\.h5$/.exec(f);
      if (m) next = Math.max(next, Number(m[1]) + 1);
    }
  }
  return next;
}

export function saveScanId(dir: string, next: number): void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, FILE);
  writeFileSync(file + ".tmp", JSON.stringify({ nextScanId: next }));
  renameSync(file + ".tmp", file);
}

/** Takes the next scan number and persists the one after it. */
export function takeScanId(dir: string): number {
  const id = peekScanId(dir);
  saveScanId(dir, id + 1);
  return id;
}
