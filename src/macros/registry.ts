import type { Gadget } from "../gadget.ts";

/** One parsed argument: a gadget, a number, or a plain string. */
export type Arg = Gadget | number | string;
export type Kwargs = Record<string, Arg>;

/** What a running macro may know: the line typed, and the signal Ctrl-C fires. */
export interface MacroContext {
  line: string;
  /** fires on Ctrl-C: stop what you are doing, clean up */
  signal: AbortSignal;
  /** fires on a second Ctrl-C: give up the clean-up moves too */
  cleanupSignal?: AbortSignal;
}

/** Thrown by a macro that was given the wrong arguments; the engine then prints the usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface MacroInstance {
  kwargs?: Kwargs;
  run(ctx: MacroContext): unknown;
}

/** A macro class: the constructor checks the arguments, `run()` acts. */
export type MacroClass = (new (...args: never[]) => MacroInstance) & { usage?: string };

export interface Macro {
  name: string;
  /** the usage text: shown on bad input, by `help`, and by `lsmac` (first line) */
  usage: string;
  /** checks the arguments (throwing UsageError) and returns what to run */
  create(args: Arg[], kwargs: Kwargs): MacroInstance;
}

export const macros = new Map<string, Macro>();

/** Registers a macro class under `name` (lower case). Its static `usage` is the help text. */
export function macro(name: string, cls: MacroClass): MacroClass {
  register({
    name,
    usage: cls.usage ?? name,
    create(args, kwargs) {
      const instance = new (cls as unknown as new (...a: Arg[]) => MacroInstance)(...args);
      instance.kwargs = kwargs;
      return instance;
    },
  });
  return cls;
}

/** Registers a function macro: `run` gets the parsed arguments. */
export function defineMacro(
  name: string,
  usage: string,
  run: (args: Arg[], kwargs: Kwargs, ctx: MacroContext) => unknown,
): void {
  register({ name, usage, create: (args, kwargs) => ({ run: (ctx) => run(args, kwargs, ctx) }) });
}

function register(m: Macro): void {
  if (!/^[a-z][a-z0-9_]*$/.test(m.name)) throw new Error(`macro names are lower case words (got '${m.name}')`);
  m.usage = m.usage.replace(/^\n+|\s+$/g, "").replace(/^ {4}/gm, "");
  macros.set(m.name, m);
}
