export { macro, defineMacro, macros, UsageError, type Arg, type Kwargs, type Macro, type MacroClass, type MacroContext, type MacroInstance } from "./registry.ts";
export { runCommand, isMacroLine, macroName, MacroLineError } from "./run.ts";
export { MacroBusyError } from "./control.ts";
export { tokenize, parseArgs } from "./parse.ts";
export * from "./args.ts";
import "./builtins.ts";
