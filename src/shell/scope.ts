import * as contrast from "../index.ts";
import { Gadget } from "../gadget.ts";

/**
 * What the shell's JavaScript sees: everything `src/index.ts` exports (env,
 * the gadget classes, runCommand, ...), and every gadget under its name.
 * Names that already mean something else are left alone.
 */
export function fillScope(scope: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(contrast)) if (!(name in scope)) scope[name] = value;
  scope.runCommand = contrast.runCommand;
  addGadgets(scope);
}

/** Puts gadgets made since (e.g. typed at the prompt) in scope, and drops disposed ones. */
export function addGadgets(scope: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(scope)) {
    if (value instanceof Gadget && value.name === name && Gadget.byName(name) !== value) delete scope[name];
  }
  for (const g of Gadget.getInstances()) {
    const current = scope[g.name];
    if (current === undefined || current instanceof Gadget) scope[g.name] = g;
  }
}
