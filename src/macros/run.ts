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

/** Splits off the macro name (a leading % is allowed) and expands shortcuts; `name?` and `?name` mean `help name`. */
export function macroName(line: string): { name: string; rest: string } | null {
  let text = line.trim().replace(/^%/, "");
  const m = /^(\??)([A-Za-z_]\w*)(\??)(\s+[\s\S]*)?$/.exec(text);
  if (!m) return null;
  const [, before, word, after, rest] = m;
  if (before && after) return null;
  const shortcut = env.shortcuts.get(word);
  if (shortcut !== undefined && !before) {
    text = `${shortcut}${after}${rest ?? ""}`;
    return macroName(text);
  }
  if (before || after) return { name: "help", rest: word }; // ascan? and ?ascan show the usage
  return { name: word, rest: rest ?? "" };
}

/** True when the line's first word names a macro or a shortcut. */
export function isMacroLine(line: string): boolean {
  const m = macroName(line);
  return m !== null && macros.has(m.name);
}

export function lookupMacro(name: string): Macro {
  const m = macros.get(name.toLowerCase());
  if (!m) throw new MacroLineError(`no macro named '${name}' (lsmac lists them)`);
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
