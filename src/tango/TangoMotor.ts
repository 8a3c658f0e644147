import { Motor, type MotorOptions } from "../motors/Motor.ts";
import type { TangoRestClient } from "./client.ts";
import { TangoError } from "./errors.ts";
import { asGadget } from "./gadgetError.ts";

export interface TangoMotorOptions extends MotorOptions {
  client: TangoRestClient;
  /** e.g. "b303a/mot/samx" */
  device: string;
  /** attribute holding the dial position; writing it starts a move */
  positionAttribute?: string;
  /** command that halts the motion */
  stopCommand?: string;
  /** how often the state is asked while moving, in ms */
  pollMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A Tango motor device: writing its position attribute starts a move, the device state
 * is MOVING until it ends, and a command stops it.
 */
export class TangoMotor extends Motor {
  readonly client: TangoRestClient;
  readonly device: string;
  readonly positionAttribute: string;
  readonly stopCommand: string;
  pollMs: number;

  constructor(opts: TangoMotorOptions) {
    super(opts);
    this.client = opts.client;
    this.device = opts.device;
    this.positionAttribute = opts.positionAttribute ?? "Position";
    this.stopCommand = opts.stopCommand ?? "Stop";
    this.pollMs = opts.pollMs ?? 25;
  }

  protected dialPosition(): Promise<number> {
    return asGadget(this.name, () => this.client.readNumber(this.device, this.positionAttribute));
  }

  protected moveDial(target: number): Promise<void> {
    return asGadget(this.name, () => this.moveAndWait(target));
  }

  /**
   * The REST API has no events, so the end of the motion is found by polling the state.
   * Every 25 ms costs little (one small GET) and adds at most that much to each point.
   */
  private async moveAndWait(target: number): Promise<void> {
    await this.client.writeAttribute(this.device, this.positionAttribute, target);
    let state = await this.client.state(this.device);
    while (state === "MOVING") {
      await sleep(this.pollMs);
      state = await this.client.state(this.device);
    }
    if (state === "FAULT") {
      const status = await this.client.status(this.device).catch(() => "");
      throw new TangoError({ device: this.device, operation: "move",
        problem: `in FAULT after moving to ${target}${status ? `: ${status.trim()}` : ""}` });
    }
  }

  busy(): Promise<boolean> {
    return asGadget(this.name, async () => (await this.client.state(this.device)) === "MOVING");
  }

  stop(): Promise<void> {
    return asGadget(this.name, async () => void (await this.client.command(this.device, this.stopCommand)));
  }
}
