/**
 * A delay that ends close to the requested time. setTimeout alone may fire a
 * millisecond or more late, which simulated detectors would then report as
 * dead time; so the last stretch is finished with setImmediate turns.
 */
/** setTimeout cannot wait longer than this many milliseconds. */
const MAX_TIMEOUT = 2 ** 31 - 1;

export function preciseDelay(seconds: number): Promise<void> {
  if (!(seconds > 0)) return Promise.resolve();
  const end = performance.now() + seconds * 1000;
  return new Promise((resolve) => {
    const finish = () => {
      const coarse = end - performance.now() - 2;
      if (coarse > 0) setTimeout(finish, Math.min(coarse, MAX_TIMEOUT));
      else if (performance.now() >= end) resolve();
      else setImmediate(finish);
    };
    finish();
  });
}

export function sleep(seconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, seconds * 1000)));
}
