import type { Readable } from "node:stream";

/** The last lines a child process wrote (to stderr), for the message that says it died. */
export class StderrTail {
  private lines: string[] = [];
  private partial = "";

  /** `forward` sees every complete line as it comes (e.g. to pass it on to our own stderr). */
  constructor(stream: Readable, private readonly keep = 20, private readonly forward?: (line: string) => void) {
    stream.setEncoding("utf8");
    stream.on("data", (s: string) => this.add(s));
    stream.on("error", () => {});
  }

  private add(s: string): void {
    const parts = (this.partial + s).split("\n");
    this.partial = parts.pop() ?? "";
    for (const line of parts) {
      this.lines.push(line);
      this.forward?.(line);
    }
    if (this.lines.length > this.keep) this.lines.splice(0, this.lines.length - this.keep);
  }

  /** The kept lines, the unfinished last one included. */
  text(): string {
    return [...this.lines, ...(this.partial ? [this.partial] : [])].slice(-this.keep).join("\n").trimEnd();
  }
}
