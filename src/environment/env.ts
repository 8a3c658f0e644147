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

/** Functions a beamline script may set; the scan loop calls them at these moments. */
export interface Hooks {
  beforeScan?: Hook;
  beforeMove?: Hook;
  beforeArm?: Hook;
  beforeStart?: Hook;
  /** called after the detectors are started, while they acquire */
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

export type { Environment };
export const env = new Environment();
