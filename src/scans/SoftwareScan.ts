import chalk from "chalk";
import { env, whileBusy, type Hooks } from "../environment/env.ts";
import { Motor, LimitError, named } from "../motors/Motor.ts";
import { Detector } from "../detectors/Detector.ts";
import { DetectorGroup } from "../detectors/DetectorGroup.ts";
import { setTriggerMode } from "../detectors/triggers.ts";
import { Recorder } from "../recorders/Recorder.ts";
import type { ScanFooter, ScanHeader, ScanPoint, ScanStatus } from "../recorders/messages.ts";
import type { Value, ValueDict } from "../data/values.ts";
import type { Kwargs, MacroContext, MacroInstance } from "../macros/registry.ts";
import { AbortError, abortable, throwIfAborted } from "../util/abort.ts";
import { ScanTable } from "./table.ts";
import { PeakCollector } from "./stats.ts";
import { estimateScan, estimateSummary, learnOverhead, type ScanEstimate } from "./estimate.ts";
import { NO_SPACE_CHECK, refuseIfNoRoom } from "./spaceCheck.ts";
import { Deadlines, PointWatch, Suspensions } from "./suspend.ts";

const text = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export interface ScanResult {
  scannr: number;
  status: ScanStatus;
  points: number;
  error?: string;
}

/** Positions of the scan's motors at one point, by motor name. */
export type Position = Record<string, number>;

/**
 * The one acquisition loop (paper Fig. 2a). A scan type only says which
 * motors it drives and generates their positions; this class owns the
 * checks, the detectors, the recorders, the clean-up and the footer.
 */
export abstract class SoftwareScan implements MacroInstance {
  motors: Motor[] = [];
  kwargs: Kwargs = {};
  /** relative scans go back to where they started, on every exit path */
  returnToStart = false;
  /** the motors' positions when the scan started */
  startPositions: number[] = [];
  scannr = -1;
  /** points recorded so far in this run */
  pointsDone = 0;

  /** points per motor of a grid scan (last motor fastest): peak statistics are then per axis */
  grid?: number[];
  /** a fly scan's map coordinates for the recorders' default plot (ScanHeader.map) */
  protected map?: [string, string];
  /** collects the scalar readings for the peak statistics (stats.ts) */
  private peaks = new PeakCollector([], []);
  private estimate?: ScanEstimate;
  /** puts the detectors' trigger settings back as the user left them */
  private restoreTriggers = () => {};
  /** suspensions and pauses of this run (suspend.ts), listed in the footer */
  private suspensions?: Suspensions;

  /** A scan with more points than this is refused (it would take days and fill memory). */
  static maxPoints = 10_000_000;

  /** Hooks of this scan class and its subclasses; they win over env.hooks (env.ts). */
  static hooks?: Hooks;

  constructor(public exposure: number) {}

  /** Yields the positions to visit, in order. `this.startPositions` is known here. */
  protected abstract generatePositions(): Iterable<Position>;

  /**
   * Extension point for a scan whose positions are not known before it
   * starts (tweak: key presses): after those of generatePositions, the loop
   * takes each next point from here, checked against the limits as it comes
   * (one outside is skipped with a message, nothing moves); the scan ends
   * when it returns. Such a scan's header says npoints null.
   */
  protected positionsAsTheyCome?(signal: AbortSignal): AsyncIterator<Position>;

