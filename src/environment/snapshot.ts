import type { ValueDict } from "../data/values.ts";
import { Motor } from "../motors/Motor.ts";

/** What is recorded before and after each scan. */
export interface Snapshot {
  capture(): Promise<ValueDict>;
}

/** Every motor's position; a motor that cannot be read is recorded as NaN and named in `failures`. */
export class MotorSnapshot implements Snapshot {
  failures: string[] = [];

  async capture(): Promise<ValueDict> {
    const motors = Motor.getInstances();
    const out: ValueDict = {};
    this.failures = [];
    const positions = await Promise.allSettled(motors.map((m) => m.position()));
    positions.forEach((p, i) => {
      if (p.status === "fulfilled") out[motors[i].name] = p.value;
      else {
        out[motors[i].name] = NaN;
        this.failures.push(`${motors[i].name}: ${p.reason instanceof Error ? p.reason.message : String(p.reason)}`);
      }
    });
    return out;
  }
}

export class EmptySnapshot implements Snapshot {
  async capture(): Promise<ValueDict> {
    return {};
  }
}
