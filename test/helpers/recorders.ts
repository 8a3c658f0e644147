/**
 * For the recorder tests: a recorder that misbehaves on purpose (this module
 * is also its child side: see openRecorder below), reading scan files with
 * Debian's h5py, a ZeroMQ subscriber, and waiting for processes to go.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Subscriber } from "zeromq";
import { ProcessRecorder, type ProcessRecorderOptions } from "../../src/recorders/process/ProcessRecorder.ts";
import type { RecorderChild } from "../../src/recorders/process/RecorderChild.ts";
import type { ScanMessage } from "../../src/recorders/messages.ts";
import { decodeMessage, type WireMessage } from "../../src/recorders/stream/wire.ts";
import { PY_PLAIN_VALUES, runPython } from "./system.ts";

interface ScriptOptions {
  /** throw an uncaught exception when this point index arrives */
  crashAt?: number;
  /** take this long to store a footer */
  footerDelayMs?: number;
}

/** A recorder that misbehaves on purpose: crashes at a point ("boom at point N"), or is slow to close a scan. */
export class ScriptedRecorder extends ProcessRecorder {
  constructor(opts: ProcessRecorderOptions & ScriptOptions) {
    super(opts, { module: new URL(import.meta.url), options: { crashAt: opts.crashAt, footerDelayMs: opts.footerDelayMs } });
  }
}

/** The child side of ScriptedRecorder. */
export function openRecorder(o: ScriptOptions): RecorderChild {
  let points = 0;
  return {
    describe: () => `${points} points seen`,
    header() {},
    point(p) {
      points++;
      if (p.index !== o.crashAt) return;
      process.stderr.write(`about to fail at point ${p.index}\n`);
      setImmediate(() => {
        throw new Error(`boom at point ${p.index}`);
      });
    },
    footer: () => new Promise((resolve) => setTimeout(resolve, o.footerDelayMs ?? 0)),
    close() {},
  };
}

/** Reads a scan file with h5py: every dataset's value (arrays as lists), every group's attributes, and links. */
const DUMP = String.raw`${PY_PLAIN_VALUES}
f = h5py.File(sys.argv[1], "r")   # plain mode: no SWMR, no h5clear
out = {"attrs": {"/": clean(dict(f.attrs))}, "values": {}, "shapes": {}, "links": {}}
def visit(name, obj):
    out["attrs"][name] = clean(dict(obj.attrs))
    if isinstance(obj, h5py.Dataset):
        out["shapes"][name] = list(obj.shape)
        if obj.size <= 100000: out["values"][name] = clean(obj[()])
    else:
        for k in obj:
            link = obj.get(k, getlink=True)
            if isinstance(link, h5py.ExternalLink):
                target = obj[k]
                out["links"][name + "/" + k] = {"file": link.filename, "path": link.path, "shape": list(target.shape),
                    "first": clean(target[0].ravel()[:4]) if target.shape and target.shape[0] else None}
f.visititems(visit)
print(json.dumps(out))
`;

export interface ScanFile {
  attrs: Record<string, Record<string, unknown>>;
  values: Record<string, unknown>;
  shapes: Record<string, number[]>;
  links: Record<string, { file: string; path: string; shape: number[]; first: number[] | null }>;
}

export function readScanFile(file: string): ScanFile {
  return runPython<ScanFile>(DUMP, [file]);
}

/** Rows and status of a scan file, as h5py sees it right now. */
export function scanFileSummary(file: string): { status: string; rows: Record<string, number>; error: string | null } {
  return runPython(String.raw`
import h5py, json, sys
f = h5py.File(sys.argv[1], "r")
m = f["entry/measurement"]
rows = {k: m[k].shape[0] for k in m if isinstance(m[k], h5py.Dataset)}
err = f["entry/error"][()].decode() if "error" in f["entry"] else None
print(json.dumps({"status": f["entry/status"][()].decode(), "rows": rows, "error": err}))
`, [file]);
}

/** A SUB socket collecting decoded messages. */
export class StreamListener {
  readonly messages: WireMessage[] = [];
  private readonly socket = new Subscriber({ linger: 0, receiveHighWaterMark: 0 });
  private waiters: (() => void)[] = [];
  private readonly done: Promise<void>;

  constructor(address: string) {
    this.socket.connect(address);
    this.socket.subscribe();
    this.done = (async () => {
      try {
        for await (const frames of this.socket) {
          this.messages.push(decodeMessage(frames));
          for (const w of this.waiters.splice(0)) w();
        }
      } catch {
        // closed
      }
    })();
  }

  /** Resolves once a received message passes `test`. */
  async waitFor(test: (m: WireMessage) => boolean, timeoutMs = 20_000): Promise<WireMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.messages.find(test);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`no such message within ${timeoutMs} ms; got ${this.messages.map((x) => x.kind).join(" ")}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.waiters.push(() => { clearTimeout(t); r(); });
      });
    }
  }

  scan(scannr: number): ScanMessage[] {
    return this.messages.filter((m): m is ScanMessage => m.kind !== "heartbeat" && m.scannr === scannr);
  }

  async close(): Promise<void> {
    this.socket.close();
    await this.done;
  }
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // a zombie still answers kill(0); its state in /proc says it is gone
    return !/\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

export async function waitUntilGone(pids: number[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isRunning)) {
    if (Date.now() > deadline) throw new Error(`processes ${pids.filter(isRunning).join(", ")} still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Child processes of `pid`, with their command lines. */
export function childrenOf(pid: number): { pid: number; args: string }[] {
  const r = spawnSync("ps", ["-o", "pid=,args=", "--ppid", String(pid)], { encoding: "utf8" });
  return r.stdout.trim().split("\n").filter(Boolean).map((l) => {
    const m = /^\s*(\d+)\s+(.*)$/.exec(l) as RegExpExecArray;
    return { pid: Number(m[1]), args: m[2] };
  });
}