  async run(ctx: Partial<MacroContext> = {}): Promise<ScanResult> {
    const signal = ctx.signal ?? new AbortController().signal;
    const description = ctx.line ?? `${this.constructor.name.toLowerCase()}`;
    const detectors = Detector.getInstances().filter((d) => d.active);
    const group = new DetectorGroup(detectors);
    // recorders still starting are waited for (a failed start may deactivate one, so filter after)
    await Promise.all(Recorder.getInstances().filter((r) => r.active).map((r) => r.started()));
    const recorders = Recorder.getInstances().filter((r) => r.active);

    await this.refuseIfBusy(group, recorders);
    const positions = await this.plan();
    throwIfAborted(signal);
    this.estimate = estimateScan(this.motors, this.startPositions, positions, detectors.length ? this.secondsPerPoint() : 0, this.returnToStart);
    this.peaks = new PeakCollector(this.motors.map((m) => m.name), detectors.map((d) => d.name), this.grid);

    // before anything is prepared or numbered, once the checks that change nothing have passed
    const hooks = env.hooksFor(this);
    await hooks.beforeScan?.(this);
    const dir = await env.paths.getDirectory();
    try {
      this.scannr = env.takeScanId(dir);
      this.restoreTriggers = this.setTriggers(detectors);
      await group.prepare(this.exposure, { scannr: this.scannr, path: dir }, positions.length);
      if (!this.kwargs[NO_SPACE_CHECK]) await refuseIfNoRoom(dir, positions.length, detectors, this.motors.length);
    } catch (e) {
      this.restoreTriggers();
      await group.finish();
      await Promise.resolve(hooks.afterScan?.(this)).catch(() => {});
      throw e;
    }

    let status: ScanStatus = "failed";
    let error: unknown;
    this.pointsDone = 0;
    this.suspensions = undefined;
    const told: Recorder[] = [];
    try {
      const header: ScanHeader = {
        kind: "header", status: "started", scannr: this.scannr, description, path: dir,
        startTime: Date.now() / 1000, motors: this.motors.map((m) => m.name),
        detectors: detectors.map((d) => d.name), tags: this.tags(),
        snapshot: await env.snapshot.capture(), npoints: this.positionsAsTheyCome ? null : positions.length,
        ...(this.map ? { map: this.map } : {}),
      };
      const links = Object.assign({}, ...recorders.map((r) => r.scanLinks(this.scannr, dir))) as ScanHeader["links"];
      if (Object.keys(links ?? {}).length) header.links = links;
      await Promise.all(recorders.map(async (r) => {
        await r.send(header, signal);
        told.push(r);
      }));
      env.print(chalk.bold(`scan #${this.scannr}: ${description}`) + chalk.dim(`  (${estimateSummary(this.estimate)}, data in ${dir})`));
      this.suspensions = new Suspensions(this.scannr, recorders, signal);
      const watch = new PointWatch(env.scheduler, group.real);
      try {
        await this.loop(positions, group, recorders, signal, watch);
      } finally {
        watch.close();
      }
      status = "finished";
    } catch (e) {
      error = e;
      status = e instanceof AbortError || signal.aborted ? "interrupted" : "failed";
    }
    return this.cleanUp({ status, error, group, told, signal: ctx.cleanupSignal, stop: signal, description });
  }

  /**
   * Point by point: pause checkpoint, deadline, scheduler ready, move, acquire,
   * read, record. A point the scheduler or a detector calls bad while it is
   * taken (`watch`) is discarded and, after a suspension, taken again.
   */
  private async loop(positions: number[][], group: DetectorGroup, recorders: Recorder[], signal: AbortSignal, watch: PointWatch): Promise<void> {
    const table = new ScanTable();
    const t0 = performance.now();
    const hooks = env.hooksFor(this);
    const suspensions = this.suspensions as Suspensions;
    const deadlines = new Deadlines(this.exposure, signal);
    const more = this.positionsAsTheyCome?.(signal);
    for (let i = 0; i < positions.length || (more && (await this.nextPoint(more, positions))); i++) {
      await env.scan.checkpoint(this, i, positions.length, signal, suspensions);
      await deadlines.before();
      await env.scheduler.waitUntilReady(signal, (why) => env.print(chalk.yellow(why)));
      watch.rearm();
      if (hooks.beforeMove) await hooks.beforeMove(this);
      await abortable(Promise.all(this.motors.map((m, j) => m.move(positions[i][j]))), signal);
      if (hooks.beforeArm) await hooks.beforeArm(this);
      await group.arm();
      await this.acquire(i, group, signal, watch);
      const data = watch.reason === null ? await this.record(i, group) : {};
      if (watch.reason !== null) { // bad while acquired or read: nothing of it is kept
        await suspensions.retake(i, watch.reason, group);
        i--; // the same point again, from the move
        continue;
      }
      const elapsed = (performance.now() - t0) / 1000;
      data.dt = elapsed;
      this.peaks.add(i, data);
      const point: ScanPoint = { kind: "data", status: "running", scannr: this.scannr, index: i, data };
      await abortable(Promise.all(recorders.map((r) => r.send(point, signal))), signal);
      this.pointsDone = i + 1;
      if (i === 0) env.print(table.header(data));
      // time spent suspended or paused does not make the points ahead slower
      const left = ((elapsed - suspensions.seconds) / (i + 1)) * (positions.length - i - 1);
      env.print(table.row(i, data, left));
      env.progress?.({ scannr: this.scannr, done: i + 1, total: positions.length, elapsed, left });
      // points that settle at once (exposure 0) never let the event loop read a Ctrl-C: give it a turn
      await new Promise((resolve) => setImmediate(resolve));
      throwIfAborted(signal);
    }
  }

