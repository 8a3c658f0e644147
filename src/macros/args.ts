import { Gadget } from "../gadget.ts";
import { Motor } from "../motors/Motor.ts";
import { Detector } from "../detectors/Detector.ts";
import { UsageError, type Arg } from "./registry.ts";

/** Argument checks for macro constructors: each throws UsageError with a short reason. */

export function asNumber(a: Arg | undefined, what: string): number {
  if (typeof a !== "number" || Number.isNaN(a)) throw new UsageError(`${what} must be a number (got ${show(a)})`);
  return a;
}

export function asFinite(a: Arg | undefined, what: string): number {
  const n = asNumber(a, what);
  if (!Number.isFinite(n)) throw new UsageError(`${what} must be a finite number (got ${show(a)})`);
  return n;
}

export function asPositive(a: Arg | undefined, what: string): number {
  const n = asNumber(a, what);
  if (!(n >= 0) || !Number.isFinite(n)) throw new UsageError(`${what} must be a finite number >= 0 (got ${show(a)})`);
  return n;
}

export function asInt(a: Arg | undefined, what: string, min = 0): number {
  const n = asNumber(a, what);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${what} must be a whole number >= ${min} (got ${show(a)})`);
  return n;
}

export function asMotor(a: Arg | undefined, what = "motor"): Motor {
  if (!(a instanceof Motor)) throw new UsageError(`${what} must be a motor (got ${show(a)})`);
  return a;
}

export function asDetector(a: Arg | undefined, what = "detector"): Detector {
  if (!(a instanceof Detector)) throw new UsageError(`${what} must be a detector (got ${show(a)})`);
  return a;
}

export function asString(a: Arg | undefined, what: string): string {
  if (typeof a === "string") return a;
  if (typeof a === "number") return String(a);
  if (a instanceof Gadget) return a.name;
  throw new UsageError(`${what} is missing`);
}

export function arity(args: Arg[], min: number, max = min): void {
  if (args.length < min) throw new UsageError(`too few arguments (${args.length}, needs ${min === max ? min : `at least ${min}`})`);
  if (args.length > max) throw new UsageError(`too many arguments (${args.length}, takes ${min === max ? min : `at most ${max}`})`);
}

/** Splits `m1 x1 m2 x2 ...` into motor/number pairs. */
export function motorNumberPairs(args: Arg[]): [Motor, number][] {
  if (args.length === 0 || args.length % 2 !== 0) throw new UsageError("needs pairs of <motor> <position>");
  const pairs: [Motor, number][] = [];
  for (let i = 0; i < args.length; i += 2) pairs.push([asMotor(args[i]), asFinite(args[i + 1], `position for ${show(args[i])}`)]);
  const names = pairs.map(([m]) => m.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`motor ${dup} is given twice`);
  return pairs;
}

export function show(a: unknown): string {
  if (a === undefined) return "nothing";
  if (a instanceof Gadget) return a.name;
  if (typeof a === "string") return JSON.stringify(a);
  return String(a);
}
