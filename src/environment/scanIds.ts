import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { isRecord, readStateFile, writeStateFile } from "../util/stateFile.ts";

const FILE = ".contrast-scan-id.json";

/** The next number handed out in this session, per directory: numbers never go backwards, even if the directory is deleted. */
const sessionNext = new Map<string, number>();

function validate(data: unknown): string | null {
  if (!isRecord(data)) return "not a JSON object";
  const n = data.nextScanId;
  return Number.isSafeInteger(n) && (n as number) >= 0 ? null : `field nextScanId must be a whole number >= 0 (got ${JSON.stringify(n) ?? "nothing"})`;
}

/**
 * Scan numbers, persisted beside the data: the next number is kept in a small
 * file in the data directory, and never falls below one past the highest
 * NNNNNN.h5 already there, nor below a number this session already used, so
 * a restart never reuses a number. A corrupt file is moved aside (with a
 * warning) and the numbering goes on from the files.
 */
export function peekScanId(dir: string, warn: (text: string) => void = (t) => void process.stderr.write(t + "\n")): number {
  let next = Math.max(1, sessionNext.get(resolve(dir)) ?? 0);
  const saved = readStateFile<{ nextScanId: number }>(join(dir, FILE), validate, warn);
  if (saved) next = Math.max(next, saved.nextScanId);
  if (existsSync(dir)) {
    for (const f of readdirSync(dir)) {
      const m = /^(\d{6,})\.h5$/.exec(f);
      if (m) next = Math.max(next, Number(m[1]) + 1);
    }
  }
  return next;
}

export function saveScanId(dir: string, next: number): void {
  writeStateFile(join(dir, FILE), { nextScanId: next }, `saving the next scan number (${next})`);
}

/** Takes the next scan number and persists the one after it; nothing is taken if that fails. */
export function takeScanId(dir: string, warn?: (text: string) => void): number {
  const id = peekScanId(dir, warn);
  saveScanId(dir, id + 1);
  sessionNext.set(resolve(dir), id + 1);
  return id;
}
