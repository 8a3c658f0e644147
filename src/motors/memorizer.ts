import { env } from "../environment/env.ts";
import { finiteField, isRecord, readStateFile, writeStateFile } from "../util/stateFile.ts";
import { Motor } from "./Motor.ts";

export interface Bookmark {
  motor: string;
  position: number;
  comment: string;
  time: string;
}

type Saved = { offset: number; dialLimits: [number | null, number | null] };

interface Memory {
  motors: Record<string, Saved>;
  bookmarks: Bookmark[];
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
  const bookmarks = data.bookmarks ?? [];
  if (!Array.isArray(bookmarks)) return "field bookmarks must be a list";
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

/**
 * Persists motor offsets, limits and bookmarks to a JSON file, and restores
 * them for every motor that exists when `MotorMemorizer` is created (or is
 * created later: call `restore()` again after adding motors). A file that
 * does not validate is moved aside with a warning; a change that cannot be
 * saved is undone and the error names the file.
 */
export class MotorMemorizer {
  readonly file: string;
  private memory: Memory = { motors: {}, bookmarks: [] };
  private readonly listener = (m: Motor) => this.remember(m);

  constructor(file: string) {
    this.file = file;
    const saved = readStateFile<Partial<Memory>>(file, validate, (text) => env.print(text));
    if (saved) this.memory = { motors: saved.motors ?? {}, bookmarks: saved.bookmarks ?? [] };
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

  get bookmarks(): readonly Bookmark[] {
    return this.memory.bookmarks;
  }

  addBookmark(b: Bookmark): number {
    this.memory.bookmarks.push(b);
    this.saveOrUndo("saving the bookmark", () => this.memory.bookmarks.pop());
    return this.memory.bookmarks.length - 1;
  }

  removeBookmark(index: number): Bookmark {
    const [b] = this.memory.bookmarks.splice(index, 1);
    this.saveOrUndo(`deleting bookmark ${index}`, () => this.memory.bookmarks.splice(index, 0, b));
    return b;
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
