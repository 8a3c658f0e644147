import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { PathFixer } from "../environment/paths.ts";
import { env } from "../environment/env.ts";
import type { TangoRestClient } from "./client.ts";
import { gadgetError } from "./gadgetError.ts";

export interface TangoPathFixerOptions {
  client: TangoRestClient;
  device: string;
  /** a string attribute holding the data directory */
  attribute: string;
  /** used until the device has answered once; default "./data" */
  directory?: string;
  /** names this path fixer in warnings and errors */
  name?: string;
}

/**
 * Asks a device (e.g. the beamline's SDM or experiment-info device) where data go. When
 * the device does not answer, scans carry on in the last directory it gave, or the manual
 * one, with one warning per outage rather than one per scan.
 */
export class TangoPathFixer extends PathFixer {
  readonly name: string;
  readonly client: TangoRestClient;
  readonly device: string;
  readonly attribute: string;
  private lastGood: string | null = null;
  private warned = false;

  constructor(opts: TangoPathFixerOptions) {
    super(opts.directory);
    this.name = opts.name ?? "TangoPathFixer";
    this.client = opts.client;
    this.device = opts.device;
    this.attribute = opts.attribute;
  }

  /** The directory last given by the device, else the manual one. */
  override get directory(): string {
    return this.lastGood ?? super.directory;
  }

  /** Sets the manual directory, used when the device has never answered. */
  override set directory(d: string) {
    super.directory = d;
  }

  override async getDirectory(): Promise<string> {
    try {
      this.lastGood = await this.ask();
      this.warned = false;
    } catch (e) {
      if (!this.warned) {
        env.print(`warning: ${gadgetError(this.name, e).message}; data go to ${this.directory}`);
        this.warned = true;
      }
    }
    const dir = this.directory;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw gadgetError(this.name, e);
    }
    return dir;
  }

  private async ask(): Promise<string> {
    const { value } = await this.client.readAttribute(this.device, this.attribute);
    if (typeof value !== "string" || value.trim() === "") {
      throw new Error(`${this.device}/${this.attribute} gave ${JSON.stringify(value)}, not a directory`);
    }
    return resolve(value.trim());
  }
}
