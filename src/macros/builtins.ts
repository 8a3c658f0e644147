import { env } from "../environment/env.ts";
import { defineMacro, macros } from "./registry.ts";
import { arity, asString } from "./args.ts";
import { lookupMacro } from "./run.ts";

/** Prints every macro with its usage line and returns the names. */
function listMacros(): string[] {
  const names = [...macros.keys()].sort();
  const width = Math.max(...names.map((n) => n.length));
  const lines = names.map((n) => `${n.padEnd(width)}  ${(macros.get(n)?.usage.split("\n")[0] ?? "")}`);
  env.print(lines.join("\n"));
  return names;
}

defineMacro("lsmac", `
    lsmac
    Lists the macros, each with its usage line.`, (args) => {
  arity(args, 0);
  return listMacros();
});

defineMacro("help", `
    help [<macro>]
    Shows a macro's usage (also: <macro>? or ?<macro>); alone, lists the macros.`, (args) => {
  arity(args, 0, 1);
  if (!args.length) {
    const names = listMacros();
    env.print("help NAME (or NAME?) shows one macro's usage; # starts a comment on a macro line.");
    return names;
  }
  const m = lookupMacro(asString(args[0], "macro name"));
  env.print(m.usage);
  return m.usage;
});
