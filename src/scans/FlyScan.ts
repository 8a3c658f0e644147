/**
 * Fly scans (paper section 3, NanoMAX's npointflyscan): the fly motor's
 * controller runs each line as a waveform; at the line's start it starts the
 * trigger box, which sends `intervals + 1` triggers to the hardware-triggered
 * detectors and averages the encoders per trigger. The step motors form a
 * mesh of software steps (last given fastest). Everything else — limits,
 * abort, footer, return move — is the one loop of SoftwareScan, reached
 * through its extension points: `setTriggers` (arm for a line), `acquire`
 * (run the line), `record` (one record per line).
 */
import { env, whileBusy } from "../environment/env.ts";
import type { PointWatch } from "./suspend.ts";
import { macro, UsageError, type Arg } from "../macros/registry.ts";
import { LimitError } from "../motors/Motor.ts";
import { isFlyAxis, type FlyAxis, type FlyLine } from "../motors/FlyAxis.ts";
import { Detector } from "../detectors/Detector.ts";
import type { DetectorGroup } from "../detectors/DetectorGroup.ts";
import { isTriggerBox, isTriggerable, setTriggerMode, type TriggerBox, type TriggerSource } from "../detectors/triggers.ts";
import type { Value } from "../data/values.ts";
import { abortable } from "../util/abort.ts";
import { Mesh } from "./Mesh.ts";
import type { Position } from "./SoftwareScan.ts";

export class FlyScan extends Mesh {
  static override usage = `
    flyscan <fly-motor> <start> <stop> <intervals> [<step-motor> <start> <stop> <intervals> ...] <exp_time> [latency=<s>] [acctime=<s>]
    Flies <fly-motor> from <start> to <stop> in one waveform per line, triggering the
    hardware-triggered detectors <intervals> + 1 times, <exp_time> + latency s apart;
    the step motors form a mesh of lines (the last given fastest). The latency
    defaults to the longest minimum latency of the triggered detectors (lstrig);
    acctime (default 0.002 s, at most 1 s) is the ramp before and after each line. Detectors
    that cannot be triggered are read once per line. One record per line.`;

  /** ramp time before and after each line when acctime is not given */
  static defaultAccTime = 0.002;

  readonly fly: FlyAxis;
  latency = 0;
  accTime = FlyScan.defaultAccTime;
  /** the lines, in user units, as planned */
  private lines: FlyLine[] = [];

  constructor(...args: Arg[]) {
    super(...args);
    const m = this.motors[0];
    if (!isFlyAxis(m)) throw new UsageError(`${m.name} cannot fly: it is not an axis that runs lines (a piezo stage's)`);
    this.fly = m;
    this.grid = undefined;
  }

  /** Triggers per line. */
  get triggers(): number {
    return this.intervals[0] + 1;
  }

  get period(): number {
    return this.exposure + this.latency;
  }

  /** Settles the latency and ramp, then checks every position and every whole waveform against the limits. */
  override async plan(violations?: LimitError[]): Promise<number[][]> {
    this.accTime = this.kwarg("acctime") ?? FlyScan.defaultAccTime;
    // a trigger box gives up waiting for a line's start after a second or two
    if (this.accTime > 1) throw new UsageError(`acctime must be at most 1 s (got ${this.accTime})`);
    this.latency = this.checkedLatency(this.kwarg("latency"));
    this.lines = [];
    this.map = this.motors.length > 1 ? this.mapCoordinates() : undefined;
    const positions = await super.plan(violations).catch((e: unknown) => {
      // the loop names the point; here a point is where a line's waveform begins, ramp included
      if (e instanceof LimitError && e.message.includes(`${this.fly.name}: target`)) {
        throw new LimitError(e.message.replace(/^point (\d+): /, "line $1: the waveform begins outside the limits (acctime ramp included): "));
      }
      throw e;
    });
    this.lines.forEach((line, i) => {
      try {
        this.fly.checkTarget(this.fly.lineExtent(line)[1]);
      } catch (e) {
        if (!(e instanceof LimitError)) throw e;
        const violation = new LimitError(`line ${i}: the waveform ends outside the limits: ${e.message}; nothing moved`);
        if (!violations) throw violation;
        if (!violations.length) violations.push(violation);
      }
    });
    return positions;
  }

