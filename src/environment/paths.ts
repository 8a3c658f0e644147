import { mkdirSync } from "node:fs";
import { resolve } from "node:path";

/** Says where data go. This default takes the directory by hand (the `path` macro). */
export class PathFixer {
  private dir: string;

  constructor(directory = "./data") {
    this.dir = resolve(directory);
  }

  get directory(): string {
    return this.dir;
  }

  set directory(d: string) {
    this.dir = resolve(d);
  }

  /** The directory for the next scan, created if missing. Subclasses may ask a device. */
  async getDirectory(): Promise<string> {
    mkdirSync(this.dir, { recursive: true });
    return this.dir;
  }
}
