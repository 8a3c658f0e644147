/**
 * A recorder that runs in a child process of its own, so that writing files
 * never holds up the scan loop and a crash of either side leaves the other
 * standing. A subclass names the module the child runs (it exports
 * `openRecorder`, see RecorderChild.ts) and the options it gets.
 *
 * send(): a header resolves once the child has accepted it (a refusal
 * refuses the scan); a point resolves at once unless the backlog (points
 * sent but not yet stored) is over its limit; a footer resolves once the
 * child has closed the scan (the data are on disk).
 */
import chalk from "chalk";
import { env } from "../../environment/env.ts";
import type { ScanMessage } from "../messages.ts";
import { Recorder } from "../Recorder.ts";
import { RecorderProcess } from "./RecorderProcess.ts";
import type { PackedPoint } from "./blobs.ts";

export interface ProcessRecorderOptions {
  name: string;
  userLevel?: number;
  /** a scan waits while this many points are not yet stored (default 1000) */
  maxBacklogPoints?: number;
  /** ...or this many bytes (default 512 MB) */
  maxBacklogBytes?: number;
  /** when the recorder dies, scans go on without it (a warning is printed) instead of failing */
  continueOnDeath?: boolean;
  /** how long stop() lets the child close its files before killing it (default 30 s) */
  stopTimeoutMs?: number;
  /** how long start() waits for the child (default 30 s) */
  startTimeoutMs?: number;
}

/** The module the child runs (it exports openRecorder) and what it is given. */
export interface ChildSpec {
  module: URL;
  options: object;
  /** extra options for the child's node, e.g. V8 flags */
  nodeFlags?: string[];
}

type State = "not started" | "starting" | "running" | "stopping" | "stopped" | "dead";

/** A child silent this long (it beats every second) is reported as not answering. */
export const STALL_MS = 4000;
export const NOT_ANSWERING = "not answering";

const text = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

export abstract class ProcessRecorder extends Recorder {
  maxBacklogPoints: number;
  maxBacklogBytes: number;
  stopTimeoutMs: number;
  startTimeoutMs: number;

  private proc: RecorderProcess | undefined;
  private state: State = "not started";
  private reason: string | undefined;
  private deathMessage = "";
  private lastStatus = "";
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  /** printed once per scan */
  private saidWaiting = false;
  private saidDead = false;
  private saidStalled = false;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(opts: ProcessRecorderOptions, private readonly spec: ChildSpec) {
    super(opts);
    this.maxBacklogPoints = opts.maxBacklogPoints ?? 1000;
    this.maxBacklogBytes = opts.maxBacklogBytes ?? 512e6;
    this.continueOnDeath = opts.continueOnDeath ?? false;
    this.stopTimeoutMs = opts.stopTimeoutMs ?? 30_000;
    this.startTimeoutMs = opts.startTimeoutMs ?? 30_000;
  }

  /** The child's process id while it runs. */
  get pid(): number | undefined {
    return this.proc?.exited === false ? this.proc.pid : undefined;
  }

  /** What the child reported when it started (e.g. `{ address }`); empty before. */
  protected get childInfo(): Record<string, string> {
    return this.proc?.info ?? {};
  }

  /** Points sent to the child and not yet stored, and their size in bytes. */
  backlog(): { points: number; bytes: number } {
    return { points: this.proc?.points ?? 0, bytes: this.proc?.bytes ?? 0 };
  }

  /** Whole seconds the running child has been silent, once that is over STALL_MS; else 0. */
  stalledFor(): number {
    const ms = this.state === "running" ? this.proc?.silentFor() ?? 0 : 0;
    return ms > STALL_MS ? Math.floor(ms / 1000) : 0;
  }

  isAlive(): boolean {
    return this.state === "running" && !this.stalledFor();
  }

  override deathReason(): string | undefined {
    if (this.state === "dead") return this.reason;
    const stalled = this.stalledFor();
    if (stalled) return `${NOT_ANSWERING} for ${stalled} s: its process (pid ${this.pid}) is stopped or its disk hangs`;
    return this.state === "running" ? undefined : this.state;
  }

