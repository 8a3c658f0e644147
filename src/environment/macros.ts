import { env } from "./env.ts";
import { defineMacro } from "../macros/registry.ts";
import { arity, asInt, asString } from "../macros/args.ts";

defineMacro("userlevel", `
    userlevel [<level>]
    Shows or sets the user level. Gadgets above it are hidden from listings and
    refused by macros. It protects against mistakes; it is not security.`,
  (args) => {
    arity(args, 0, 1);
    if (args.length) env.userLevel = asInt(args[0], "level");
    env.print(`user level ${env.userLevel}`);
    return env.userLevel;
  });

defineMacro("path", `
    path [<directory>]
    Shows or sets where data are written.`,
  async (args) => {
    arity(args, 0, 1);
    if (args.length) env.paths.directory = asString(args[0], "directory");
    const dir = await env.paths.getDirectory();
    env.print(`data go to ${dir} (next scan #${env.nextScanId})`);
    return dir;
  });
