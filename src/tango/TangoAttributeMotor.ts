import { Motor, type MotorOptions } from "../motors/Motor.ts";
import type { TangoRestClient } from "./client.ts";
import { asGadget } from "./gadgetError.ts";

export interface TangoAttributeMotorOptions extends MotorOptions {
  client: TangoRestClient;
  device: string;
  /** a writable numeric scalar attribute */
  attribute: string;
}

/**
 * Any writable scalar attribute (a voltage, a gap setpoint) driven as a motor: the
 * move is over when the write returns, and the position is the attribute's value.
 */
export class TangoAttributeMotor extends Motor {
  readonly client: TangoRestClient;
  readonly device: string;
  readonly attribute: string;
  private writes = 0;

  constructor(opts: TangoAttributeMotorOptions) {
    super(opts);
    this.client = opts.client;
    this.device = opts.device;
    this.attribute = opts.attribute;
  }

  protected dialPosition(): Promise<number> {
    return asGadget(this.name, () => this.client.readNumber(this.device, this.attribute));
  }

  protected async moveDial(target: number): Promise<void> {
    this.writes++;
    try {
      await asGadget(this.name, () => this.client.writeAttribute(this.device, this.attribute, target));
    } finally {
      this.writes--;
    }
  }

  async busy(): Promise<boolean> {
    return this.writes > 0;
  }

  /** A write cannot be taken back once sent. */
  async stop(): Promise<void> {}
}
