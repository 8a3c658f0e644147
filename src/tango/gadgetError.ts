/**
 * Prefixes an error with the gadget's name, keeping its class (a TangoError stays one).
 * Unlike `named()` in Motor.ts it only looks at the start of the message, because a
 * Tango message names attributes like "double_spectrum_ro:" that end in a gadget's name.
 */
export function gadgetError(name: string, e: unknown): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  if (!err.message.startsWith(`${name}: `)) err.message = `${name}: ${err.message}`;
  return err;
}

/** Runs `fn`, naming the gadget in any error it throws. */
export async function asGadget<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw gadgetError(name, e);
  }
}
