/**
 * Worker threads over a module named like a forked child's. Under tsx (the
 * tests) the thread registers tsx before importing the module: Node 20 does
 * not carry the parent's loader into its threads.
 */
import { Worker } from "node:worker_threads";

export function startThread(module: URL, workerData: unknown): Worker {
  if (!module.pathname.endsWith(".ts")) return new Worker(module, { workerData });
  const boot = `import { register } from ${JSON.stringify(import.meta.resolve("tsx/esm/api"))};
register();
await import(${JSON.stringify(module.href)});`;
  return new Worker(boot, { eval: true, workerData });
}
