/**
 * The shell's end of one recorder process: forks child.ts, batches scan
 * messages to it, keeps count of what it has not yet acknowledged (the
 * backlog), and says why it ended. ProcessRecorder decides what to do with
 * all that; a restart is a new RecorderProcess.
 */
import { fork, type ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import type { ScanMessage, ScanPoint } from "../messages.ts";
import { packPoint, type PackedPoint } from "./blobs.ts";
import { Spool, spoolBytes } from "./Spool.ts";
import { BEAT_MS, type Envelope, type ToChild, type ToParent } from "./protocol.ts";
import { StderrTail } from "./StderrTail.ts";
import { COMPILED, siblingModule } from "../../util/layout.ts";

const CHILD = fileURLToPath(siblingModule("./child.ts", import.meta.url));
/**
 * From the sources, or for a recorder module written in TypeScript, the child needs tsx
 * (resolved here so that the child's working directory does not matter).
 */
function execArgv(module: string): string[] {
  return COMPILED && !/\.[cm]?ts$/.test(module) ? ["--enable-source-maps"] : ["--import", import.meta.resolve("tsx")];
}

/** A batch goes out when it holds this many points or bytes, else FLUSH_AFTER_MS after its first point. */
const BATCH_POINTS = 256;
const BATCH_BYTES = 1 << 20;
/**
 * Points wait this long to go out together. Sent at once, a point woke the
 * child right at the point's end, where on two cores it took the CPU from the
 * shell just as the next point was being set up: 0.70–0.81 ms of dead time a
 * point with two recorders, against 0.31–0.40 ms when sent 5 ms later.
 */
const FLUSH_AFTER_MS = 5;

export interface RecorderProcessOptions {
  name: string;
  /** class name, shown by `ps` */
  kind: string;
  /** file URL of the module exporting openRecorder() */
  module: string;
  options: object;
  /** extra options for the child's node, e.g. V8 flags */
  nodeFlags?: string[];
  startTimeoutMs: number;
  /** room for big arrays in flight (see Spool.ts) */
  spoolBytes: number;
  /** gets each line the child writes to stdout or stderr */
  onOutput?: (line: string, stream: "stdout" | "stderr") => void;
}

interface Reply {
  resolve: () => void;
  reject: (e: Error) => void;
}

/** "killed by SIGKILL", "exited with code 1"; a clean exit is "exited with code 0". */
function exitReason(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exited with code ${code ?? "?"}`;
}

export class RecorderProcess {
  readonly child: ChildProcess;
  readonly stderr: StderrTail;
  /** resolves with why the process ended ("killed by SIGKILL"), once it has and its stderr is read */
  readonly ended: Promise<string>;
  /** what the child said when it started, e.g. { address } */
  info: Record<string, string> = {};
  /** the child's one line for lsrec */
  status = "";
  /** points sent and not yet acknowledged, and their size */
  points = 0;
  bytes = 0;
  /** why the child could not store a point of the current scan */
  pointError: string | undefined;
  exited = false;
  /** when the child was last heard from (performance.now()) */
  private lastHeard = performance.now();
  private lastTick = performance.now();
  private readonly watch: NodeJS.Timeout;

  private readonly spool: Spool;
  private seq = 0;
  private outbox: Envelope[] = [];
  private outboxBytes = 0;
  private flushQueued = false;
  /** data messages not yet acknowledged, oldest first */
  private inflight: { seq: number; bytes: number }[] = [];
  private replies = new Map<number, Reply>();
  private ackWaiters: (() => void)[] = [];
  private held = false;
  private reffed = true;
  private startup: { resolve: () => void; reject: (e: Error) => void } | undefined;

  private constructor(o: RecorderProcessOptions) {
    this.child = fork(CHILD, ["contrast-recorder", o.name, o.kind], {
      execArgv: [...execArgv(o.module), ...(o.nodeFlags ?? [])],
      serialization: "advanced",
      // not the shell's terminal: a child whose terminal hangs up can crash on exit (node's ResetStdio)
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    this.spool = new Spool(o.name, o.spoolBytes);
    this.stderr = new StderrTail(this.child.stderr as Socket, 20, (line) => o.onOutput?.(line, "stderr"));
    new StderrTail(this.child.stdout as Socket, 0, (line) => o.onOutput?.(line, "stdout"));
    // a message sent just as the child dies fails here; 'exit' says what happened
    this.child.on("error", () => {});
    this.child.on("message", (m: ToParent) => {
      this.lastHeard = performance.now();
      this.onMessage(m);
    });
    // our own event loop held up (a long synchronous call) is no silence of the child's
    this.watch = setInterval(() => {
      const now = performance.now();
      if (now - this.lastTick > 2 * BEAT_MS) this.lastHeard = Math.max(this.lastHeard, now - BEAT_MS);
      this.lastTick = now;
    }, BEAT_MS / 4).unref();
    this.ended = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.exited = true;
        clearInterval(this.watch);
        const reason = exitReason(code, signal);
        this.spool.close();
        // 'close' comes once stderr is drained; don't wait forever for it
        setTimeout(() => resolve(reason), 500).unref();
        this.child.once("close", () => resolve(reason));
      });
    });
    // never keep the shell alive by ourselves; setBusy() refs the channel while work is pending
    this.child.unref();
    (this.child.stderr as Socket).unref();
    (this.child.stdout as Socket).unref();
  }

  /** Forks the child and resolves once its recorder is open. */
  static async start(o: RecorderProcessOptions): Promise<RecorderProcess> {
    const p = new RecorderProcess(o);
    p.hold(true);
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        p.startup = { resolve, reject };
        void p.ended.then((reason) => reject(new Error(`exited during start-up (${reason})${p.tail()}`)));
        timer = setTimeout(() => {
          reject(new Error(`did not start within ${o.startTimeoutMs / 1000} s${p.tail()}`));
          p.child.kill("SIGKILL");
        }, o.startTimeoutMs);
        p.post({ type: "open", module: o.module, options: o.options, spool: p.spool.path });
      });
    } finally {
      clearTimeout(timer);
      p.spool.unlink(); // the child has it open, or never will
      p.startup = undefined;
      p.hold(false);
    }
    return p;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Milliseconds since the child last said anything (it beats every BEAT_MS). */
  silentFor(): number {
    return this.exited ? 0 : Math.max(0, performance.now() - this.lastHeard);
  }

  /** Has work been sent that the child has not yet acknowledged? */
  get waiting(): boolean {
    return this.points > 0 || this.replies.size > 0;
  }

  private tail(): string {
    const t = this.stderr.text();
    return t ? `; its stderr ends with:\n${t.replace(/^/gm, "    ")}` : "";
  }

  /** false when the channel holds a backlog of unsent bytes */
  private post(m: ToChild): boolean {
    return this.child.connected && this.child.send(m, undefined, undefined, () => {});
  }

  private onMessage(m: ToParent): void {
    if (m.type === "ready") {
      this.info = m.info;
      this.status = m.status;
      this.startup?.resolve();
    } else if (m.type === "cannotStart") {
      this.startup?.reject(new Error(m.error));
    } else if (m.type === "status") {
      this.status = m.status;
    } else if (m.type === "error") {
      const reply = this.replies.get(m.seq);
      if (reply) {
        this.replies.delete(m.seq);
        reply.reject(new Error(m.error));
      } else this.pointError ??= m.error;
    } else if (m.type === "ack") this.onAck(m.seq);
  }

  private onAck(seq: number): void {
    let n = 0;
    while (n < this.inflight.length && this.inflight[n].seq <= seq) {
      this.points--;
      this.bytes -= this.inflight[n].bytes;
      n++;
    }
    if (n) this.inflight.splice(0, n);
    this.spool.release(seq);
    for (const [s, reply] of this.replies) {
      if (s > seq) continue;
      this.replies.delete(s);
      reply.resolve();
    }
    this.wakeAckWaiters();
    this.setBusy();
  }

  private wakeAckWaiters(): void {
    const waiters = this.ackWaiters;
    this.ackWaiters = [];
    for (const w of waiters) w();
  }

  /** Sizes a point and takes its big arrays out (see blobs.ts). */
  pack(point: ScanPoint): PackedPoint {
    return packPoint(point);
  }

  /** Is there room in the spool for a point's big arrays now? */
  hasRoomFor(p: PackedPoint): boolean {
    return !p.arrays.length || this.spool.fits(spoolBytes(p.arrays));
  }

  /** Queues a point; it goes out in a batch soon. */
  postPoint({ point, refs, arrays, bytes }: PackedPoint): void {
    const seq = ++this.seq;
    if (arrays.length) this.spool.write(seq, arrays, refs);
    this.outbox.push(refs.length ? { seq, msg: point, blobs: refs } : { seq, msg: point });
    this.outboxBytes += bytes;
    this.inflight.push({ seq, bytes });
    this.points++;
    this.bytes += bytes;
    if (this.outbox.length >= BATCH_POINTS || this.outboxBytes >= BATCH_BYTES) this.flush();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      setTimeout(() => this.flush(), FLUSH_AFTER_MS);
    }
    this.setBusy();
  }

  /** Sends a header, footer or suspension; resolves once the child has handled it, rejects with its error. */
  request(msg: Exclude<ScanMessage, ScanPoint>): Promise<void> {
    const seq = ++this.seq;
    this.outbox.push({ seq, msg });
    const reply = new Promise<void>((resolve, reject) => this.replies.set(seq, { resolve, reject }))
      .then(() => void (msg.kind === "footer" && this.spool.trim()));
    this.flush();
    this.setBusy();
    return reply;
  }

  flush(): void {
    this.flushQueued = false;
    if (!this.outbox.length) return;
    this.post({ type: "batch", items: this.outbox });
    this.outbox = [];
    this.outboxBytes = 0;
  }

  /**
   * Resolves once the child has acknowledged enough that at most `points`
   * points and `bytes` bytes are left, asking it to acknowledge right then
   * (or at the next acknowledgement, if the child dies or nothing is left).
   */
  ackWhenBelow(points: number, bytes: number): Promise<void> {
    let k = 0;
    let p = this.points;
    let b = this.bytes;
    while (k < this.inflight.length && (p > points || b > bytes)) {
      p--;
      b -= this.inflight[k++].bytes;
    }
    this.flush();
    this.post({ type: "ackAt", seq: this.inflight[Math.max(0, k - 1)]?.seq ?? this.seq });
    return new Promise((resolve) => this.ackWaiters.push(resolve));
  }

  /** Settles everything waiting on the child: with `error`, or successfully when null. */
  settleAll(error: Error | null): void {
    const replies = [...this.replies.values()];
    this.replies.clear();
    for (const r of replies) error ? r.reject(error) : r.resolve();
    this.wakeAckWaiters();
    this.setBusy();
  }

  /** Asks the child to close its files and exit; SIGKILL after `timeoutMs`. Resolves with the exit reason. */
  async stop(timeoutMs: number): Promise<string> {
    this.hold(true);
    this.flush();
    this.post({ type: "stop" });
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    try {
      return await this.ended;
    } finally {
      clearTimeout(timer);
      this.hold(false);
    }
  }

  /** Keeps the shell alive (or not) until the child has exited or answered. */
  private hold(on: boolean): void {
    this.held = on;
    if (on) this.child.ref();
    else this.child.unref();
    this.setBusy();
  }

  private setBusy(): void {
    const busy = this.held || this.points > 0 || this.replies.size > 0 || this.outbox.length > 0;
    if (busy === this.reffed || !this.child.channel) return;
    this.reffed = busy;
    if (busy) this.child.channel.ref();
    else this.child.channel.unref();
  }
}