  /** Says so when the child stops answering while the shell waits for it, and when it answers again. */
  private watch(proc: RecorderProcess): void {
    clearInterval(this.watchdog);
    this.watchdog = setInterval(() => {
      if (proc !== this.proc || proc.exited) return clearInterval(this.watchdog);
      const stalled = this.stalledFor();
      if (stalled && proc.waiting && !this.saidStalled) {
        this.saidStalled = true;
        env.print(chalk.yellow(`recorder ${this.name} has not answered for ${stalled} s (${proc.points} points not yet stored): `
          + `its process (pid ${this.pid}) is stopped or its disk hangs; Ctrl-C gives up waiting for it`));
      } else if (!stalled && this.saidStalled) {
        this.saidStalled = false;
        env.print(chalk.green(`recorder ${this.name} answers again`));
      }
    }, 250).unref();
  }

  /**
   * Waits for the child's answer, unless the user has pressed Ctrl-C (`signal`)
   * while it does not answer: then gives up, saying what may be lost.
   */
  private async answer(proc: RecorderProcess, reply: Promise<void>, what: string, signal?: AbortSignal): Promise<void> {
    reply.catch(() => {}); // an answer that comes after we gave up
    if (!signal) return reply;
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<never>((_, reject) => {
      const check = () => {
        const stalled = this.stalledFor();
        if (!signal.aborted || !stalled) return;
        clearInterval(timer);
        reject(new Error(`recorder ${this.name} gave up waiting: no answer for ${stalled} s; ${what} and up to ${proc.points} points `
          + `not yet stored may be lost (its files keep what it wrote before it stopped answering)`));
      };
      timer = setInterval(check, 250);
      signal.addEventListener("abort", check, { once: true });
      check();
    });
    try {
      await Promise.race([reply, giveUp]);
    } finally {
      clearInterval(timer);
    }
  }

  /** One line from the child: what it writes and where. */
  override describe(): string {
    return this.proc?.status || this.lastStatus;
  }

  /** Starts the child process (again, after it died or was stopped); resolves once it is ready. */
  override async start(): Promise<void> {
    if (this.starting) return this.starting;
    if (this.stopping) await this.stopping;
    if (this.state === "running") return;
    this.starting = this.launch().finally(() => (this.starting = undefined));
    return this.starting;
  }

  /** Starts the child again after it died or was stopped; one that does not answer is killed first. */
  async restart(): Promise<void> {
    const proc = this.proc;
    if (this.state === "running" && proc && this.stalledFor()) {
      this.state = "stopping"; // an end we asked for: no death message
      proc.child.kill("SIGKILL");
      await proc.ended;
      this.state = "stopped";
    }
    await this.start();
  }

  override async started(): Promise<void> {
    if (this.starting) await this.starting.catch(() => {});
  }

  private async launch(): Promise<void> {
    this.state = "starting";
    let proc: RecorderProcess;
    try {
      proc = await RecorderProcess.start({
        name: this.name, kind: this.constructor.name, module: this.spec.module.href, options: this.spec.options, nodeFlags: this.spec.nodeFlags,
        startTimeoutMs: this.startTimeoutMs, spoolBytes: this.maxBacklogBytes,
        onOutput: (line, stream) => void process[stream].write(`[${this.name}] ${line}\n`),
      });
    } catch (e) {
      this.state = "dead";
      this.reason = text(e).split("\n")[0];
      this.deathMessage = `${this.name}: ${text(e)}`;
      throw new Error(this.deathMessage);
    }
    this.proc = proc;
    this.state = "running";
    this.reason = undefined;
    this.saidDead = false;
    this.saidStalled = false;
    this.watch(proc);
    void proc.ended.then((reason) => this.ended(proc, reason));
  }

  private ended(proc: RecorderProcess, reason: string): void {
    if (proc !== this.proc) return;
    this.lastStatus = proc.status;
    if (this.state === "stopping") {
      proc.settleAll(new Error(`recorder ${this.name} was stopped`));
      return;
    }
    this.state = "dead";
    this.reason = reason;
    const tail = proc.stderr.text();
    this.deathMessage = `recorder ${this.name} died (${reason})`
      + (tail ? `; the last lines of its stderr:\n${tail.replace(/^/gm, "    ")}` : "");
    env.print(chalk.red(this.deathMessage));
    env.print(chalk.dim(`  restart it with: startrec ${this.name}`));
    proc.settleAll(this.continueOnDeath ? null : new Error(this.deathMessage));
    if (this.continueOnDeath) this.goingOnWithout();
  }

  private goingOnWithout(): void {
    if (this.saidDead) return;
    this.saidDead = true;
    env.print(chalk.yellow(`warning: recorder ${this.name} is not running (${this.deathReason()}); going on without it (continueOnDeath)`));
  }

