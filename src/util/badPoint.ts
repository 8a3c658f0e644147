/**
 * "The point being acquired is bad: take it again." Schedulers and detectors
 * each hold one; the scan loop listens while a scan runs (see
 * scans/suspend.ts), hardware with beam checks of its own calls `tell()`.
 */
export class BadPointHook {
  private readonly listeners = new Set<(why: string) => void>();

  /** Calls `onBad(why)` for every bad point told until the returned function is called. */
  listen(onBad: (why: string) => void): () => void {
    this.listeners.add(onBad);
    return () => void this.listeners.delete(onBad);
  }

  get listened(): boolean {
    return this.listeners.size > 0;
  }

  tell(why: string): void {
    for (const l of this.listeners) l(why);
  }
}
