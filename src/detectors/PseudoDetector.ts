import { Detector, type DataId, type DetectorOptions } from "./Detector.ts";
import { isTypedArray, isNdArray, isDict, type Value } from "../data/values.ts";

export interface PseudoDetectorOptions extends DetectorOptions {
  /** a mathjs expression over other detectors' readings, by name: "det / 2", "sum(spec)", "dict1.counts / dict1.monitor" */
  expression: string;
}

type Compiled = (scope: Record<string, unknown>) => unknown;

/**
 * A value computed from other detectors' readings of the same point. It
 * acquires nothing; the detector group evaluates it after the others are read.
 */
export class PseudoDetector extends Detector {
  readonly expression: string;
  private compiled: Compiled | null = null;
  /** the names the expression mentions: only those readings are converted for mathjs (an image is a million numbers) */
  private inputs = new Set<string>();

  constructor(opts: PseudoDetectorOptions) {
    super(opts);
    this.expression = opts.expression;
  }

  async start(): Promise<void> {}
  async done(): Promise<void> {}
  busy(): boolean {
    return false;
  }

  async read(): Promise<Value> {
    throw new Error(`${this.name}: a pseudo detector is computed from a point's readings; use compute()`);
  }

  /** Compiles the expression here, so that a bad one fails before the scan starts. */
  override async prepare(acqTime: number, dataId: DataId | null, nStarts: number): Promise<void> {
    await super.prepare(acqTime, dataId, nStarts);
    await this.compile();
    const inactive = await this.inactiveInputs();
    if (inactive.length) {
      const list = inactive.join(", ");
      throw new Error(`${this.name}: '${this.expression}' needs ${list}, which ${inactive.length > 1 ? "are" : "is"} not active (activate ${inactive.join(" ")}, or deactivate ${this.name})`);
    }
  }

  /** Detectors the expression names that are not active (mathjs would take `det` for its determinant). */
  private async inactiveInputs(): Promise<string[]> {
    const mathjs = await import("mathjs");
    const symbols = new Set(mathjs.parse(this.expression).filter((n) => n.type === "SymbolNode").map((n) => (n as unknown as { name: string }).name));
    return Detector.getInstances().filter((d) => d !== this && !d.active && symbols.has(d.name)).map((d) => d.name);
  }

  private async compile(): Promise<Compiled> {
    if (!this.compiled) {
      const mathjs = await import("mathjs");
      let code: { evaluate(scope: Record<string, unknown>): unknown };
      try {
        const tree = mathjs.parse(this.expression);
        this.inputs = new Set(tree.filter((n) => n.type === "SymbolNode").map((n) => (n as unknown as { name: string }).name));
        code = tree.compile();
      } catch (e) {
        throw new Error(`${this.name}: bad expression '${this.expression}': ${e instanceof Error ? e.message : e}`);
      }
      this.compiled = (scope) => code.evaluate(scope);
    }
    return this.compiled;
  }

  /** A number; in a fly scan, where readings are lines, an array of numbers gives a Float64Array (one per trigger). */
  async compute(readings: Record<string, Value>): Promise<number | Float64Array> {
    const compiled = await this.compile();
    const scope: Record<string, unknown> = {};
    for (const name of this.inputs) if (name in readings) scope[name] = toMath(readings[name]);
    let out: unknown;
    try {
      out = compiled(scope);
    } catch (e) {
      throw new Error(`${this.name}: cannot evaluate '${this.expression}': ${e instanceof Error ? e.message : e}`);
    }
    if (Array.isArray(out) && out.every((x) => typeof x === "number")) return Float64Array.from(out);
    if (typeof out !== "number") throw new Error(`${this.name}: '${this.expression}' did not give a number`);
    return out;
  }

  override describe(): string {
    return `= ${this.expression}`;
  }
}

function toMath(v: Value): unknown {
  if (isTypedArray(v)) return Array.from(v as ArrayLike<number>);
  if (isNdArray(v)) return Array.from(v.data as ArrayLike<number>);
  if (isDict(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toMath(x)]));
  return v;
}
