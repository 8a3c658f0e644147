import { Scheduler } from "../environment/scheduler.ts";
import type { TangoRestClient, TangoValue } from "./client.ts";

/** One attribute of one device. */
export interface TangoAttributeRef {
  device: string;
  attribute: string;
}

export interface TangoShutterRef extends TangoAttributeRef {
  /** the value meaning closed, e.g. false, 0 or "CLOSE" (for the State attribute) */
  closedValue: string | number | boolean;
}

export interface TangoSchedulerOptions {
  client: TangoRestClient;
  /** acquisition waits while any of these reads its closed value */
  shutters?: TangoShutterRef[];
  /** truthy while the machine injects: acquisition waits */
  injection?: TangoAttributeRef;
  /** seconds until the next injection, given by `limit()` */
  countdown?: TangoAttributeRef;
  /** seconds between checks while waiting; default 0.2 */
  recheckSeconds?: number;
}

/**
 * Lets acquisition proceed only while every shutter is open and the machine is not
 * injecting. A device that cannot be read counts as not ready: acquiring blind is worse
 * than waiting, and the reason is shown to the user (Ctrl-C ends the wait).
 */
export class TangoScheduler extends Scheduler {
  readonly client: TangoRestClient;
  readonly shutters: TangoShutterRef[];
  readonly injection: TangoAttributeRef | undefined;
  readonly countdown: TangoAttributeRef | undefined;
  private why = "waiting for the scheduler";
  private countdownAt: { seconds: number; t: number } | null = null;

  constructor(opts: TangoSchedulerOptions) {
    super();
    this.client = opts.client;
    this.shutters = opts.shutters ?? [];
    this.injection = opts.injection;
    this.countdown = opts.countdown;
    if (opts.recheckSeconds !== undefined) this.recheckSeconds = opts.recheckSeconds;
  }

  override async ready(): Promise<boolean> {
    const [shutters, injection] = await Promise.all([
      Promise.all(this.shutters.map((s) => this.shutterProblem(s))),
      this.injectionProblem(),
      this.refreshCountdown(),
    ]);
    const problems = [...shutters, injection].filter((p): p is string => p !== null);
    if (problems.length) this.why = `waiting: ${problems.join("; ")}`;
    return problems.length === 0;
  }

  /** Seconds until the next injection, from the countdown read at the last `ready()`. */
  override limit(): number | null {
    if (!this.countdownAt) return null;
    return Math.max(0, this.countdownAt.seconds - (performance.now() - this.countdownAt.t) / 1000);
  }

  override describe(): string {
    return this.why;
  }

  /** Tango is asked, not told: while a point is acquired, `ready()` every `recheckSeconds`. */
  protected override startWatching(): () => void {
    return this.pollWhileWatched();
  }

  private async shutterProblem(s: TangoShutterRef): Promise<string | null> {
    const v = await this.read(s);
    if (v instanceof Error) return v.message;
    return v === s.closedValue ? `shutter ${s.device}/${s.attribute} is closed` : null;
  }

  private async injectionProblem(): Promise<string | null> {
    const ref = this.injection;
    if (!ref) return null;
    const v = await this.read(ref);
    if (v instanceof Error) return v.message;
    return v ? `injection (${ref.device}/${ref.attribute} is ${JSON.stringify(v)})` : null;
  }

  /** The value, or the error that reading it gave. */
  private async read(ref: TangoAttributeRef): Promise<TangoValue | Error> {
    try {
      return (await this.client.readAttribute(ref.device, ref.attribute)).value;
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  }

  private async refreshCountdown(): Promise<void> {
    if (!this.countdown) return;
    const v = await this.read(this.countdown);
    this.countdownAt = typeof v === "number" ? { seconds: v, t: performance.now() } : null;
  }
}
