import { env } from "../environment/env.ts";
import { macros, UsageError, type Macro } from "./registry.ts";
import { parseArgs, tokenize } from "./parse.ts";
import { runExclusively } from "./control.ts";

/** A macro line that could not run as typed; `usage` holds the macro's usage text when known. */
export class MacroLineError extends Error {
  constructor(message: string, readonly usage?: string) {
    super(usage ? `${message}\n${usage}` : message);
    this.name = "MacroLineError";
  }
}

/** A line split into the macro to run and its arguments; `shortcut` is the shortcut typed, `extra` what was typed after it. */
export interface MacroName {
  name: string;
  rest: string;
  shortcut?: string;
  extra?: string;
}

/**
 * Splits off the macro name (a leading % is allowed) and expands shortcuts;
 * `name?` and `?name` mean `help name` (for a shortcut too: it is explained,
 * not run). Words after a shortcut are kept in `extra`, for runCommand to
 * refuse.
 */
export function macroName(line: string, depth = 0): MacroName | null {
  const text = line.trim().replace(/^%/, "");
  const m = /^(\??)([A-Za-z_]\w*)(\??)(\s+[\s\S]*)?$/.exec(text);
  if (!m) return null;
  const [, before, word, after, rest] = m;
  if (before && after) return null;
  if (before || after) return { name: "help", rest: word }; // ascan? and ?ascan show the usage
  const shortcut = env.shortcuts.get(word);
  if (shortcut !== undefined && depth < 10) {
    const inner = macroName(shortcut, depth + 1);
    if (!inner) return null;
    const extra = words(rest ?? "") ? (rest ?? "").trim() : undefined;
    return { ...inner, shortcut: word, ...(extra ? { extra } : {}) };
  }
  return { name: word, rest: rest ?? "" };
}

/** True when `text` has words to pass on (a # comment has none). */
function words(text: string): boolean {
  try {
    return tokenize(text).length > 0;
  } catch {
    return true; // an unbalanced quote: something was typed
  }
}

/** True when the line's first word names a macro or a shortcut. */
export function isMacroLine(line: string): boolean {
  const m = macroName(line);
  return m !== null && macros.has(m.name);
}

/** Up to three macro or shortcut names close to `word` (a typo, or the start of a name). */
export function closeMatches(word: string): string[] {
  const w = word.toLowerCase();
  const names = [...macros.keys(), ...env.shortcuts.keys()];
  const scored = names.map((n) => ({ n, d: n.startsWith(w) && w.length >= 2 ? 0.5 : distance(w, n) }));
  return scored.filter((x) => x.d <= Math.min(2, Math.max(1, w.length - 2))).sort((a, b) => a.d - b.d || a.n.localeCompare(b.n)).slice(0, 3).map((x) => x.n);
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

/** "no macro named 'mvd' (close: mv, mvr; lsmac lists them)" */
export function noMacroMessage(name: string): string {
  const close = closeMatches(name);
  return `no macro named '${name}' (${close.length ? `did you mean ${close.join(", ")}? ` : ""}lsmac lists them)`;
}

/** A shortcut takes no arguments: words typed after one are refused, not appended. */
export function refuseShortcutArguments(parsed: MacroName): void {
  if (parsed.extra === undefined) return;
  throw new MacroLineError(`${parsed.shortcut} is a shortcut for '${env.shortcuts.get(parsed.shortcut ?? "")}' and takes no arguments (got '${parsed.extra}'); nothing was run`);
}

export function lookupMacro(name: string): Macro {
  const m = macros.get(name.toLowerCase());
  if (!m) throw new MacroLineError(noMacroMessage(name));
  return m;
}

/**
 * Runs one macro line as if typed at the prompt and resolves with the
 * macro's result (also kept in `env.lastMacroResult`). Bad arguments reject
 * with a MacroLineError carrying the usage, before anything has been done.
 * It runs under the Ctrl-C of whatever started it (control.ts) and is
 * refused while another macro runs.
 */
export async function runCommand(line: string, opts: { signal?: AbortSignal; cleanupSignal?: AbortSignal } = {}): Promise<unknown> {
  const parsed = macroName(line);
  if (!parsed) throw new MacroLineError(`not a macro line: ${JSON.stringify(line)}`);
  const m = lookupMacro(parsed.name);
  refuseShortcutArguments(parsed);
  let instance;
  try {
    const { args, kwargs } = await parseArgs(tokenize(parsed.rest));
    instance = m.create(args, kwargs);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new MacroLineError(`${m.name}: ${msg}`, m.usage);
  }
  const text = line.trim().replace(/^%/, "");
  try {
    const result = await runExclusively(text, opts, async (signals) => instance.run({ line: text, ...signals }));
    env.lastMacroResult = result;
    return result;
  } catch (e) {
    if (e instanceof UsageError) throw new MacroLineError(`${m.name}: ${e.message}`, m.usage);
    throw e;
  }
}
