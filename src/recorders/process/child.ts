/**
 * A recorder's own process: `node child.ts contrast-recorder <name> <kind>`,
 * forked by RecorderProcess (so `ps` says what it is). It opens the recorder
 * module the shell names, feeds it the scan messages one at a time in order,
 * and acknowledges them in bulk. It closes its files and exits when told to
 * stop, when the shell goes away (IPC disconnect, even after kill -9 of the
 * shell), on SIGTERM, and, as far as it can, when it crashes.
 */
import type { ScanFooter, ScanPoint } from "../messages.ts";
import { unpackPoint } from "./blobs.ts";
import { SpoolReader } from "./Spool.ts";
import { loadDependenciesAsTheyAre } from "./plainDependencies.ts";
import { ACK_EVERY, ACK_INTERVAL_MS, BEAT_MS, type Envelope, type ToChild, type ToParent } from "./protocol.ts";
import { CannotOpen, type OpenRecorder, type RecorderChild } from "./RecorderChild.ts";

const [, , , name = "recorder", kind = ""] = process.argv;
process.title = `contrast-recorder ${name} ${kind}`.trim();
// only under tsx (see plainDependencies.ts)
if (process.execArgv.some((a) => /[\\/]tsx[\\/]/.test(a))) loadDependenciesAsTheyAre();

/** After the shell is gone, give up on closing cleanly after this long. */
const LAST_WORDS_MS = 30_000;

interface Stop { stop: string }
type Item = Envelope | Stop;

const text = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function send(m: ToParent, then?: () => void): void {
  if (!process.send || !process.connected) return void then?.();
  process.send(m, undefined, undefined, () => then?.()); // an error here means the shell is gone
}

class RecorderLoop {
  private rec: RecorderChild | undefined;
  private spool: SpoolReader | undefined;
  private queue: Item[] = [];
  private working = false;
  /** scan number of a header without its footer yet */
  private openScan: number | null = null;
  /** why a point of the open scan failed: its other points are skipped, and its footer says failed */
  private scanError: string | undefined;
  private done = 0;
  private ackSent = 0;
  private lastAck = 0;
  private ackTimer: NodeJS.Timeout | undefined;
  /** the shell waits for this message to be handled */
  private ackAt = Infinity;
  private status = "";
  private exiting = false;

  onMessage(m: ToChild): void {
    if (m.type === "open") void this.open(m.module, m.options, m.spool);
    else if (m.type === "batch") {
      for (const item of m.items) this.queue.push(item);
      this.kick();
    } else if (m.type === "ackAt") {
      this.ackAt = m.seq;
      if (this.done >= m.seq) this.ack();
    } else if (m.type === "stop") {
      this.queue.push({ stop: "the recorder was stopped during the scan" });
      this.kick();
    }
  }

  /** Handles what was already sent, then closes. */
  onDisconnect(): void {
    this.queue.push({ stop: "the shell went away during the scan" });
    setTimeout(() => process.exit(2), LAST_WORDS_MS).unref();
    this.kick();
  }

  /** Drops what is queued and closes. */
  onSignal(signal: string): void {
    this.queue = [{ stop: `the recorder got ${signal} during the scan` }];
    this.kick();
  }

  private async open(module: string, options: object, spool: string): Promise<void> {
    try {
      this.spool = new SpoolReader(spool);
      const mod = (await import(module)) as { openRecorder?: OpenRecorder<object> };
      if (typeof mod.openRecorder !== "function") throw new Error(`${module} exports no openRecorder()`);
      this.rec = await mod.openRecorder(options);
      this.status = this.rec.describe();
      send({ type: "ready", info: { ...this.rec.info }, status: this.status });
      this.kick();
    } catch (e) {
      if (!(e instanceof CannotOpen)) process.stderr.write(`${name}: ${e instanceof Error ? e.stack : String(e)}\n`);
      send({ type: "cannotStart", error: text(e) }, () => process.exit(1));
    }
  }

  private kick(): void {
    if (!this.working && this.rec && !this.exiting) void this.work();
  }

  private async work(): Promise<void> {
    this.working = true;
    let lastYield = performance.now();
    while (this.queue.length) {
      const item = this.queue.shift() as Item;
      if ("stop" in item) return this.exit(item.stop, 0);
      await this.handle(item);
      // h5wasm blocks: let the event loop read the IPC channel now and then
      if (performance.now() - lastYield > ACK_INTERVAL_MS) {
        await new Promise((r) => setImmediate(r));
        lastYield = performance.now();
      }
    }
    this.working = false;
  }