  /**
   * Extension point: acquires point `index` once the motors are there and the
   * detectors armed: starts them and settles when they are done, or when
   * `watch` hears that the point is bad (the loop then takes it again). A fly
   * scan runs a whole line here. Abort and clean-up stay with the loop.
   */
  protected async acquire(index: number, group: DetectorGroup, signal: AbortSignal, watch: PointWatch): Promise<void> {
    const hooks = env.hooksFor(this);
    if (hooks.beforeStart) await hooks.beforeStart(this);
    await group.start();
    await abortable(watch.until(whileBusy(group.done(), hooks.whileAcquiring && (() => hooks.whileAcquiring?.(this)))), signal);
  }

  /** Extension point: point `index`'s record: the motors' positions in order, then every detector's data. */
  protected async record(index: number, group: DetectorGroup): Promise<Record<string, Value>> {
    const data: Record<string, Value> = {};
    const actual = await Promise.all(this.motors.map((m) => m.position().catch((e: unknown) => { throw named(m.name, e); })));
    this.motors.forEach((m, j) => (data[m.name] = actual[j]));
    return Object.assign(data, await group.read());
  }

  /**
   * Extension point: sets the detectors' trigger mode for the scan and returns what puts
   * the user's settings back. Software scans take one software-started frame per point.
   */
  protected setTriggers(detectors: Detector[]): () => void {
    return setTriggerMode(detectors, null);
  }

  /** Extension point: seconds of acquisition per point, for the estimate. */
  secondsPerPoint(): number {
    return this.exposure;
  }

  /** Puts the next position of positionsAsTheyCome that is inside the limits onto `positions`; false when there are no more. */
  private async nextPoint(more: AsyncIterator<Position>, positions: number[][]): Promise<boolean> {
    for (let next = await more.next(); !next.done; next = await more.next()) {
      const p = next.value;
      const row = this.motors.map((m) => p[m.name]);
      try {
        for (const [j, m] of this.motors.entries()) await m.checkTargets([row[j]]);
      } catch (e) {
        if (!(e instanceof LimitError)) throw e;
        env.print(chalk.red(`${e.detail ?? e.message}; not moved`));
        continue;
      }
      positions.push(row);
      return true;
    }
    return false;
  }

  /** `signal`: the second Ctrl-C (skips the return move); `stop`: the first (recorders stop waiting for one that does not answer) */
  private async cleanUp(s: { status: ScanStatus; error: unknown; group: DetectorGroup; told: Recorder[]; signal?: AbortSignal; stop: AbortSignal; description: string }): Promise<ScanResult> {
    const problems: string[] = [];
    if (s.status !== "finished") {
      problems.push(...(await s.group.stop()));
      const stops = await Promise.allSettled(this.motors.map((m) => m.stop()));
      stops.forEach((r, j) => r.status === "rejected" && problems.push(`${this.motors[j].name}: ${String(r.reason)}`));
    }
    problems.push(...(await s.group.finish()));
    this.restoreTriggers();
    if (this.returnToStart) await this.goBack(problems, s.signal);
    const peaks = this.peaks.finish(this.scannr, s.description);
    let message = s.error === undefined ? undefined : text(s.error);
    const suspensions = this.suspensions?.all() ?? [];
    if (s.told.length) {
      const footer: ScanFooter = {
        kind: "footer", status: s.status, scannr: this.scannr, endTime: Date.now() / 1000,
        snapshot: await env.snapshot.capture().catch((): ValueDict => ({})), stats: peaks.last.stats,
        ...(suspensions.length ? { suspensions } : {}),
        ...(s.status === "failed" && message ? { error: message } : {}),
      };
      const acks = await Promise.allSettled(s.told.map((r) => r.send(footer, s.stop)));
      const lost = acks.flatMap((r, j) => {
        const name = s.told[j].name;
        return r.status === "rejected" ? [`${name}: footer not stored: ${text(r.reason).replace(`${name}: `, "")}`] : [];
      });
      // "finished" means the data are safe
      if (lost.length && s.status === "finished") {
        s.status = "failed";
        s.error = new Error(lost.join("; "));
      } else problems.push(...lost);
    }
    message = s.error === undefined ? undefined : text(s.error);
    await Promise.resolve(env.hooksFor(this).afterScan?.(this)).catch((e: unknown) => problems.push(`afterScan hook: ${String(e)}`));
    for (const p of problems) env.print(chalk.red(`  ${p}`));
    const colour = s.status === "finished" ? chalk.green : s.status === "interrupted" ? chalk.yellow : chalk.red;
    env.print(colour(`scan #${this.scannr} ${s.status}${message && s.status === "failed" ? `: ${message}` : ""} (${this.pointsDone} points)`));
    env.lastScan = peaks.last;
    if (peaks.line) env.print(peaks.line);
    // a scan that waited says nothing about the overhead per point
    if (this.estimate && s.status === "finished" && !suspensions.length) learnOverhead(this.estimate, this.pointsDone, this.peaks.elapsed);
    if (s.status === "interrupted") throw s.error instanceof AbortError ? s.error : new AbortError();
    if (s.status === "failed") throw s.error;
    return { scannr: this.scannr, status: s.status, points: this.pointsDone };
  }

