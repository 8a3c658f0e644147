import { env } from "../environment/env.ts";
import { defineMacro, macros } from "./registry.ts";
import { arity, asString } from "./args.ts";
import { lookupMacro, macroName } from "./run.ts";

/** Prints every macro with its usage line, then the shortcuts with their lines, and returns the names. */
function listMacros(): string[] {
  const names = [...macros.keys()].sort();
  const shortcuts = [...env.shortcuts.keys()].sort();
  const width = Math.max(...names.map((n) => n.length), ...shortcuts.map((n) => n.length));
  const lines = names.map((n) => `${n.padEnd(width)}  ${(macros.get(n)?.usage.split("\n")[0] ?? "")}`);
  if (shortcuts.length) lines.push("", "shortcuts (each runs its line; help NAME explains it):", ...shortcuts.map((n) => `${n.padEnd(width)}  = ${env.shortcuts.get(n)}`));
  env.print(lines.join("\n"));
  return [...names, ...shortcuts];
}

/** What `help NAME` says of a shortcut: its line, and the usage line of the macro it runs. */
function explainShortcut(name: string): string {
  const line = env.shortcuts.get(name) ?? "";
  const target = macroName(line);
  const usage = target && macros.get(target.name)?.usage.split("\n")[0];
  return `${name} is a shortcut for: ${line}\nIt takes no arguments.${usage ? ` It runs ${target.name}: ${usage}` : ""}`;
}

defineMacro("lsmac", `
    lsmac
    Lists the macros, each with its usage line, then the shortcuts, each with
    the line it runs.`, (args) => {
  arity(args, 0);
  return listMacros();
});

defineMacro("help", `
    help [<macro>]
    Shows a macro's usage (also: <macro>? or ?<macro>), or what a shortcut
    runs (without running it); alone, lists the macros and shortcuts.`, (args) => {
  arity(args, 0, 1);
  if (!args.length) {
    const names = listMacros();
    env.print("help NAME (or NAME?) shows one macro's usage; # starts a comment on a macro line.");
    return names;
  }
  const name = asString(args[0], "macro name");
  if (env.shortcuts.has(name)) {
    const text = explainShortcut(name);
    env.print(text);
    return text;
  }
  const m = lookupMacro(name);
  env.print(m.usage);
  return m.usage;
});
