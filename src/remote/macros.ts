/** The queue's macros: qadd qls qrm qmv qclear qstart qstop qhist. */
import { env } from "../environment/env.ts";
import { defineMacro, UsageError } from "../macros/registry.ts";
import { arity, asInt, asString } from "../macros/args.ts";
import { checkQueueLine } from "./checkLine.ts";
import { theQueue } from "./queue.ts";
import { hasShell } from "./ShellLink.ts";
import type { HistoryItem } from "./QueueStore.ts";

/** "05:12:03" for today, else "2026-12-01 05:12:03" (local time). */
export function clockTime(seconds: number | null): string {
  if (seconds === null) return "";
  const d = new Date(seconds * 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const today = new Date().toDateString() === d.toDateString();
  return today ? time : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

function historyLine(h: HistoryItem): string {
  const scan = h.scannr === null ? "" : ` scan #${h.scannr}`;
  const error = h.error && h.status === "failed" ? `: ${h.error.split("\n")[0]}` : "";
  return `#${String(h.id).padEnd(4)} ${clockTime(h.startedAt).padEnd(8)} ${h.status.padEnd(11)}${scan}  ${h.line}${error}`;
}

function queueId(a: unknown): number {
  return asInt(a as number, "item id", 1);
}

defineMacro("qadd", `
    qadd "<line>" [<position>]
    Queues a macro line, at the end or at <position> (1 runs next). The line is
    checked now, as if typed: a wrong one is refused with its macro's usage.
    The queue runs after qstart.`, async (args) => {
  arity(args, 1, 2);
  const line = await checkQueueLine(asString(args[0], "the line"));
  const position = args[1] === undefined ? undefined : asInt(args[1], "position", 1);
  const item = theQueue().store.add(line, "local", position);
  theQueue().emit({ type: "queue" });
  env.print(`queued #${item.id} at position ${item.position}: ${item.line}`);
  return item;
});

defineMacro("qls", `
    qls
    Lists the queue (position, item id, line) and says whether it runs.`, (args) => {
  arity(args, 0);
  const q = theQueue();
  const items = q.store.list();
  const state = q.running ? (q.stopping ? "running, stops after this item" : "running") : "stopped (qstart runs it)";
  const lines = [`queue ${state}${q.current ? `; now #${q.current.id}: ${q.current.line}` : ""}`];
  for (const item of items) lines.push(`${String(item.position).padStart(3)}. #${String(item.id).padEnd(4)} ${item.line}`);
  if (!items.length) lines.push("  (empty)");
  env.print(lines.join("\n"));
  return items;
});

defineMacro("qrm", `
    qrm <id>
    Removes item <id> (as qls shows it) from the queue.`, (args) => {
  arity(args, 1);
  const id = queueId(args[0]);
  if (!theQueue().store.remove(id)) throw new UsageError(`no item #${id} in the queue`);
  theQueue().emit({ type: "queue" });
  env.print(`removed #${id}`);
});

defineMacro("qmv", `
    qmv <id> <position>
    Moves item <id> to <position> in the queue (1 runs next).`, (args) => {
  arity(args, 2);
  const id = queueId(args[0]);
  if (!theQueue().store.move(id, asInt(args[1], "position", 1))) throw new UsageError(`no item #${id} in the queue`);
  theQueue().emit({ type: "queue" });
  env.print(`#${id} is now at position ${theQueue().store.get(id)?.position}`);
});

defineMacro("qclear", `
    qclear
    Empties the queue (the item that runs goes on; the history stays).`, (args) => {
  arity(args, 0);
  const n = theQueue().store.clear();
  theQueue().emit({ type: "queue" });
  env.print(`removed ${n} item${n === 1 ? "" : "s"}`);
});

defineMacro("qstart", `
    qstart
    Runs the queue, item after item, until it is empty, qstop is given, or an
    item fails or is aborted. The prompt stays free meanwhile; without a
    prompt (contrast -c qstart) it returns when the queue stops.`, async (args) => {
  arity(args, 0);
  const q = theQueue();
  const n = q.store.length;
  if (q.running) return env.print("the queue runs already");
  env.print(n ? `queue started: ${n} item${n === 1 ? "" : "s"}` : "queue started, but it is empty");
  q.start();
  if (hasShell()) return;
  await q.stopped();
  const last = q.store.history(1)[0];
  if (n && last && last.status !== "finished") throw new Error(`queue stopped: item #${last.id} ${last.status}`);
});

defineMacro("qstop", `
    qstop
    Stops the queue after the item that runs. To stop that item too: abort on
    the web page, or env.scan.abort() at the prompt.`, (args) => {
  arity(args, 0);
  const q = theQueue();
  if (!q.running) return env.print("the queue is not running");
  q.stop();
  env.print(q.current ? `the queue stops after #${q.current.id}` : "queue stopped");
});

defineMacro("qhist", `
    qhist [<n>]
    Shows the last <n> (default 20) items run: status, scan number, line.`, (args) => {
  arity(args, 0, 1);
  const items = theQueue().store.history(args[0] === undefined ? 20 : asInt(args[0], "n", 1));
  env.print(items.length ? items.map(historyLine).join("\n") : "(nothing has run from the queue yet)");
  return items;
});
