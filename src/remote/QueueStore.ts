/**
 * The macro queue and its history, in one SQLite file in the data directory,
 * so that both survive a restart of the shell. An item leaves the queue when
 * it starts and enters the history as `running`; its end sets the final
 * status. A history item still `running` whose shell is gone was cut short by
 * a crash: opening the store marks it `interrupted`.
 */
import { createRequire } from "node:module";
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type BetterSqlite3 from "better-sqlite3";

export type ItemStatus = "running" | "finished" | "interrupted" | "failed";

export interface QueueItem {
  id: number;
  line: string;
  /** 1 is the next to run */
  position: number;
  /** seconds since 1970 */
  addedAt: number;
  /** "local", or the remote role that queued it */
  addedBy: string;
}

export interface HistoryItem {
  id: number;
  line: string;
  status: ItemStatus;
  scannr: number | null;
  error: string | null;
  startedAt: number;
  endedAt: number | null;
  addedBy: string;
}

interface HistoryRow {
  id: number; line: string; status: ItemStatus; scannr: number | null; error: string | null;
  started_at: number; ended_at: number | null; added_by: string;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT, line TEXT NOT NULL, ord INTEGER NOT NULL,
    added_at REAL NOT NULL, added_by TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY, line TEXT NOT NULL, status TEXT NOT NULL, scannr INTEGER, error TEXT,
    started_at REAL NOT NULL, ended_at REAL, added_by TEXT NOT NULL, pid INTEGER);`;

let latest = 0;
/** Seconds since 1970, never the same twice in a process, so items taken in one millisecond keep their order in the history. */
const now = (): number => (latest = Math.max(Date.now() / 1000, latest + 1e-6));

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function historyItem(r: HistoryRow): HistoryItem {
  return { id: r.id, line: r.line, status: r.status, scannr: r.scannr, error: r.error, startedAt: r.started_at, endedAt: r.ended_at, addedBy: r.added_by };
}

/** Opens (or creates) the database; better-sqlite3 loads here, so a shell that never queues anything does not load it. */
function openDatabase(file: string): BetterSqlite3.Database {
  let Database: typeof BetterSqlite3;
  try {
    Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;
  } catch (e) {
    throw new Error(`the queue needs better-sqlite3, which does not load (${e instanceof Error ? e.message : String(e)}): run npm install`);
  }
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 2000");
  db.exec(SCHEMA);
  return db;
}

export class QueueStore {
  private handle: BetterSqlite3.Database | null = null;

  private constructor(readonly file: string) {}

  /** The database, opened on first use: until something is queued the data directory holds no open file of ours. */
  private get db(): BetterSqlite3.Database {
    return (this.handle ??= openDatabase(this.file));
  }

  /** The store; when its file exists, items cut short by a crash are marked `interrupted` now, and returned. */
  static open(file: string): { store: QueueStore; interrupted: HistoryItem[] } {
    const store = new QueueStore(file);
    return { store, interrupted: existsSync(file) ? store.markCrashed() : [] };
  }

  close(): void {
    this.handle?.close();
    this.handle = null;
  }

  list(): QueueItem[] {
    const rows = this.db.prepare("SELECT id, line, added_at, added_by FROM queue ORDER BY ord, id").all() as
      { id: number; line: string; added_at: number; added_by: string }[];
    return rows.map((r, i) => ({ id: r.id, line: r.line, position: i + 1, addedAt: r.added_at, addedBy: r.added_by }));
  }

  get length(): number {
    return (this.db.prepare("SELECT count(*) AS n FROM queue").get() as { n: number }).n;
  }

  /** Adds a line at the end, or at `position` (1 = next). */
  add(line: string, addedBy: string, position?: number): QueueItem {
    return this.db.transaction(() => {
      const { lastInsertRowid } = this.db.prepare("INSERT INTO queue (line, ord, added_at, added_by) VALUES (?, ?, ?, ?)")
        .run(line, Number.MAX_SAFE_INTEGER, now(), addedBy);
      const id = Number(lastInsertRowid);
      this.place(id, position);
      return this.get(id) as QueueItem;
    })();
  }

  get(id: number): QueueItem | undefined {
    return this.list().find((item) => item.id === id);
  }

  remove(id: number): boolean {
    return this.db.prepare("DELETE FROM queue WHERE id = ?").run(id).changes > 0;
  }

  /** Moves item `id` to `position` (1 = next); false when there is no such item. */
  move(id: number, position: number): boolean {
    return this.db.transaction(() => {
      if (!this.get(id)) return false;
      this.place(id, position);
      return true;
    })();
  }

  /** Empties the queue; returns how many items it held. */
  clear(): number {
    return this.db.prepare("DELETE FROM queue").run().changes;
  }

  /** Takes the next item off the queue into the history as `running`; null when the queue is empty. */
  take(): HistoryItem | null {
    return this.db.transaction(() => {
      const next = this.list()[0];
      if (!next) return null;
      this.db.prepare("DELETE FROM queue WHERE id = ?").run(next.id);
      this.db.prepare("INSERT INTO history (id, line, status, started_at, added_by, pid) VALUES (?, ?, 'running', ?, ?, ?)")
        .run(next.id, next.line, now(), next.addedBy, process.pid);
      return this.historyItem(next.id);
    })();
  }

  setScan(id: number, scannr: number): void {
    this.db.prepare("UPDATE history SET scannr = ? WHERE id = ?").run(scannr, id);
  }

  finish(id: number, status: Exclude<ItemStatus, "running">, error?: string): HistoryItem {
    this.db.prepare("UPDATE history SET status = ?, error = ?, ended_at = ? WHERE id = ?").run(status, error ?? null, now(), id);
    return this.historyItem(id) as HistoryItem;
  }

  /** The last `limit` items run, oldest first. */
  history(limit = 100): HistoryItem[] {
    const rows = this.db.prepare("SELECT * FROM (SELECT * FROM history ORDER BY started_at DESC, id DESC LIMIT ?) ORDER BY started_at, id")
      .all(limit) as HistoryRow[];
    return rows.map(historyItem);
  }

  private historyItem(id: number): HistoryItem | null {
    const row = this.db.prepare("SELECT * FROM history WHERE id = ?").get(id) as HistoryRow | undefined;
    return row ? historyItem(row) : null;
  }

  /** Puts `id` at `position` (clamped to the queue) and numbers the rest in order. */
  private place(id: number, position?: number): void {
    const ids = this.list().map((item) => item.id).filter((x) => x !== id);
    const at = position === undefined ? ids.length : Math.min(Math.max(Math.trunc(position) - 1, 0), ids.length);
    ids.splice(at, 0, id);
    const set = this.db.prepare("UPDATE queue SET ord = ? WHERE id = ?");
    ids.forEach((x, i) => set.run(i, x));
  }

  /** Opened once per shell, at its start: an item `running` under this very pid is a dead shell's whose pid came round again. */
  private markCrashed(): HistoryItem[] {
    const running = this.db.prepare("SELECT id, pid FROM history WHERE status = 'running'").all() as { id: number; pid: number | null }[];
    const gone = running.filter((r) => r.pid === null || r.pid === process.pid || !processAlive(r.pid));
    return gone.map((r) => this.finish(r.id, "interrupted", "the shell ended while it ran"));
  }
}
