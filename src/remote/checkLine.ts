import { macroName, lookupMacro, MacroLineError, refuseShortcutArguments } from "../macros/run.ts";
import { parseArgs, tokenize } from "../macros/parse.ts";

/** The queue's own macros: queueing them would make the queue steer itself. */
export const QUEUE_MACROS = new Set(["qadd", "qls", "qrm", "qmv", "qclear", "qstart", "qstop", "qhist"]);

/**
 * Checks a line before it is queued, the way runCommand checks it before it
 * runs: the macro exists and takes these arguments (its constructor accepts
 * them). Returns the line as it will run; throws MacroLineError with the
 * macro's usage otherwise. Nothing runs. Limits are checked when it runs.
 */
export async function checkQueueLine(line: string): Promise<string> {
  const text = line.trim().replace(/^%/, "");
  if (!text || text.includes("\n")) throw new MacroLineError("a queue item is one macro line");
  const parsed = macroName(text);
  if (!parsed) throw new MacroLineError(`not a macro line: ${JSON.stringify(text)}`);
  const m = lookupMacro(parsed.name);
  refuseShortcutArguments(parsed);
  if (QUEUE_MACROS.has(m.name)) throw new MacroLineError(`${m.name} acts on the queue itself and cannot be queued`);
  try {
    const { args, kwargs } = await parseArgs(tokenize(parsed.rest));
    m.create(args, kwargs);
  } catch (e) {
    throw new MacroLineError(`${m.name}: ${e instanceof Error ? e.message : String(e)}`, m.usage);
  }
  return text;
}
