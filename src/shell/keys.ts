/**
 * Raw key presses from the terminal, for macros that are driven by keys
 * (tweak). While a macro holds the keys, the shell's line input leaves them
 * alone (it still turns Ctrl-C into an interrupt).
 */

export const CTRL_C = "\x03";
/** pauses the scan that runs, and resumes it (Ctrl-P: no terminal or shell habit is at stake while a scan holds the line) */
export const PAUSE_KEY = "\x10";

let holder: ((key: string) => void) | null = null;

/** True while a macro reads the keys itself. */
export function keysCaptured(): boolean {
  return holder !== null;
}

/** Splits terminal input into keys: escape sequences (arrows) stay whole. */
export function splitKeys(data: string): string[] {
  return data.match(/\x1b\[[0-9;]*[A-Za-z~]|\x1bO[A-Za-z]|[\s\S]/gu) ?? [];
}

/**
 * Calls `onKey` for every key pressed until the returned function is called,
 * which puts the terminal back the way it was. Refuses without a terminal.
 */
export function captureKeys(onKey: (key: string) => void): () => void {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw new Error("needs a terminal to read keys from (stdin is not a TTY)");
  if (holder) throw new Error("the keys are already taken by another macro");
  const wasRaw = stdin.isRaw;
  const wasPaused = stdin.isPaused();
  const onData = (d: Buffer | string) => {
    for (const k of splitKeys(String(d))) holder?.(k);
  };
  holder = onKey;
  stdin.setRawMode(true);
  stdin.on("data", onData);
  stdin.resume();
  return () => {
    holder = null;
    stdin.off("data", onData);
    stdin.setRawMode(wasRaw);
    if (wasPaused) stdin.pause();
  };
}
