/** The shell's one queue: its store in the data directory, opened on first use, and its runner. */
import { join } from "node:path";
import { env } from "../environment/env.ts";
import { QueueStore } from "./QueueStore.ts";
import { QueueRunner } from "./QueueRunner.ts";
import { shellLink } from "./ShellLink.ts";

export const QUEUE_FILE = ".contrast-queue.sqlite";

let runner: QueueRunner | null = null;

/** The queue; the first call opens its store and reports items a crash cut short. */
export function theQueue(): QueueRunner {
  if (runner) return runner;
  const { store, interrupted } = QueueStore.open(join(env.paths.directory, QUEUE_FILE));
  for (const item of interrupted) env.print(`queue: item #${item.id} (${item.line}) was running when the shell ended: marked interrupted`);
  const q = new QueueRunner(store, shellLink);
  env.scan.abortRunning = () => q.abortItem() || shellLink().abort();
  runner = q;
  return q;
}

/** Aborts the item that runs, waits for its clean-up, and closes the store. */
export async function closeQueue(): Promise<void> {
  const q = runner;
  if (!q) return;
  runner = null;
  await q.close();
  q.store.close();
}
