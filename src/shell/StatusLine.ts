import { env } from "../environment/env.ts";
import { formatDuration } from "../scans/table.ts";

type Progress = Parameters<NonNullable<typeof env.progress>>[0];

const CLEAR = "\r\x1b[K";

/**
 * A scan's progress shown on one line under its table, on a terminal only:
 * every line the scan prints goes above it, and it is redrawn after each.
 */
export class StatusLine {
  private last: { p: Progress; at: number } | null = null;
  private ticker: NodeJS.Timeout | undefined;
  private drawnState = "";

  constructor(private readonly out: NodeJS.WriteStream) {}

  /** Routes `env.print` and `env.progress` through this line (does nothing without a terminal). */
  install(): void {
    if (!this.out.isTTY) return;
    const print = env.print;
    env.print = (text) => {
      if (!this.last) return print(text);
      this.out.write(CLEAR);
      print(text);
      this.draw();
    };
    env.progress = (p) => this.update(p);
    // a pause or a suspension shows at once (progress alone redraws with the next row)
    env.scan.onChange(() => this.state() !== this.drawnState && this.draw());
  }

  /** What the scan is doing besides counting, and the pause key. */
  private state(): string {
    const s = env.scan;
    if (s.paused) return "  PAUSED (^P resumes)";
    if (s.pausing) return "  pausing at the next point (^P resumes)";
    if (s.suspended) return `  SUSPENDED: ${s.suspended}`;
    return "  ^P pause";
  }

  update(p: Progress): void {
    this.last = { p, at: performance.now() };
    // elapsed and time left keep counting between points
    this.ticker ??= setInterval(() => this.draw(), 1000).unref();
    this.draw();
  }

  /** Removes the line (the macro is over). */
  clear(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    if (this.last) this.out.write(CLEAR);
    this.last = null;
  }

  private draw(): void {
    if (!this.last) return;
    const { p, at } = this.last;
    const since = (performance.now() - at) / 1000;
    const counting = env.scan.paused || env.scan.suspended !== null ? 0 : since; // time left stands still while the scan waits
    const width = Math.max(10, (this.out.columns ?? 80) - 1);
    const share = p.total ? p.done / p.total : 0;
    const bar = 20;
    const filled = Math.round(share * bar);
    const text = `  scan #${p.scannr} [${"#".repeat(filled)}${".".repeat(bar - filled)}] ${p.done}/${p.total}`
      + `  elapsed ${formatDuration(p.elapsed + since)}  left ${formatDuration(Math.max(0, p.left - counting))}`;
    this.drawnState = this.state();
    this.out.write(`${CLEAR}\x1b[2m${(text + this.drawnState).slice(0, width)}\x1b[0m`);
  }
}