  /** A dead or stopped recorder: rejects, or warns once and resolves when continueOnDeath is set. */
  private notRunning(): void {
    if (this.continueOnDeath) return this.goingOnWithout();
    throw new Error(this.state === "dead" ? this.deathMessage : `recorder ${this.name} is not running (${this.deathReason()})`);
  }

  async send(msg: ScanMessage, signal?: AbortSignal): Promise<void> {
    const proc = this.proc;
    // gone, but the exit not yet handled: wait for it, so that no point is lost unseen
    if (proc?.exited) await proc.ended;
    if (msg.kind === "header") this.saidDead = false;
    if (this.state !== "running" || !proc) return this.notRunning();
    if (msg.kind === "header") {
      this.saidWaiting = false;
      proc.pointError = undefined;
      await this.answer(proc, proc.request(msg), "the scan's header", signal).catch((e: unknown) => this.fail(e));
    } else if (msg.kind === "suspension") {
      await this.answer(proc, proc.request(msg), `the ${msg.status} message`, signal).catch((e: unknown) => this.fail(e));
    } else if (msg.kind === "footer") {
      const slow = setTimeout(() => env.print(chalk.dim(
        `waiting for ${this.name} to store scan #${msg.scannr} (${proc.points} points to go)`)), 1000);
      try {
        await this.answer(proc, proc.request(msg), "the footer", signal).catch((e: unknown) => this.fail(e));
        // a point it could not store, heard of only now: the file says failed, so must the scan
        if (proc.pointError !== undefined && msg.status === "finished") throw new Error(`${this.name}: ${proc.pointError}`);
      } finally {
        clearTimeout(slow);
      }
    } else {
      if (proc.pointError !== undefined) throw new Error(`${this.name}: ${proc.pointError}`);
      const packed = proc.pack(msg);
      if (this.over(proc, packed, 1)) {
        if (!this.saidWaiting) {
          this.saidWaiting = true;
          env.print(chalk.yellow(`waiting for recorder ${this.name}: ${proc.points} points (${mb(proc.bytes)}) not yet stored`));
        }
        // down to half the limit, so that the two processes do not take turns point by point
        do {
          await proc.ackWhenBelow(Math.max(0, Math.floor(this.maxBacklogPoints / 2 - 1)), this.maxBacklogBytes / 2 - packed.bytes);
          if (this.state !== "running") return this.notRunning();
          // stopped while it waited: the scan does not count this point, so it must not reach the file
          if (signal?.aborted) return;
        } while (this.over(proc, packed, 0.5));
      }
      // posted and settled in the same turn, so a stop cannot fall between the point reaching the
      // recorder and the scan counting it (the scan's loop gives the event loop its turn after each point)
      proc.postPoint(packed);
    }
  }

  /** Would one more point put the backlog over `fraction` of a limit? (A lone point always goes.) */
  private over(proc: RecorderProcess, point: PackedPoint, fraction: number): boolean {
    if (proc.points === 0) return false;
    return proc.points + 1 > this.maxBacklogPoints * fraction || proc.bytes + point.bytes > this.maxBacklogBytes * fraction
      || !proc.hasRoomFor(point);
  }

  private fail(e: unknown): void {
    if (this.state !== "running" && this.continueOnDeath) return this.goingOnWithout();
    const message = text(e);
    throw new Error(message.startsWith(`recorder ${this.name}`) ? message : `${this.name}: ${message}`);
  }

  /** Lets the child store what it has, close its files and exit (killed after stopTimeoutMs). */
  override async stop(): Promise<void> {
    if (this.starting) await this.starting.catch(() => {});
    if (this.stopping) return this.stopping;
    const proc = this.proc;
    if (this.state !== "running" || !proc) return;
    const stalled = this.stalledFor();
    if (stalled) env.print(chalk.yellow(`recorder ${this.name} has not answered for ${stalled} s: killing it; what it had not stored is lost`));
    this.state = "stopping";
    this.stopping = proc.stop(stalled ? 0 : this.stopTimeoutMs).then((reason) => {
      this.state = "stopped";
      this.stopping = undefined;
      if (reason !== "exited with code 0") {
        const tail = proc.stderr.text();
        env.print(chalk.yellow(`recorder ${this.name} ${reason} while stopping${tail ? `:\n${tail.replace(/^/gm, "    ")}` : ""}`));
      }
    });
    return this.stopping;
  }

  /** A disposed recorder stops its process too. */
  override dispose(): void {
    super.dispose();
    void this.stop();
  }
}
