import { readFileSync, writeFileSync, renameSync, existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { Motor } from "./Motor.ts";

export interface Bookmark {
  motor: string;
  position: number;
  comment: string;
  time: string;
}

interface Memory {
  motors: Record<string, { offset: number; dialLimits: [number | null, number | null] }>;
  bookmarks: Bookmark[];
}

/**
 * Persists motor offsets, limits and bookmarks to a JSON file, and restores
 * them for every motor that exists when `MotorMemorizer` is created (or is
 * created later: call `restore()` again after adding motors).
 */
export class MotorMemorizer {
  readonly file: string;
  private memory: Memory = { motors: {}, bookmarks: [] };
  private readonly listener = (m: Motor) => this.remember(m);

  constructor(file: string) {
    this.file = file;
    if (existsSync(file)) {
      const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<Memory>;
      this.memory = { motors: parsed.motors ?? {}, bookmarks: parsed.bookmarks ?? [] };
    }
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
    this.memory.motors[m.name] = { offset: m.offset, dialLimits: lim };
    this.save();
  }

  get bookmarks(): readonly Bookmark[] {
    return this.memory.bookmarks;
  }

  addBookmark(b: Bookmark): number {
    this.memory.bookmarks.push(b);
    this.save();
    return this.memory.bookmarks.length - 1;
  }

  removeBookmark(index: number): Bookmark {
    const [b] = this.memory.bookmarks.splice(index, 1);
    this.save();
    return b;
  }

  private save(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.memory, null, 2));
    renameSync(tmp, this.file);
  }

  detach(): void {
    Motor.changeListeners.delete(this.listener);
    if (MotorMemorizer.current === this) MotorMemorizer.current = null;
  }
}
