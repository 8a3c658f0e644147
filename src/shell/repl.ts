import { env } from "../environment/env.ts";

/** The interactive shell. */
export async function startShell(): Promise<void> {
  env.print("The interactive shell is not there yet; run macro lines with: contrast [SETUP] -c 'LINE'");
}
