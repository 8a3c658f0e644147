/**
 * Runs the queue's items one after the other through the shell (ShellLink),
 * once started: `start()` goes on until the queue is empty, `stop()` stops
 * after the item that runs. An item that fails or is aborted stops the queue
 * too: what comes after it may depend on it. Nothing starts the queue by
 * itself, not even a restart.
 */
import { stripVTControlCharacters } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { env } from "../environment/env.ts";
import { AbortError } from "../util/abort.ts";
import { errorText } from "../shell/errors.ts";
import type { HistoryItem, QueueStore } from "./QueueStore.ts";
import type { ShellLink } from "./ShellLink.ts";

/** What the runner tells its listeners (the event stream). */
export type QueueEvent =
  | { type: "queue" }
  | { type: "state" }
  | { type: "history"; item: HistoryItem }
  | { type: "console"; text: string };

/** How often the runner looks again while a typed line keeps the shell busy. */
const BUSY_RECHECK_MS = 100;

export class QueueRunner {
  /** true from start() until the queue ends or stops */
  running = false;
  /** stop() was asked: the queue stops after the item that runs */
  stopping = false;
  /** the item that runs */
  current: HistoryItem | null = null;
  private controller: AbortController | null = null;
  private readonly listeners = new Set<(e: QueueEvent) => void>();
  private loopDone: Promise<void> = Promise.resolve();

  constructor(readonly store: QueueStore, private readonly link: () => ShellLink) {}

  onEvent(listener: (e: QueueEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  emit(e: QueueEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** Starts the queue; false when it runs already. */
  start(): boolean {
    if (this.running) {
      this.stopping = false;
      return false;
    }
    this.running = true;
    this.stopping = false;
    this.emit({ type: "state" });
    this.loopDone = this.loop();
    return true;
  }

  /** Stops after the item that runs (at once when none runs). */
  stop(): void {
    if (!this.running) return;
    this.stopping = true;
    this.emit({ type: "state" });
  }

  /** Aborts the item that runs, as Ctrl-C would; false when none runs. */
  abortItem(): boolean {
    if (!this.controller) return false;
    this.controller.abort();
    return true;
  }

  /** Settles when the queue has stopped (at once when it does not run). */
  stopped(): Promise<void> {
    return this.loopDone;
  }

  /** For the shell's end: aborts the item that runs and waits until it has cleaned up. */
  async close(): Promise<void> {
    this.stopping = true;
    this.abortItem();
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    try {
      while (this.running && !this.stopping) {
        // a typed line (the qstart itself, say) ends first
        while (this.link().busy() && !this.stopping) await sleep(BUSY_RECHECK_MS);
        if (this.stopping) break;
        const item = this.store.take();
        if (!item) break;
        this.emit({ type: "queue" });
        const ok = await this.run(item);
        if (!ok && !this.stopping) {
          this.link().notice(`queue stopped: item #${item.id} ${this.current?.status ?? "did not finish"}`);
          break;
        }
      }
    } finally {
      this.running = false;
      this.stopping = false;
      this.current = null;
      this.emit({ type: "state" });
    }
  }

  /** Runs one item; true when it finished. */
  private async run(item: HistoryItem): Promise<boolean> {
    const controller = new AbortController();
    this.controller = controller;
    this.current = item;
    env.scan.reset();
    const stopWatching = env.scan.onChange(() => {
      const scan = env.scan.current;
      if (scan && item.scannr !== scan.scannr) {
        item.scannr = scan.scannr;
        this.store.setScan(item.id, scan.scannr);
      }
    });
    const restore = this.showOutput();
    this.emit({ type: "state" });
    const starting = `queue: item #${item.id}: ${item.line}`;
    this.emit({ type: "console", text: starting });
    this.link().notice(starting);
    let status: "finished" | "failed" | "interrupted" = "finished";
    let error: string | undefined;
    try {
      const result = await this.link().runLine(item.line, controller.signal);
      const scannr = (result as { scannr?: unknown } | undefined)?.scannr;
      if (typeof scannr === "number") this.store.setScan(item.id, scannr);
    } catch (e) {
      status = e instanceof AbortError || controller.signal.aborted ? "interrupted" : "failed";
      error = stripVTControlCharacters(errorText(e));
      if (status === "failed") env.print(errorText(e)); // an interrupted scan has said so itself
    } finally {
      restore();
      stopWatching();
      env.scan.reset();
      this.controller = null;
    }
    this.current = this.store.finish(item.id, status, error);
    this.emit({ type: "history", item: this.current });
    this.emit({ type: "state" });
    return status === "finished";
  }

  /**
   * While an item runs: its output goes to the event stream, and above the
   * prompt, where the person at the shell may be typing; the scan's progress
   * line is not drawn, as it would be drawn over the prompt.
   */
  private showOutput(): () => void {
    const print = env.print;
    const progress = env.progress;
    let inside = false;
    env.print = (text) => {
      if (inside) return print(text);
      this.emit({ type: "console", text: stripVTControlCharacters(text) });
      if (this.link().busy()) return print(text);
      inside = true;
      try {
        this.link().notice(text);
      } finally {
        inside = false;
      }
    };
    env.progress = undefined;
    return () => {
      env.print = print;
      env.progress = progress;
    };
  }
}
