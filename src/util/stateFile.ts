import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Small JSON files the shell keeps between sessions (scan numbers, motor
 * memory). Writing is atomic (a .tmp file renamed over the old one) and a
 * failed write leaves no .tmp behind; reading validates every field, and a
 * file that does not validate is moved aside so that the shell still starts.
 */

/** Names what is wrong with `data`, or returns null when every field is right. */
export type Validate = (data: unknown) => string | null;

/** Writes `data` as JSON to `file`; on failure throws `<action>: cannot write <file>: <cause>`. */
export function writeStateFile(file: string, data: unknown, action: string): void {
  const tmp = `${file}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, JSON.stringify(data, null, 2));
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new Error(`${action}: cannot write ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Corrupt files that could not be moved aside (a read-only directory): warned about once only. */
const stuck = new Set<string>();

/**
 * Reads and validates a state file. Returns null when it does not exist, or
 * when it does not validate: then it is renamed to `<file>.corrupt-<time>`
 * and `warn` is told which file, which field, and where the file went.
 */
export function readStateFile<T>(file: string, validate: Validate, warn: (text: string) => void): T | null {
  if (!existsSync(file)) return null;
  let problem: string | null;
  let data: unknown;
  const why = (e: unknown) => (e instanceof Error ? e.message : String(e));
  try {
    const text = readFileSync(file, "utf8");
    try {
      data = JSON.parse(text);
      problem = validate(data);
    } catch (e) {
      problem = `not valid JSON (${why(e)})`;
    }
  } catch (e) {
    problem = `cannot be read (${why(e)})`;
  }
  if (problem === null) return data as T;
  if (stuck.has(file)) return null; // told once already
  const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  let where: string;
  try {
    renameSync(file, aside);
    where = `moved aside to ${aside}`;
  } catch (e) {
    where = `could not be moved aside (${why(e)})`;
    stuck.add(file);
  }
  warn(`warning: ${file}: ${problem}; the file is ignored and ${where}`);
  return null;
}

/** Field checks for validators: each returns a problem or null. */
export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

export function finiteField(value: unknown, field: string): string | null {
  return typeof value === "number" && Number.isFinite(value) ? null : `field ${field} must be a finite number (got ${JSON.stringify(value) ?? "nothing"})`;
}
