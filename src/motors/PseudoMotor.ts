import { fmt, LimitError, Motor, type MotorOptions } from "./Motor.ts";

export interface PseudoMotorOptions extends MotorOptions {
  /** the physical motors this one is computed from */
  motors: Motor[];
  /** the pseudo position from the physical motors' positions */
  calcPseudo: (physicals: number[]) => number;
  /** the physical targets that give `pseudo`, knowing where the physicals are now */
  calcPhysicals: (pseudo: number, current: number[]) => number[];
}

/**
 * A motor computed from other motors, such as a slit gap from two blades.
 * A move checks every physical target against its limits before any moves.
 */
export class PseudoMotor extends Motor {
  readonly motors: Motor[];
  private readonly calcPseudo: PseudoMotorOptions["calcPseudo"];
  private readonly calcPhysicals: PseudoMotorOptions["calcPhysicals"];

  constructor(opts: PseudoMotorOptions) {
    super(opts);
    this.motors = opts.motors;
    this.calcPseudo = opts.calcPseudo;
    this.calcPhysicals = opts.calcPhysicals;
  }

  protected async dialPosition(): Promise<number> {
    return this.calcPseudo(await this.physicalPositions());
  }

  private physicalPositions(): Promise<number[]> {
    return Promise.all(this.motors.map((m) => m.position()));
  }

  protected async moveDial(target: number): Promise<void> {
    const targets = this.calcPhysicals(target, await this.physicalPositions());
    this.motors.forEach((m, i) => m.checkTarget(targets[i]));
    await Promise.all(this.motors.map((m, i) => m.move(targets[i])));
  }

  /** Checks the pseudo's own limits, then every physical target of every point, from where the physicals are now. */
  override async checkTargets(targets: number[]): Promise<void> {
    await super.checkTargets(targets);
    const current = await this.physicalPositions();
    const perMotor = this.motors.map(() => [] as number[]);
    for (const t of targets) this.calcPhysicals(this.userToDial(t), current).forEach((x, j) => perMotor[j].push(x));
    for (const [j, m] of this.motors.entries()) {
      try {
        await m.checkTargets(perMotor[j]);
      } catch (e) {
        if (!(e instanceof LimitError) || e.point === undefined) throw e;
        const detail = `${this.name} ${fmt(targets[e.point])} needs ${e.detail}`;
        throw new LimitError(`point ${e.point}: ${detail}; nothing moved`, e.point, detail);
      }
    }
  }

  async busy(): Promise<boolean> {
    return (await Promise.all(this.motors.map((m) => m.busy()))).some(Boolean);
  }

  async stop(): Promise<void> {
    await Promise.all(this.motors.map((m) => m.stop()));
  }
}

/**
 * The gap and offset of a slit made of two blades, as two pseudo motors:
 * gap = right - left, offset = (left + right) / 2.
 */
export function slitPair(left: Motor, right: Motor, names: { gap: string; offset: string }, userLevel = 1): [PseudoMotor, PseudoMotor] {
  const motors = [left, right];
  const gap = new PseudoMotor({
    name: names.gap, userLevel, motors,
    calcPseudo: ([l, r]) => r - l,
    calcPhysicals: (g, [l, r]) => [(l + r) / 2 - g / 2, (l + r) / 2 + g / 2],
  });
  const offset = new PseudoMotor({
    name: names.offset, userLevel, motors,
    calcPseudo: ([l, r]) => (l + r) / 2,
    calcPhysicals: (o, [l, r]) => [o - (r - l) / 2, o + (r - l) / 2],
  });
  return [gap, offset];
}