  private async goBack(problems: string[], signal?: AbortSignal): Promise<void> {
    try {
      await abortable(Promise.all(this.motors.map((m, j) => m.move(this.startPositions[j]))), signal);
    } catch (e) {
      if (e instanceof AbortError) {
        await Promise.allSettled(this.motors.map((m) => m.stop()));
        problems.push("return move stopped: the motors were left where they are");
      } else problems.push(`could not return to the start: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async refuseIfBusy(group: DetectorGroup, recorders: Recorder[]): Promise<void> {
    const busy = group.busy().map((d) => d.name);
    const moving = await Promise.all(this.motors.map((m) => m.busy()));
    this.motors.forEach((m, j) => moving[j] && busy.push(m.name));
    if (busy.length) throw new Error(`scan not started: ${busy.join(", ")} busy`);
    const dead = recorders.filter((r) => !r.isAlive() && !r.continueOnDeath);
    if (dead.length) {
      const why = (r: Recorder) => r.deathReason() ?? "stopped";
      const each = dead.map((r) => (why(r).startsWith("not answering") ? `${r.name} is ${why(r)}` : `${r.name} is not running (${why(r)})`));
      throw new Error(`scan not started: recorder ${each.join(", ")}; restart it (startrec ${dead.map((r) => r.name).join(" ")}) or deactivate it`);
    }
  }

  /** Reads where the motors are and returns every position, checked against the limits; moves nothing (estimate's dry run). */
  async plan(violations?: LimitError[]): Promise<number[][]> {
    this.startPositions = await Promise.all(this.motors.map((m) => m.position()));
    const positions = this.checkedPositions(violations);
    for (const [j, m] of this.motors.entries()) {
      try {
        await m.checkTargets(positions.map((p) => p[j])); // pseudo motors: their physicals' limits
      } catch (e) {
        if (!(e instanceof LimitError) || !violations) throw e;
        if (!violations.length) violations.push(new LimitError(`${e.message}; nothing moved`));
      }
    }
    return positions;
  }

  /** Every position, in motor order, checked against every limit before anything moves; with `violations`, the first is kept there instead of thrown. */
  private checkedPositions(violations?: LimitError[]): number[][] {
    const out: number[][] = [];
    let i = 0;
    for (const p of this.generatePositions()) {
      if (i >= SoftwareScan.maxPoints) throw new Error(`more than ${SoftwareScan.maxPoints} points: scan not started`);
      const row = this.motors.map((m) => {
        const x = p[m.name];
        if (typeof x !== "number") throw new Error(`point ${i}: no position for ${m.name}`);
        try {
          m.checkTarget(x);
        } catch (e) {
          if (!(e instanceof LimitError)) throw e;
          const violation = new LimitError(`point ${i}: ${e.message}; nothing moved`);
          if (!violations) throw violation;
          if (!violations.length) violations.push(violation);
        }
        return x;
      });
      out.push(row);
      i++;
    }
    return out;
  }

  private tags(): Record<string, string | number | boolean> {
    const out: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(this.kwargs)) out[k] = typeof v === "object" ? v.name : v;
    return out;
  }
}
