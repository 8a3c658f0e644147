import { PathFixer } from "./paths.ts";
import { DummyScheduler, type Scheduler } from "./scheduler.ts";
import { MotorSnapshot, type Snapshot } from "./snapshot.ts";
import { peekScanId, saveScanId, takeScanId } from "./scanIds.ts";
import { macros } from "../macros/registry.ts";
import { ScanControl } from "../scans/control.ts";
import type { SoftwareScan } from "../scans/SoftwareScan.ts";
import type { LastScanStats } from "../scans/stats.ts";
import type { Value } from "../data/values.ts";

type Hook = (scan: SoftwareScan) => void | Promise<void>;
/** What a ct hook is told: the exposure time, and after counting the readings (none if counting failed). */
export type CtHook = (ct: { exposure: number; readings?: Record<string, Value> }) => void | Promise<void>;

/**
 * Functions a beamline script may set; the scan loop calls them at these
 * moments. Set in `env.hooks` they apply to every scan; set in a scan class's
 * static `hooks` (`Mesh.hooks = { beforeScan }`) they apply to that class and
 * its subclasses, and win over `env.hooks` for the moments they name (the
 * nearest class first: `DMesh.hooks`, then `Mesh.hooks`, then `env.hooks`).
 */
export interface Hooks {
  /** after the busy and limit checks, before the scan number is taken and anything is prepared; throwing refuses the scan */
  beforeScan?: Hook;
  beforeMove?: Hook;
  beforeArm?: Hook;
  beforeStart?: Hook;
  /**
   * called at each point once the detectors are started, then again every
   * `env.whileAcquiringInterval` seconds (counted from the end of the previous
   * call) until they are done; never twice at once, never after they are done
   */
  whileAcquiring?: Hook;
  afterScan?: Hook;
  /** called by ct before it counts */
  beforeCt?: CtHook;
  /** called by ct after it counted, also when counting failed */
  afterCt?: CtHook;
}

/**
 * The beamline environment: one object, importable anywhere, that a beamline
 * script configures.
 */
class Environment {
  paths: PathFixer = new PathFixer(process.env.CONTRAST_DATA_DIR ?? "./data");
  scheduler: Scheduler = new DummyScheduler();
  snapshot: Snapshot = new MotorSnapshot();
  /** hides and protects gadgets whose userLevel is above it; not a security feature */
  userLevel = 5;
  lastMacroResult: unknown = undefined;
  /** the last scan's peak statistics (what `peak`, `cen`, `goto` ... use) */
  lastScan: LastScanStats | undefined = undefined;
  hooks: Hooks = {};
  /** seconds between the end of one whileAcquiring call and the next */
  whileAcquiringInterval = 0.1;
  /** pause, resume and abort of the scan that runs (src/scans/control.ts) */
  readonly scan = new ScanControl((text) => this.print(text));
  /** command-line shortcuts: a name bound to a macro line */
  shortcuts = new Map<string, string>();
  /** variables that macro arguments may use in expressions (the shell's own scope) */
  scope: Record<string, unknown> = {};
  /** where macros print; the shell and tests may redirect it */
  print: (text: string) => void = (text) => void process.stdout.write(text + "\n");
  /** set by the shell to show a scan's progress; the scan loop calls it after each point */
  progress?: (p: { scannr: number; done: number; total: number; elapsed: number; left: number }) => void;

  /** The hooks a scan runs: `env.hooks`, overridden by the static `hooks` of its class and the classes it extends (nearest wins). */
  hooksFor(scan: SoftwareScan): Hooks {
    const chain: Hooks[] = [];
    for (let c = scan.constructor as { hooks?: Hooks } | null; c && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
      if (Object.hasOwn(c, "hooks") && c.hooks) chain.unshift(c.hooks);
    }
    return Object.assign({}, this.hooks, ...chain) as Hooks;
  }

  get macros() {
    return macros;
  }

  /** The number the next scan will get (persisted with the data directory). */
  get nextScanId(): number {
    return peekScanId(this.paths.directory, this.warn);
  }

  /** Sets the next scan number; one below a number already used (files, or this session) is refused. */
  set nextScanId(n: number) {
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`scan number must be a whole number >= 0 (got ${n})`);
    saveScanId(this.paths.directory, n);
    const next = this.nextScanId;
    if (next !== n) throw new Error(`scan number ${n} would go backwards: scans up to ${next - 1} exist or were taken; the next is ${next}`);
  }

  takeScanId(dir: string): number {
    return takeScanId(dir, this.warn);
  }

  private readonly warn = (text: string) => this.print(text);
}

/**
 * Calls `hook` now and then every `env.whileAcquiringInterval` seconds until
 * `done` settles (each call awaited before the next wait), and settles as
 * `done` does; a hook that throws fails it.
 */
export async function whileBusy(done: Promise<void>, hook?: () => unknown): Promise<void> {
  if (!hook) return done;
  let over = false;
  const settled = done.then(() => void (over = true), () => void (over = true));
  while (!over) {
    await hook();
    if (over) break;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([settled, new Promise((r) => (timer = setTimeout(r, env.whileAcquiringInterval * 1000)))]);
    clearTimeout(timer);
  }
  return done;
}

export type { Environment };
export const env = new Environment();
