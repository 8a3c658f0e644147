import { Detector, type DataId, type DetectorOptions } from "./Detector.ts";
import { isTypedArray, isNdArray, isDict, type Value, type ValueDict } from "../data/values.ts";

export interface PseudoDetectorOptions extends DetectorOptions {
  /**
   * a mathjs expression over other detectors' readings, by name: "det / 2", "sum(spec)",
   * "dict1.counts / dict1.monitor"; or several by key, { x: "panda.a / 2", y: "panda.b" },
   * which make the reading a dict of those keys
   */
  expression: string | Record<string, string>;
}

type Compiled = (scope: Record<string, unknown>) => unknown;

/**
 * A value computed from other detectors' readings of the same point, or a
 * dict of values (one expression per key). It acquires nothing; the detector
 * group evaluates it after the others are read.
 */
export class PseudoDetector extends Detector {
  readonly expression: string;
  /** the expression of each key, when the reading is a dict */
  readonly expressions: Readonly<Record<string, string>> | null;
  declare readonly dictKeys?: readonly string[];
  private compiled: Map<string, Compiled> | null = null;
  /** the names the expression mentions: only those readings are converted for mathjs (an image is a million numbers) */
  private inputs = new Set<string>();

  constructor(opts: PseudoDetectorOptions) {
    super(opts);
    if (typeof opts.expression === "string") {
      this.expression = opts.expression;
      this.expressions = null;
    } else {
      const entries = Object.entries(opts.expression);
      if (!entries.length || entries.some(([, e]) => typeof e !== "string")) throw new Error(`${this.name}: expression must be a string or a dict of strings by key`);
      this.expressions = { ...opts.expression };
      this.dictKeys = entries.map(([k]) => k);
      this.expression = entries.map(([k, e]) => `${k}: ${e}`).join(", ");
    }
  }

  /** Each expression by key ("" for the single one). */
  private sources(): [string, string][] {
    return this.expressions ? Object.entries(this.expressions) : [["", this.expression]];
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
    await this.compile();
    const symbols = this.inputs;
    return Detector.getInstances().filter((d) => d !== this && !d.active && symbols.has(d.name)).map((d) => d.name);
  }

  private async compile(): Promise<Map<string, Compiled>> {
    if (!this.compiled) {
      const mathjs = await import("mathjs");
      const compiled = new Map<string, Compiled>();
      for (const [key, source] of this.sources()) {
        let code: { evaluate(scope: Record<string, unknown>): unknown };
        try {
          const tree = mathjs.parse(source);
          for (const n of tree.filter((n) => n.type === "SymbolNode")) this.inputs.add((n as unknown as { name: string }).name);
          code = tree.compile();
        } catch (e) {
          throw new Error(`${this.name}: bad expression '${source}': ${e instanceof Error ? e.message : e}`);
        }
        compiled.set(key, (scope) => code.evaluate(scope));
      }
      this.compiled = compiled;
    }
    return this.compiled;
  }

  /** A number, or a dict of numbers; in a fly scan, where readings are lines, an array of numbers gives a Float64Array (one per trigger). */
  async compute(readings: Record<string, Value>): Promise<number | Float64Array | ValueDict> {
    const compiled = await this.compile();
    const scope: Record<string, unknown> = {};
    for (const name of this.inputs) if (name in readings) scope[name] = toMath(readings[name]);
    const out: ValueDict = {};
    for (const [key, source] of this.sources()) {
      let v: unknown;
      try {
        v = (compiled.get(key) as Compiled)(scope);
      } catch (e) {
        throw new Error(`${this.name}: cannot evaluate '${source}': ${e instanceof Error ? e.message : e}`);
      }
      const value = Array.isArray(v) && v.every((x) => typeof x === "number") ? Float64Array.from(v) : v;
      if (typeof value !== "number" && !(value instanceof Float64Array)) throw new Error(`${this.name}: '${source}' did not give a number`);
      if (!this.expressions) return value;
      out[key] = value;
    }
    return out;
  }

  override describe(): string {
    return this.expressions ? `= {${this.expression}}` : `= ${this.expression}`;
  }
}

function toMath(v: Value): unknown {
  if (isTypedArray(v)) return Array.from(v as ArrayLike<number>);
  if (isNdArray(v)) return Array.from(v.data as ArrayLike<number>);
  if (isDict(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toMath(x)]));
  return v;
}
