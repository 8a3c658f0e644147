import { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { CTRL_C, PAUSE_KEY, keysCaptured } from "./keys.ts";

/**
 * Stands between the terminal (or a pipe) and the REPL and lets one line
 * through at a time: from the REPL taking a line (`hold()`) until it is done
 * (`release()`), whatever is typed waits here and is then handed on in
 * order. So a macro never
 * runs concurrently with the next line. Ctrl-C typed while a line runs goes
 * to `onInterrupt` instead (which drops the lines typed ahead); if that
 * returns false (nothing to interrupt) the REPL gets it, which is how Node
 * interrupts an `await`. The pause key (Ctrl-P) typed while a line runs
 * goes to `onPauseKey` (the scan's pause and resume) when that returns true.
 */
export class InputGate extends Readable {
  readonly isTTY: boolean;
  isRaw = false;
  private pending = "";
  private held = false;
  private ended = false;
  private finished = false;
  private readonly decoder = new StringDecoder("utf8");

  constructor(private readonly source: NodeJS.ReadStream, private readonly onInterrupt: () => boolean,
    private readonly onPauseKey: () => boolean = () => false) {
    super();
    this.on("resume", () => this.pump());
    this.isTTY = Boolean(source.isTTY);
    source.on("data", this.receive);
    source.on("end", this.onEnd);
    // a terminal that went away (EIO) ends the input like Ctrl-D
    source.on("error", this.onEnd);
  }

  override _read(): void {}

  /** readline switches raw mode through its input stream: pass it to the terminal. */
  setRawMode(mode: boolean): this {
    if (this.source.isTTY && !this.source.destroyed) this.source.setRawMode(mode);
    this.isRaw = mode;
    return this;
  }

  /** True from the REPL taking a line until `release()`. */
  get busy(): boolean {
    return this.held;
  }

  /** The REPL took a line: hold back the rest until it is done. */
  hold(): void {
    this.held = true;
  }

  /** The line taken last is done: the next may go. */
  release(): void {
    this.held = false;
    setImmediate(() => this.pump());
  }

  /** Stops listening to the terminal (the REPL is closing). */
  detach(): void {
    this.source.off("data", this.receive);
    this.source.off("end", this.onEnd);
    this.source.off("error", this.onEnd);
    this.source.on("error", () => {}); // the closing REPL may still switch raw mode off on a dead terminal
  }

  /** Ctrl-C while a line runs: what was typed ahead (meant for after what was stopped) goes with it. Returns how many lines. */
  dropTypedAhead(): number {
    const lines = this.pending.split(/\r\n?|\n/).filter((l) => l.trim()).length;
    this.pending = "";
    return lines;
  }

  private readonly receive = (chunk: Buffer | string): void => {
    let text = typeof chunk === "string" ? chunk : this.decoder.write(chunk);
    if (this.held && !keysCaptured() && text.includes(PAUSE_KEY)) {
      const pieces = text.split(PAUSE_KEY);
      for (let k = 1; k < pieces.length; k++) if (!this.onPauseKey()) pieces[k] = PAUSE_KEY + pieces[k];
      text = pieces.join("");
    }
    if (this.held || keysCaptured()) {
      const captured = keysCaptured(); // the macro reads the keys itself
      const pieces = text.split(CTRL_C);
      text = pieces.pop() ?? "";
      for (const typed of pieces) {
        if (!captured) this.pending += typed;
        if (!this.onInterrupt()) this.push(CTRL_C);
      }
      if (captured) return;
    }
    this.pending += text;
    this.pump();
  };

  private readonly onEnd = (): void => {
    // a last line without its newline still runs before the end
    if (this.pending && !/[\r\n]$/.test(this.pending)) this.pending += "\n";
    this.ended = true;
    this.pump();
  };

  /**
   * Hands on what is pending while the REPL is taking input: at most one
   * whole line per call, so that even a line done at once has printed its
   * result (in a later microtask) before the next goes. A Tab ends a piece
   * too: readline pauses its input while it completes, and two Tabs read at
   * once would otherwise not list the candidates.
   */
  private pump(): void {
    if (!this.held && this.pending && this.readableFlowing && this.readableLength === 0) {
      const m = /\r\n?|\n|\t/.exec(this.pending);
      const end = m ? m.index + m[0].length : this.pending.length;
      const piece = this.pending.slice(0, end);
      this.pending = this.pending.slice(end);
      this.push(piece);
      if (m && !this.held) setImmediate(() => this.pump()); // no line event came (e.g. reverse search): go on
    }
    if (this.ended && !this.held && !this.pending && !this.finished) {
      this.finished = true;
      this.push(null);
    }
  }
}
