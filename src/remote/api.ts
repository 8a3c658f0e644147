/**
 * The routes under /api: what each does and which role it needs. JSON in and
 * out; a handler throws ApiError for a refusal with its status code.
 */
import { env } from "../environment/env.ts";
import { Motor } from "../motors/Motor.ts";
import { MacroLineError } from "../macros/run.ts";
import type { Role } from "./auth.ts";
import { checkQueueLine } from "./checkLine.ts";
import type { QueueRunner } from "./QueueRunner.ts";
import type { ShellLink } from "./ShellLink.ts";

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }
}

export interface ApiRequest {
  body: Record<string, unknown>;
  /** the parts of the path the route's pattern captured */
  params: string[];
  role: Role;
}

export interface Route {
  method: "GET" | "POST" | "DELETE";
  path: RegExp;
  role: Role;
  /** what the local shell is told (write routes only) */
  says?: (r: ApiRequest, result: unknown) => string;
  handle(r: ApiRequest): unknown;
}

export interface Status {
  state: "idle" | "running" | "paused" | "suspended";
  /** a pause is asked for and comes at the next point */
  pausing: boolean;
  item: { id: number; line: string; startedAt: number } | null;
  scan: { scannr: number; done: number; total: number } | null;
  queue: { running: boolean; stopping: boolean; length: number };
  userLevel: number;
}

/** The scheduler is asked at most this often, however many clients ask for the status. */
const SCHEDULER_CACHE_MS = 1000;

function integer(v: unknown, what: string, min = 1): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) throw new ApiError(400, `${what} must be a whole number >= ${min}`);
  return v;
}

/** Builds the routes on a queue and the shell it runs in. */
export function makeRoutes(queue: QueueRunner, link: () => ShellLink): { routes: Route[]; status: () => Promise<Status> } {
  const store = queue.store;
  let ready = { value: true, at: 0 };
  const busy = () => queue.current !== null || link().busy();

  async function status(): Promise<Status> {
    const running = busy();
    if (running && performance.now() - ready.at > SCHEDULER_CACHE_MS) {
      ready = { value: await env.scheduler.ready().catch(() => true), at: performance.now() };
    }
    const scan = env.scan;
    const state = !running ? "idle" : scan.paused ? "paused" : ready.value && scan.suspended === null ? "running" : "suspended";
    const item = queue.current;
    return {
      state,
      pausing: scan.pausing && !scan.paused,
      item: item && { id: item.id, line: item.line, startedAt: item.startedAt },
      scan: running ? scan.current : null,
      queue: { running: queue.running, stopping: queue.stopping, length: store.length },
      userLevel: env.userLevel,
    };
  }

  function needsScan(): void {
    if (!busy()) throw new ApiError(409, "nothing is running");
  }

  const routes: Route[] = [
    { method: "GET", path: /^status$/, role: "observer", handle: async ({ role }) => ({ ...(await status()), role }) },
    {
      method: "GET", path: /^positions$/, role: "observer",
      async handle() {
        const motors = Motor.getInstances().filter((m) => m.userLevel <= env.userLevel).sort((a, b) => a.name.localeCompare(b.name));
        const read = await Promise.allSettled(motors.map((m) => m.position()));
        return motors.map((m, i) => {
          const r = read[i];
          return r.status === "fulfilled"
            ? { name: m.name, position: r.value, limits: m.userLimits }
            : { name: m.name, position: null, error: String(r.reason instanceof Error ? r.reason.message : r.reason) };
        });
      },
    },
    { method: "GET", path: /^queue$/, role: "observer", handle: () => store.list() },
    { method: "GET", path: /^history$/, role: "observer", handle: () => store.history(200) },
    {
      method: "POST", path: /^queue$/, role: "user",
      says: (_r, item) => `queued #${(item as { id: number }).id}: ${(item as { line: string }).line}`,
      async handle({ body, role }) {
        if (typeof body.line !== "string") throw new ApiError(400, 'needs {"line": "<macro line>"}');
        const position = body.position === undefined ? undefined : integer(body.position, "position");
        let line: string;
        try {
          line = await checkQueueLine(body.line);
        } catch (e) {
          if (!(e instanceof MacroLineError)) throw e;
          const usage = e.usage;
          throw new ApiError(400, usage ? e.message.slice(0, -usage.length - 1) : e.message, usage ? { usage } : {});
        }
        const item = store.add(line, role, position);
        queue.emit({ type: "queue" });
        return item;
      },
    },
    {
      method: "DELETE", path: /^queue\/(\d+)$/, role: "user",
      says: (r) => `removed #${r.params[0]} from the queue`,
      handle({ params }) {
        if (!store.remove(Number(params[0]))) throw new ApiError(404, `no item #${params[0]} in the queue`);
        queue.emit({ type: "queue" });
        return { removed: Number(params[0]) };
      },
    },
    {
      method: "POST", path: /^queue\/move$/, role: "user",
      says: (r) => `moved #${String(r.body.id)} to position ${String(r.body.position)}`,
      handle({ body }) {
        const id = integer(body.id, "id");
        if (!store.move(id, integer(body.position, "position"))) throw new ApiError(404, `no item #${id} in the queue`);
        queue.emit({ type: "queue" });
        return store.list();
      },
    },
    {
      method: "POST", path: /^queue\/clear$/, role: "user", says: () => "cleared the queue",
      handle() {
        const removed = store.clear();
        queue.emit({ type: "queue" });
        return { removed };
      },
    },
    { method: "POST", path: /^queue\/start$/, role: "user", says: () => "started the queue", handle: () => ({ started: queue.start() }) },
    {
      method: "POST", path: /^queue\/stop$/, role: "admin", says: () => "stopped the queue (after the item that runs)",
      handle() {
        queue.stop();
        return { stopping: queue.running };
      },
    },
    {
      method: "POST", path: /^scan\/pause$/, role: "user", says: () => "paused the scan",
      handle() {
        needsScan();
        env.scan.pause();
        return { pausing: true };
      },
    },
    {
      method: "POST", path: /^scan\/resume$/, role: "user", says: () => "resumed the scan",
      handle() {
        if (!env.scan.pausing && !env.scan.paused) throw new ApiError(409, "nothing is paused");
        env.scan.resume();
        return { resumed: true };
      },
    },
    {
      method: "POST", path: /^scan\/abort$/, role: "user", says: () => "aborted what runs",
      handle() {
        if (!env.scan.abort()) throw new ApiError(409, "nothing is running");
        return { aborted: true };
      },
    },
    {
      method: "POST", path: /^userlevel$/, role: "admin", says: (r) => `set the user level to ${String(r.body.level)}`,
      handle({ body }) {
        env.userLevel = integer(body.level, "level", 0);
        queue.emit({ type: "state" });
        return { userLevel: env.userLevel };
      },
    },
  ];
  return { routes, status };
}
