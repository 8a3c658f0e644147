/**
 * Starts a real TangoTest device server (database-less, on loopback) and the REST gateway
 * (tools/tango-rest-gateway.py) in front of it, for tests and benchmarks:
 *
 *   const tango = await startTango();          // TangoTest on 10000 if free, else a free port
 *   const client = new TangoRestClient({ baseUrl: tango.restUrl, tangoPort: tango.tangoPort });
 *   ...
 *   await tango.stop();                         // also done at process exit
 *
 * Both children get PR_SET_PDEATHSIG, so they die with this process even if it is SIGKILLed.
 * Skip tests that use this with `{ skip: needsTango() }`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { SYSTEM_PYTHON, TANGO_TEST_BINARY } from "./system.ts";

export const GATEWAY_SCRIPT = fileURLToPath(new URL("../../tools/tango-rest-gateway.py", import.meta.url));
export const TEST_DEVICE = "sys/tg_test/1";

export interface TangoOptions {
  /** ORB port of TangoTest; default 10000, or a free port when 10000 is taken. */
  tangoPort?: number;
  /** Device name TangoTest serves; default "sys/tg_test/1". */
  device?: string;
  /** Extra gateway arguments, e.g. ["--user", "u", "--password", "p"]. */
  gatewayArgs?: string[];
  /** How long each process may take to come up; default 20 s. */
  startupTimeoutMs?: number;
}

export interface TangoFixture {
  /** e.g. "http://127.0.0.1:41234/tango/rest/v11" */
  restUrl: string;
  /** TangoTest's ORB port; pass it as the client's tangoPort. */
  tangoPort: number;
  device: string;
  deviceServerPid: number;
  gatewayPid: number;
  /** Kills the gateway and TangoTest and waits until both are gone (idempotent). */
  stop(): Promise<void>;
  /** SIGKILLs TangoTest only (the gateway stays up) and waits until it is gone. */
  killDeviceServer(): Promise<void>;
}

// prctl(PR_SET_PDEATHSIG, SIGKILL), then exec the real program (same pid).
const EXEC_WITH_PDEATHSIG =
  "import ctypes, os, signal, sys; ctypes.CDLL(None).prctl(1, signal.SIGKILL); os.execv(sys.argv[1], sys.argv[1:])";

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

function launch(program: string, args: string[]): ChildProcess {
  const child = spawn(SYSTEM_PYTHON, ["-c", EXEC_WITH_PDEATHSIG, program, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  child.unref(); // never keeps this process alive by itself; the exit hook kills it
  child.once("exit", () => live.delete(child));
  return child;
}

/** Resolves with the first stdout line matching `pattern`; rejects if the child exits or time runs out. */
function waitForLine(child: ChildProcess, pattern: RegExp, what: string, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const done = (fn: () => void) => {
      clearTimeout(timer);
      child.stdout?.off("data", onOut);
      child.stderr?.off("data", onErr);
      child.off("exit", onExit);
      for (const s of [child.stdout, child.stderr]) {
        s?.resume(); // keep draining so the child never blocks on a full pipe
        (s as { unref?: () => void } | null)?.unref?.();
      }
      fn();
    };
    const onOut = (b: Buffer) => {
      out += b.toString();
      const m = out.match(pattern);
      if (m) done(() => resolve(m));
    };
    const onErr = (b: Buffer) => void (err += b.toString());
    const onExit = (code: number | null, signal: string | null) =>
      done(() => reject(new Error(`${what} exited (${code ?? signal}) before it was ready:\n${out}${err}`)));
    const timer = setTimeout(
      () => done(() => reject(new Error(`${what} not ready within ${timeoutMs} ms:\n${out}${err}`))),
      timeoutMs,
    );
    child.stdout?.on("data", onOut);
    child.stderr?.on("data", onErr);
    child.on("exit", onExit);
  });
}

/** SIGTERM, then SIGKILL after `graceMs` (at once when 0); resolves when the child is gone. */
async function stopChild(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.ref(); // stay alive until the exit is seen
  child.kill(graceMs > 0 ? "SIGTERM" : "SIGKILL");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await gone;
  clearTimeout(timer);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** A port the OS says is free right now (someone may take it before we use it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts TangoTest on `port` and resolves once it prints "Ready to accept request". */
export async function startTangoTest(port = 10000, device = TEST_DEVICE, timeoutMs = 20_000): Promise<ChildProcess> {
  const child = launch(TANGO_TEST_BINARY, [
    "test", "-nodb", "-dlist", device, "-ORBendPoint", `giop:tcp:127.0.0.1:${port}`,
  ]);
  try {
    await waitForLine(child, /Ready to accept request/, `TangoTest on port ${port}`, timeoutMs);
  } catch (e) {
    await stopChild(child, 0);
    throw e;
  }
  return child;
}

/** Starts the gateway on a free port and resolves with its REST URL once it prints "listening on ...". */
export async function startGateway(
  devicePort: number,
  extraArgs: string[] = [],
  timeoutMs = 20_000,
): Promise<{ child: ChildProcess; restUrl: string }> {
  const child = launch(SYSTEM_PYTHON, [
    GATEWAY_SCRIPT, "--host", "127.0.0.1", "--port", "0", "--device-port", String(devicePort), ...extraArgs,
  ]);
  try {
    const m = await waitForLine(child, /listening on (http:\/\/\S+)/, "tango-rest-gateway", timeoutMs);
    return { child, restUrl: m[1]! };
  } catch (e) {
    await stopChild(child, 0);
    throw e;
  }
}

/** TangoTest plus the gateway in front of it. */
export async function startTango(options: TangoOptions = {}): Promise<TangoFixture> {
  const device = options.device ?? TEST_DEVICE;
  const timeoutMs = options.startupTimeoutMs ?? 20_000;
  let tangoPort = options.tangoPort ?? 10000;
  if (options.tangoPort === undefined && !(await portIsFree(tangoPort))) tangoPort = await freePort();

  let server: ChildProcess;
  try {
    server = await startTangoTest(tangoPort, device, timeoutMs);
  } catch (e) {
    if (options.tangoPort !== undefined) throw e;
    tangoPort = await freePort(); // lost a race for the port: one more try elsewhere
    server = await startTangoTest(tangoPort, device, timeoutMs);
  }
  let gateway: { child: ChildProcess; restUrl: string };
  try {
    gateway = await startGateway(tangoPort, options.gatewayArgs, timeoutMs);
  } catch (e) {
    await stopChild(server, 0);
    throw e;
  }
  return {
    restUrl: gateway.restUrl,
    tangoPort,
    device,
    deviceServerPid: server.pid!,
    gatewayPid: gateway.child.pid!,
    stop: async () => {
      await Promise.all([stopChild(gateway.child), stopChild(server)]);
    },
    killDeviceServer: () => stopChild(server, 0),
  };
}
