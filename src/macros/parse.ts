import { Gadget } from "../gadget.ts";
import { env } from "../environment/env.ts";
import type { Arg, Kwargs } from "./registry.ts";

export interface Token {
  text: string;
  /** quoted tokens always stay strings */
  quoted: boolean;
  /** where in `text` the first quoted part starts (-1: none), so that key="a b" is still a keyword */
  quotedAt?: number;
}

/**
 * Splits a line shell-style: whitespace separates, quotes group, backslash escapes,
 * # at a word's start begins a comment; whitespace inside [brackets] does not
 * separate (a Python list: [0, 0.5, 1]).
 */
export function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let cur = "";
  let quoted = false;
  let quotedAt = -1;
  let inToken = false;
  let quote: string | null = null;
  let brackets = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      if (!quoted) quotedAt = cur.length;
      quoted = inToken = true;
    } else if (c === "#" && !inToken) {
      break; // a comment, to the end of the line
    } else if (c === "\\" && i + 1 < line.length) {
      cur += line[++i];
      inToken = true;
    } else if (/\s/.test(c) && brackets === 0) {
      if (inToken) tokens.push({ text: cur, quoted, quotedAt });
      cur = "";
      quoted = inToken = false;
      quotedAt = -1;
    } else {
      if (c === "[") brackets++;
      else if (c === "]" && brackets > 0) brackets--;
      cur += c;
      inToken = true;
    }
  }
  if (quote) throw new SyntaxError(`unbalanced ${quote} quote`);
  if (inToken) tokens.push({ text: cur, quoted, quotedAt });
  return tokens;
}

type Evaluate = (expr: string, scope: Record<string, number>) => unknown;
let evaluate: Evaluate | null = null;

/** mathjs takes about a second to load, so it is loaded on the first expression only. */
async function loadMath(): Promise<Evaluate> {
  if (!evaluate) {
    const mathjs = await import("mathjs");
    evaluate = (expr, scope) => mathjs.evaluate(expr, { ...scope });
  }
  return evaluate;
}

function numericScope(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(env.scope)) if (typeof v === "number") out[k] = v;
  return out;
}

function visible(g: Gadget): boolean {
  return g.userLevel <= env.userLevel;
}

/** A gadget by name, refusing one above the current user level. */
export function gadgetFor(name: string): Gadget | undefined {
  const g = Gadget.byName(name);
  if (g && !visible(g)) {
    throw new Error(`${name} needs user level ${g.userLevel} (the level now is ${env.userLevel}; see 'userlevel')`);
  }
  return g;
}

const CONSTANTS: Record<string, number> = { pi: Math.PI, tau: 2 * Math.PI, Infinity, inf: Infinity };

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** One token as a gadget, a list of gadgets (wildcard), a number, or a string. */
export async function resolveToken(t: Token): Promise<Arg[]> {
  const s = t.text;
  if (t.quoted) return [s];
  const g = gadgetFor(s);
  if (g) return [g];
  if (/[*?]/.test(s) && /^[\w*?]+$/.test(s)) {
    const re = new RegExp("^" + s.replace(/\*/g, ".*").replace(/\?/g, ".") + "$");
    const matches = Gadget.getInstances().filter((x) => visible(x) && re.test(x.name));
    if (matches.length) return matches.sort((a, b) => a.name.localeCompare(b.name));
  }
  if (NUMBER.test(s)) return [Number(s)];
  const signed = /^([+-])(inf|Infinity)$/.exec(s);
  if (signed) return [signed[1] === "-" ? -Infinity : Infinity];
  if (/^[A-Za-z_]\w*$/.test(s)) {
    // a lone word: a variable or constant, else a string (no need to load mathjs)
    const v = numericScope()[s] ?? CONSTANTS[s];
    return [v ?? s];
  }
  const list = /^\[([^[\]]*)\]$/.exec(s);
  if (list) return [await numberList(list[1], s)];
  const v = await expression(s);
  return [v ?? s];
}

/** An arithmetic expression (mathjs syntax, or Python's ** for powers) as a number, if it is one. */
async function expression(s: string): Promise<number | undefined> {
  if (NUMBER.test(s)) return Number(s);
  if (!/^[\w\s.+\-*/^()%,]+$/.test(s) || !/[\w)]/.test(s)) return undefined;
  try {
    const v = (await loadMath())(s.replaceAll("**", "^"), { ...CONSTANTS, ...numericScope() });
    if (typeof v === "number") return v;
  } catch {
    // not an expression
  }
  return undefined;
}

/**
 * A Python list of numbers, [0, 0.5, 10**-2], as the text "[0,0.5,0.01]" with each
 * element evaluated, for macros that take lists (listscan); anything else stays as typed.
 */
async function numberList(inner: string, typed: string): Promise<string> {
  const items = inner.split(",").map((x) => x.trim());
  if (items.at(-1) === "" && items.length > 1) items.pop(); // Python allows [0, 1,]
  const values: number[] = [];
  for (const item of items) {
    const v = item === "" ? undefined : await expression(item);
    if (v === undefined) return typed;
    values.push(v);
  }
  return `[${values.join(",")}]`;
}

/** Parses the arguments of a macro line into positional arguments and key=value keywords. */
export async function parseArgs(tokens: Token[]): Promise<{ args: Arg[]; kwargs: Kwargs }> {
  const args: Arg[] = [];
  const kwargs: Kwargs = {};
  for (const t of tokens) {
    const kw = /^([A-Za-z_]\w*)=(.*)$/s.exec(t.text);
    if (kw && (!t.quoted || (t.quotedAt ?? 0) > kw[1].length)) {
      const [value] = await resolveToken({ text: kw[2], quoted: t.quoted });
      kwargs[kw[1]] = value;
    } else {
      args.push(...(await resolveToken(t)));
    }
  }
  return { args, kwargs };
}
