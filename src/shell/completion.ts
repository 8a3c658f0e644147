import type { AsyncCompleter, CompleterResult } from "node:readline";
import { Gadget } from "../gadget.ts";
import { env } from "../environment/env.ts";
import { macros } from "../macros/registry.ts";
import { macroName } from "../macros/run.ts";
import { Motor } from "../motors/Motor.ts";
import { Detector } from "../detectors/Detector.ts";

type Kind = "motor" | "detector" | "macro";

/** What the arguments of a macro name, so that Tab after it offers only those. */
const ARGUMENT_KINDS: Record<string, Kind> = {
  mv: "motor", mvr: "motor", umv: "motor", umvr: "motor", wm: "motor", wms: "motor",
  setlim: "motor", setpos: "motor", bookmark: "motor", lsbook: "motor",
  ascan: "motor", dscan: "motor", mesh: "motor", dmesh: "motor", listscan: "motor",
  spiralscan: "motor", fermatscan: "motor", tweak: "motor",
  activate: "detector", deactivate: "detector", startlive: "detector", stoplive: "detector",
  help: "macro",
};

function visibleGadgets(kind?: Kind): string[] {
  if (kind === "macro") return [...macros.keys()];
  const cls = kind === "motor" ? Motor : kind === "detector" ? Detector : Gadget;
  return cls.getInstances().filter((g) => g.userLevel <= env.userLevel).map((g) => g.name);
}

function hiddenGadget(name: string): boolean {
  const g = Gadget.byName(name);
  return g !== undefined && g.userLevel > env.userLevel;
}

function matching(names: Iterable<string>, word: string, prefix = ""): string[] {
  return [...new Set([...names].map((n) => prefix + n).filter((n) => n.startsWith(word)))].sort();
}

/**
 * Tab completion: the first word completes to macro and gadget names (and
 * JavaScript names); a macro's arguments to the gadgets of the kind it
 * takes; anything else is left to Node's JavaScript completion. Gadgets
 * above the user level are not offered.
 */
export function shellCompleter(javascript: AsyncCompleter): AsyncCompleter {
  const fromJavascript = (line: string): Promise<CompleterResult> =>
    new Promise((resolve) => {
      try {
        javascript(line, (err, result) => resolve(err || !result ? [[], line] : result));
      } catch {
        resolve([[], line]);
      }
    });

  return (line, callback) => {
    void complete(line).then((r) => callback(null, r), () => callback(null, [[], line]));
  };

  async function complete(line: string): Promise<CompleterResult> {
    const first = /^\s*(%?)([A-Za-z_]\w*)?$/.exec(line);
    if (first) {
      const word = first[1] + (first[2] ?? "");
      if (first[1]) return [matching(macros.keys(), word, "%"), word];
      const [js] = await fromJavascript(line);
      const names = [...macros.keys(), ...visibleGadgets(), ...js.filter((n) => n && !hiddenGadget(n))];
      return [matching(names, word), word];
    }
    const head = /^\s*%?([A-Za-z_]\w*)\s+(?![-+*/%&|^]*=)/.exec(line);
    const parsed = head ? macroName(head[0].trim()) : null;
    if (parsed && macros.has(parsed.name) && !/["'`]/.test(line)) {
      const word = /(\S*)$/.exec(line)?.[1] ?? "";
      if (word.includes("=")) return [[], word];
      return [matching(visibleGadgets(ARGUMENT_KINDS[parsed.name]), word), word];
    }
    const [js, sub] = await fromJavascript(line);
    return [js.filter((n) => !hiddenGadget(n)), sub];
  }
}
