import { Gadget } from "../gadget.ts";

export interface MotorOptions {
  name: string;
  userLevel?: number;
  /** user = dial * scaling + offset */
  scaling?: number;
  offset?: number;
  /** limits in dial units */
  dialLimits?: [number, number];
  /** digits shown by wm/wa and the scan table */
  precision?: number;
}

/** Thrown before anything moves when a target is outside a motor's limits. */
export class LimitError extends Error {
  /** for a scan's check: the point, and the message without "point N:" */
  constructor(message: string, readonly point?: number, readonly detail?: string) {
    super(message);
    this.name = "LimitError";
  }
}

/**
 * One degree of freedom. Subclasses talk to the hardware in dial units
 * (`dialPosition`, `moveDial`, `busy`, `stop`); this class handles the user
 * frame, the limits and the refusal to move outside them.
 */
export abstract class Motor extends Gadget {
  scaling: number;
  offset: number;
  dialLimits: [number, number];
  precision: number;

  /** Called after offsets or limits change (the memorizer listens here). */
  static readonly changeListeners = new Set<(motor: Motor) => void>();

  constructor(opts: MotorOptions) {
    super(opts);
    this.scaling = opts.scaling ?? 1;
    this.offset = opts.offset ?? 0;
    this.dialLimits = opts.dialLimits ?? [-Infinity, Infinity];
    this.precision = opts.precision ?? 3;
    if (this.scaling === 0 || !Number.isFinite(this.scaling)) throw new Error(`${this.name}: scaling must be a non-zero number`);
  }

  /** Current dial position read from the hardware. */
  protected abstract dialPosition(): Promise<number>;
  /** Starts a move to a dial position; settles when the motion is done. */
  protected abstract moveDial(target: number): Promise<void>;
  abstract busy(): Promise<boolean>;
  abstract stop(): Promise<void>;

  async position(): Promise<number> {
    return this.dialToUser(await this.dial());
  }

  async dial(): Promise<number> {
    try {
      return await this.dialPosition();
    } catch (e) {
      throw named(this.name, e);
    }
  }

  dialToUser(dial: number): number {
    return dial * this.scaling + this.offset;
  }

  userToDial(user: number): number {
    return (user - this.offset) / this.scaling;
  }

  /** Limits in user units, low first. */
  get userLimits(): [number, number] {
    const [a, b] = this.dialLimits.map((d) => this.dialToUser(d));
    return a <= b ? [a, b] : [b, a];
  }

  /** Sets the limits, given in user units. */
  setLimits(low: number, high: number): void {
    if (Number.isNaN(low) || Number.isNaN(high) || low === Infinity || high === -Infinity) {
      throw new Error(`${this.name}: limits must be numbers, -inf and inf leave a side open (got ${low}, ${high})`);
    }
    if (!(low <= high)) throw new Error(`${this.name}: low limit ${low} is above high limit ${high}`);
    const dials = [this.userToDial(low), this.userToDial(high)].sort((x, y) => x - y);
    const before = this.dialLimits;
    this.dialLimits = [dials[0], dials[1]];
    this.changedOrUndo("limits", () => (this.dialLimits = before));
  }

  /** Throws a LimitError when `target` (user units) is not allowed. */
  checkTarget(target: number): void {
    if (typeof target !== "number" || !Number.isFinite(target)) {
      throw new LimitError(`${this.name}: target ${target} is not a finite number`);
    }
    const [low, high] = this.userLimits;
    if (target < low || target > high) {
      throw new LimitError(`${this.name}: target ${fmt(target)} is outside the limits [${fmt(low)}, ${fmt(high)}]`);
    }
  }

  /**
   * Checks a whole list of targets (a scan's points) before anything moves;
   * the error says which point. Pseudo motors check their physical motors too.
   */
  async checkTargets(targets: number[]): Promise<void> {
    targets.forEach((x, i) => atPoint(i, () => this.checkTarget(x)));
  }

  /** Moves to `target` in user units; settles when the motion is done. */
  async move(target: number): Promise<void> {
    this.checkTarget(target);
    try {
      await this.moveDial(this.userToDial(target));
    } catch (e) {
      throw named(this.name, e);
    }
  }

  /** Redefines the current position as `user`, changing only the offset. */
  async setPosition(user: number): Promise<void> {
    if (typeof user !== "number" || !Number.isFinite(user)) throw new Error(`${this.name}: position ${user} is not a finite number`);
    const dial = await this.dial();
    if (!Number.isFinite(dial)) throw new Error(`${this.name}: the dial position ${dial} is not a finite number; offset not changed`);
    const before = this.offset;
    this.offset = user - dial * this.scaling;
    this.changedOrUndo("offset", () => (this.offset = before));
  }

  protected changed(): void {
    for (const listener of Motor.changeListeners) listener(this);
  }

  /** Tells the listeners; if one fails (the memorizer could not save), `undo` puts the motor back as it was. */
  private changedOrUndo(what: string, undo: () => void): void {
    try {
      this.changed();
    } catch (e) {
      undo();
      throw new Error(`${this.name}: ${what} not changed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/** Runs a check for point `i` of a scan, prefixing a LimitError with the point and "nothing moved". */
export function atPoint(i: number, check: () => void): void {
  try {
    check();
  } catch (e) {
    if (e instanceof LimitError && !e.message.startsWith("point ")) throw new LimitError(`point ${i}: ${e.message}; nothing moved`, i, e.message);
    throw e;
  }
}

export function fmt(x: number): string {
  return Number.isFinite(x) ? String(+x.toPrecision(10)) : String(x);
}

/** Makes sure an error from a gadget says which gadget it came from. */
export function named(name: string, e: unknown): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  if (!err.message.startsWith(name + ":")) err.message = `${name}: ${err.message}`;
  return err;
}
