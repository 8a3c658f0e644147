import { env } from "../environment/env.ts";
import { defineMacro, macros } from "./registry.ts";
import { arity, asString } from "./args.ts";
import { lookupMacro } from "./run.ts";

defineMacro("lsmac", `
    lsmac
    Lists the macros, each with its usage line.`, (args) => {
  arity(args, 0);
  const names = [...macros.keys()].sort();
  const width = Math.max(...names.map((n) => n.length));
  const lines = names.map((n) => `${n.padEnd(width)}  ${(macros.get(n)?.usage.split("\n")[0] ?? "")}`);
  env.print(lines.join("\n"));
  return names;
});

defineMacro("help", `
    help <macro>
    Shows a macro's usage (also: <macro>?).`, (args) => {
  arity(args, 1);
  const m = lookupMacro(asString(args[0], "macro name"));
  env.print(m.usage);
  return m.usage;
});
