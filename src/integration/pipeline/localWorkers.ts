/**
 * The receiver's local workers: threads of its own process (workerThread.ts).
 * A frame reaches one by a copy into the thread's slot of shared memory, which
 * costs a fraction of a socket hop. A thread that fails hands its frame to
 * another, or to the receiver when none is left, so no frame is lost.
 */
import type { Worker } from "node:worker_threads";
import { siblingModule } from "../../util/layout.ts";
import { startThread } from "../../util/threads.ts";
import type { IntegrationOptions, PreparedIntegration } from "../setup.ts";
import { integrateImage, MAX_PIXEL_BYTES, type ImageMessage } from "./image.ts";
import { RECEIVER, type Integrated } from "./results.ts";
import type { SlotFrame, ThreadData, ThreadReply } from "./workerThread.ts";

interface Job { m: ImageMessage; done: (r: Integrated) => void }

interface LocalWorker { id: number; thread: Worker; slot: Uint8Array; job: Job | null; ended: boolean }

export interface LocalWorkersEvents {
  /** a thread that failed, and why */
  log: (line: string) => void;
  /** a thread has its table */
  ready?: (id: number, fromCache: boolean, setupSeconds: number) => void;
}

export class LocalWorkers {
  private readonly running = new Set<LocalWorker>();
  private readonly idle: LocalWorker[] = [];
  /** frames of a thread that failed, for the next thread free */
  private readonly orphans: Job[] = [];
  private wakers: (() => void)[] = [];
  private stopping = false;

  private constructor(private readonly prepared: PreparedIntegration, private readonly events: LocalWorkersEvents) {}

  /** Starts `count` threads and settles when each has its table (or has failed, which is logged). */
  static async start(count: number, options: IntegrationOptions, prepared: PreparedIntegration, events: LocalWorkersEvents): Promise<LocalWorkers> {
    const pool = new LocalWorkers(prepared, events);
    const bytes = prepared.shape[0] * prepared.shape[1] * MAX_PIXEL_BYTES;
    await Promise.all(Array.from({ length: count }, (_, id) => pool.startOne(id, options, new SharedArrayBuffer(bytes))));
    return pool;
  }

  get size(): number {
    return this.running.size;
  }

  /** Hands `m` to an idle thread, `done` called with its outcome; the thread's id, or null when every thread is busy. */
  tryIntegrate(m: ImageMessage, done: (r: Integrated) => void): number | null {
    const w = this.idle.pop();
    if (!w) return null;
    this.run(w, { m, done });
    return w.id;
  }

  /** Stops thread `id` as a failing one stops: the frame it holds goes to another thread, or is integrated here. */
  kill(id: number): void {
    const w = [...this.running].find((r) => r.id === id);
    if (!w) return;
    this.lost(w, "stopped");
    void w.thread.terminate();
  }

  /** Hands `m` to the next thread free, waiting for one; false when no thread is left. */
  async integrateWhenFree(m: ImageMessage, done: (r: Integrated) => void): Promise<boolean> {
    while (this.tryIntegrate(m, done) === null) {
      if (!this.running.size) return false;
      await this.whenIdle();
    }
    return true;
  }

  /** Settles when a thread is idle or none is left. */
  whenIdle(): Promise<void> {
    if (this.idle.length || !this.running.size) return Promise.resolve();
    return new Promise((wake) => this.wakers.push(wake));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.running].map((w) => w.thread.terminate()));
  }

  private startOne(id: number, options: IntegrationOptions, slot: SharedArrayBuffer): Promise<void> {
    const thread = startThread(siblingModule("./workerThread.ts", import.meta.url), { options, slot } satisfies ThreadData);
    const w: LocalWorker = { id, thread, slot: new Uint8Array(slot), job: null, ended: false };
    return new Promise((ready) => {
      thread.on("message", (reply: ThreadReply) => {
        if (w.ended) return; // its frame went elsewhere
        if (reply.kind === "ready") {
          this.events.ready?.(id, reply.fromCache, reply.setupSeconds);
          this.running.add(w);
          this.release(w);
          ready();
          return;
        }
        const job = w.job!;
        w.job = null;
        job.done({ outcome: { series: job.m.series, frame: job.m.frame, skipped: null, badPixels: reply.badPixels, worker: id }, intensity: reply.intensity });
        this.release(w);
      });
      thread.on("error", (e) => this.lost(w, e.message));
      thread.on("exit", (code) => {
        this.lost(w, `exit ${code}`);
        ready();
      });
    });
  }

  private run(w: LocalWorker, job: Job): void {
    w.job = job;
    w.slot.set(job.m.data);
    w.thread.postMessage({ type: job.m.type, pixels: this.prepared.shape[0] * this.prepared.shape[1] } satisfies SlotFrame);
  }

  private release(w: LocalWorker): void {
    const orphan = this.orphans.shift();
    if (orphan) return this.run(w, orphan);
    this.idle.push(w);
    this.wake();
  }

  private lost(w: LocalWorker, why: string): void {
    if (w.ended) return;
    w.ended = true;
    this.running.delete(w);
    const i = this.idle.indexOf(w);
    if (i >= 0) this.idle.splice(i, 1);
    // when the pool stops, the frames its threads still hold are dropped with it
    if (!this.stopping) {
      this.events.log(`worker ${w.id} (a thread) ended: ${why}`);
      const job = w.job;
      if (job) {
        const other = this.idle.pop();
        if (other) this.run(other, job);
        else if (this.running.size) this.orphans.push(job);
        else job.done(integrateImage(job.m, this.prepared, RECEIVER));
      }
      if (!this.running.size) for (let o = this.orphans.shift(); o; o = this.orphans.shift()) o.done(integrateImage(o.m, this.prepared, RECEIVER));
    }
    w.job = null;
    this.wake();
  }

  private wake(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const wake of wakers) wake();
  }
}