  private async handle({ seq, msg, blobs }: Envelope): Promise<void> {
    const rec = this.rec as RecorderChild;
    try {
      if (blobs?.length) msg = unpackPoint(msg as ScanPoint, blobs, (ref) => (this.spool as SpoolReader).read(ref));
      if (msg.kind === "header") {
        if (this.openScan !== null) await this.closeScan(`no footer came before scan #${msg.scannr} started`);
        this.scanError = undefined;
        await rec.header(msg);
        this.openScan = msg.scannr;
      } else if (msg.kind === "data") {
        // a refused header or an earlier failed point: the shell already knows
        if (this.openScan === msg.scannr && this.scanError === undefined) {
          try {
            await rec.point(msg);
          } catch (e) {
            this.scanError = text(e);
            throw e;
          }
        }
      } else if (msg.kind === "suspension") {
        if (this.openScan === msg.scannr) await rec.suspension?.(msg);
      } else if (this.openScan === msg.scannr) {
        this.openScan = null;
        // the shell may not have heard of the failed point before it ended the scan
        const failed = this.scanError !== undefined && msg.status === "finished";
        await rec.footer(failed ? { ...msg, status: "failed", error: this.scanError } : msg);
      }
    } catch (e) {
      send({ type: "error", seq, error: text(e) });
    }
    this.done = seq;
    if (msg.kind === "data") this.maybeAck();
    else {
      this.sendStatus();
      this.ack();
    }
  }

  private maybeAck(): void {
    const since = performance.now() - this.lastAck;
    if (since >= ACK_INTERVAL_MS || this.done >= this.ackAt || this.done - this.ackSent >= ACK_EVERY) this.ack();
    else this.ackTimer ??= setTimeout(() => this.ack(), ACK_INTERVAL_MS - since);
  }

  private ack(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    this.lastAck = performance.now();
    if (this.done >= this.ackAt) this.ackAt = Infinity;
    if (this.done > this.ackSent) {
      this.ackSent = this.done;
      send({ type: "ack", seq: this.done });
    }
  }

  private sendStatus(): void {
    const status = this.rec?.describe() ?? "";
    if (status !== this.status) send({ type: "status", status: (this.status = status) });
  }

  private async closeScan(reason: string): Promise<void> {
    const footer: ScanFooter = {
      kind: "footer", status: "failed", scannr: this.openScan as number, endTime: Date.now() / 1000, error: reason, snapshot: {},
    };
    this.openScan = null;
    await this.rec?.footer(footer);
  }

  /** Closes the open scan and the recorder, then exits. */
  async exit(reason: string, code: number): Promise<never> {
    if (this.exiting) return new Promise<never>(() => {});
    this.exiting = true;
    try {
      if (this.openScan !== null) await this.closeScan(reason);
    } catch (e) {
      process.stderr.write(`${name}: could not close the scan: ${text(e)}\n`);
      code ||= 1;
    }
    try {
      await this.rec?.close();
    } catch (e) {
      process.stderr.write(`${name}: could not close: ${text(e)}\n`);
      code ||= 1;
    }
    this.ack();
    process.exit(code);
  }
}

const loop = new RecorderLoop();
process.on("message", (m: ToChild) => loop.onMessage(m));
process.on("disconnect", () => loop.onDisconnect());
setInterval(() => send({ type: "beat" }), BEAT_MS).unref();
// Ctrl-C and a hang-up of the shell's terminal reach the whole process group: they are the shell's
// to handle (it stops us, or we see it go)
process.on("SIGINT", () => {});
process.on("SIGHUP", () => {});
process.on("SIGTERM", () => loop.onSignal("SIGTERM"));
// the shell's pipes may be gone; that must not stop us from closing the files
process.stdout.on("error", () => {});
process.stderr.on("error", () => {});
const crash = (e: unknown): void => {
  process.stderr.write(`${name} crashed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 2000);
  void loop.exit(`recorder ${name} crashed: ${text(e)}`, 1);
};
process.on("uncaughtException", crash);
process.on("unhandledRejection", crash);