  /** The fly motor at the start of each line's waveform, the step motors on their mesh. */
  protected override *generatePositions(): Iterable<Position> {
    const steps = this.motors.slice(1);
    const n = this.intervals.slice(1).map((k) => k + 1);
    const total = n.reduce((a, b) => a * b, 1);
    const line: FlyLine = {
      start: this.origin(0) + this.starts[0], stop: this.origin(0) + this.stops[0],
      triggers: this.triggers, period: this.period, accTime: this.accTime,
    };
    for (let flat = 0; flat < total; flat++) {
      const p: Position = { [this.fly.name]: this.fly.lineExtent(line)[0] };
      let rest = flat;
      for (let j = steps.length - 1; j >= 0; j--) {
        const idx = rest % n[j];
        rest = Math.floor(rest / n[j]);
        p[steps[j].name] = this.origin(j + 1) + this.starts[j + 1] + ((this.stops[j + 1] - this.starts[j + 1]) * idx) / this.intervals[j + 1];
      }
      this.lines.push(line);
      yield p;
    }
  }

  /** Arms the triggerable detectors for a line each start, and the boxes for the period; the user's settings come back after. */
  protected override setTriggers(detectors: Detector[]): () => void {
    const boxes = detectors.filter(isTriggerBox);
    const periods = boxes.map((b) => b.period);
    for (const b of boxes) b.period = this.period;
    const restore = setTriggerMode(detectors, this.triggers);
    return () => {
      restore();
      boxes.forEach((b, i) => (b.period = periods[i]));
    };
  }

  /** Runs line `index`: the detectors wait for the box, the box for the controller, the controller runs the waveform. */
  protected override async acquire(index: number, group: DetectorGroup, signal: AbortSignal, watch: PointWatch): Promise<void> {
    const hooks = env.hooksFor(this);
    if (hooks.beforeStart) await hooks.beforeStart(this);
    await group.start();
    const line = this.fly.runLine(this.lines[index]);
    await abortable(watch.until(whileBusy(Promise.all([line, group.done()]).then(() => {}), hooks.whileAcquiring && (() => hooks.whileAcquiring?.(this)))), signal);
  }

  /** One record per line: the fly motor's nominal positions per trigger, the step motors, every detector's line. */
  protected override async record(index: number, group: DetectorGroup): Promise<Record<string, Value>> {
    const data = await super.record(index, group);
    const { start, stop, triggers } = this.lines[index];
    data[this.fly.name] = Float64Array.from({ length: triggers }, (_, k) => start + ((stop - start) * k) / (triggers - 1));
    return data;
  }

  override secondsPerPoint(): number {
    return this.triggers * this.period + 2 * this.accTime;
  }

  /** The map's slow and fast coordinates: the first active box's encoders of the motors where it has them, else the motors. */
  private mapCoordinates(): [string, string] {
    const box = Detector.getInstances().find((d): d is TriggerBox => d.active && isTriggerBox(d));
    const at = (name: string) => (box?.channels.includes(name) ? `${box.name}/${name}` : name);
    const slow = this.motors[1] ?? this.fly;
    return [at(slow.name), at(this.fly.name)];
  }

  private kwarg(name: string): number | undefined {
    const v = this.kwargs[name];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !(v >= 0)) throw new UsageError(`${name} must be a number of seconds >= 0 (got ${String(v)})`);
    return v;
  }

  /**
   * The latency between triggers: by default the longest minimum latency of the
   * triggered detectors; a shorter one is refused, naming the detector. Also
   * refuses detectors wired to a trigger box that is not active (they would wait forever).
   */
  private checkedLatency(given: number | undefined): number {
    const all = Detector.getInstances();
    const idle = new Set<TriggerSource>(all.filter((d) => isTriggerBox(d) && !d.active).map((b) => (b as TriggerBox).triggers));
    const triggered = all.filter((d) => d.active && isTriggerable(d));
    for (const d of triggered) {
      if (idle.has(d.triggerSource!)) throw new UsageError(`${d.name} is wired to ${d.triggerSource!.name}, which is not active: activate it or deactivate ${d.name}`);
    }
    const slowest = triggered.reduce<Detector | undefined>((a, d) => (!a || d.hwTrigMinLatency > a.hwTrigMinLatency ? d : a), undefined);
    const need = slowest?.hwTrigMinLatency ?? 0;
    if (given === undefined) return need;
    if (slowest && given < need) throw new UsageError(`latency ${given} s is below ${slowest.name}'s minimum of ${need} s between triggered frames (lstrig)`);
    return given;
  }
}

/** flyscan relative to the current positions; the motors go back afterwards. */
export class DFlyScan extends FlyScan {
  static override usage = FlyScan.usage.replace(/flyscan/, "dflyscan").replace(/\n {4}Flies[^]*$/, `
    Like flyscan, relative to where the motors are now; they return there afterwards,
    also after an error or Ctrl-C.`);

  override returnToStart = true;

  protected override origin(j: number): number {
    return this.startPositions[j];
  }
}

macro("flyscan", FlyScan);
macro("dflyscan", DFlyScan);
