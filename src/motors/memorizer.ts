import { env } from "../environment/env.ts";
import { finiteField, isRecord, readStateFile, writeStateFile } from "../util/stateFile.ts";
import { Motor } from "./Motor.ts";

/**
 * A named set of motor positions. `bookmark` stores dial positions, so a
 * bookmark survives `setpos`; bookmarks read from an old file (a list, one
 * motor each, named by their index) hold user positions instead.
 */
export interface Bookmark {
  /** dial positions by motor name */
  dial?: Record<string, number>;
  /** user positions by motor name (old bookmarks only) */
  user?: Record<string, number>;
  time: string;
  comment?: string;
}

/** An entry of the old, index-based bookmark list. */
interface OldBookmark {
  motor: string;
  position: number;
  comment: string;
  time: string;
}

type Saved = { offset: number; dialLimits: [number | null, number | null] };

interface Memory {
  motors: Record<string, Saved>;
  bookmarks: Record<string, Bookmark>;
}

function positionsProblem(p: unknown, where: string): string | null {
  if (!isRecord(p) || Object.keys(p).length === 0) return `field ${where} must be an object of motor positions`;
  for (const [motor, x] of Object.entries(p)) {
    const problem = finiteField(x, `${where}.${motor}`);
    if (problem) return problem;
  }
  return null;
}

/** Names the first field of a memory file that is wrong, or returns null. */
function validate(data: unknown): string | null {
  if (!isRecord(data)) return "not a JSON object";
  const motors = data.motors ?? {};
  if (!isRecord(motors)) return "field motors must be an object";
  for (const [name, saved] of Object.entries(motors)) {
    if (!isRecord(saved)) return `field motors.${name} must be an object`;
    const lim = saved.dialLimits;
    const problem = finiteField(saved.offset, `motors.${name}.offset`)
      ?? (Array.isArray(lim) && lim.length === 2 ? null : `field motors.${name}.dialLimits must be [low, high]`)
      ?? (lim as unknown[]).map((x, i) => (x === null ? null : finiteField(x, `motors.${name}.dialLimits[${i}]`))).find(Boolean)
      ?? null;
    if (problem) return problem;
  }
  const bookmarks = data.bookmarks ?? {};
  if (Array.isArray(bookmarks)) {
    for (const [i, b] of bookmarks.entries()) {
      if (!isRecord(b)) return `field bookmarks[${i}] must be an object`;
      for (const key of ["motor", "comment", "time"]) {
        if (typeof b[key] !== "string") return `field bookmarks[${i}].${key} must be a string (got ${JSON.stringify(b[key]) ?? "nothing"})`;
      }
      const problem = finiteField(b.position, `bookmarks[${i}].position`);
      if (problem) return problem;
    }
    return null;
  }
  if (!isRecord(bookmarks)) return "field bookmarks must be an object (or the old list)";
  for (const [name, b] of Object.entries(bookmarks)) {
    const where = `bookmarks.${name}`;
    if (!isRecord(b)) return `field ${where} must be an object`;
    if (typeof b.time !== "string") return `field ${where}.time must be a string (got ${JSON.stringify(b.time) ?? "nothing"})`;
    if (b.comment !== undefined && typeof b.comment !== "string") return `field ${where}.comment must be a string`;
    if ((b.dial === undefined) === (b.user === undefined)) return `field ${where} must have either dial or user positions`;
    const problem = b.dial !== undefined ? positionsProblem(b.dial, `${where}.dial`) : positionsProblem(b.user, `${where}.user`);
    if (problem) return problem;
  }
  return null;
}

/** Old bookmarks (a list) become bookmarks named by their index, holding the user position they had. */
function fromOld(list: OldBookmark[]): Record<string, Bookmark> {
  return Object.fromEntries(list.map((b, i) => [String(i), { user: { [b.motor]: b.position }, time: b.time, comment: b.comment }]));
}

/**
 * Persists motor offsets, limits and bookmarks to a JSON file, and restores
 * them for every motor that exists when `MotorMemorizer` is created (or is
 * created later: call `restore()` again after adding motors). A file that
 * does not validate is moved aside with a warning; a change that cannot be
 * saved is undone and the error names the file.
 */
export class MotorMemorizer {
  readonly file: string;
  private memory: Memory = { motors: {}, bookmarks: {} };
  private readonly listener = (m: Motor) => this.remember(m);

  constructor(file: string) {
    this.file = file;
    const saved = readStateFile<{ motors?: Memory["motors"]; bookmarks?: Memory["bookmarks"] | OldBookmark[] }>(file, validate, (text) => env.print(text));
    const bookmarks = saved?.bookmarks ?? {};
    if (saved) this.memory = { motors: saved.motors ?? {}, bookmarks: Array.isArray(bookmarks) ? fromOld(bookmarks) : bookmarks };
    this.restore();
    Motor.changeListeners.add(this.listener);
    MotorMemorizer.current = this;
  }

  /** The memorizer bookmarks go to; the last one created. */
  static current: MotorMemorizer | null = null;

  /** Applies remembered offsets and limits to the motors that exist now. */
  restore(): void {
    for (const m of Motor.getInstances()) {
      const saved = this.memory.motors[m.name];
      if (!saved) continue;
      m.offset = saved.offset;
      m.dialLimits = [saved.dialLimits[0] ?? -Infinity, saved.dialLimits[1] ?? Infinity];
    }
  }

  private remember(m: Motor): void {
    // JSON has no Infinity: open limits are stored as null
    const lim = m.dialLimits.map((x) => (Number.isFinite(x) ? x : null)) as [number | null, number | null];
    const before = this.memory.motors[m.name];
    this.memory.motors[m.name] = { offset: m.offset, dialLimits: lim };
    this.saveOrUndo(`saving ${m.name}'s offset and limits`, () => {
      if (before) this.memory.motors[m.name] = before;
      else delete this.memory.motors[m.name];
    });
  }

  get bookmarks(): Readonly<Record<string, Bookmark>> {
    return this.memory.bookmarks;
  }

  /** Stores (or replaces) the bookmark `name`. */
  setBookmark(name: string, b: Bookmark): void {
    const before = this.memory.bookmarks[name];
    this.memory.bookmarks[name] = b;
    this.saveOrUndo(`saving bookmark ${name}`, () => {
      if (before) this.memory.bookmarks[name] = before;
      else delete this.memory.bookmarks[name];
    });
  }

  /** Removes the named bookmarks (all of them or none, if the file cannot be written). */
  removeBookmarks(names: string[]): void {
    const before = { ...this.memory.bookmarks };
    for (const n of names) delete this.memory.bookmarks[n];
    this.saveOrUndo(`deleting ${names.length === 1 ? `bookmark ${names[0]}` : `${names.length} bookmarks`}`, () => (this.memory.bookmarks = before));
  }

  /** Writes the memory; if that fails, `undo` puts the memory back as it was and the error is thrown. */
  private saveOrUndo(action: string, undo: () => void): void {
    try {
      writeStateFile(this.file, this.memory, action);
    } catch (e) {
      undo();
      throw e;
    }
  }

  detach(): void {
    Motor.changeListeners.delete(this.listener);
    if (MotorMemorizer.current === this) MotorMemorizer.current = null;
  }
}
