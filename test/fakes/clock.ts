import type { Clock } from '../../core/clock.ts';

/**
 * A clock that moves only when told: sleepers wake in time order as the test advances it, so a
 * deadline an hour away is reached in microseconds and every run of a test sees the same order.
 */
export function fakeClock(start: Date): Clock & {
  /** Lets pending promise callbacks (in-memory work) run without moving the time. */
  settle(): Promise<void>;
  /** Moves to the earliest sleeper's time and wakes it (and any due at the same time); false when nobody sleeps. */
  advance(): Promise<boolean>;
  /** Advances until `p` settles (throws if it waits on nothing but real time for too long); returns its outcome. */
  drive<T>(p: Promise<T>): Promise<T>;
  set(at: Date): void;
} {
  let now = start.getTime();
  const sleepers: Array<{ at: number; wake(): void }> = [];
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
  };
  const clock = {
    now: () => new Date(now),
    set(at: Date) {
      now = at.getTime();
    },
    sleepUntil(at: Date, signal?: AbortSignal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (at.getTime() <= now) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const s = {
          at: at.getTime(),
          wake: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          sleepers.splice(sleepers.indexOf(s), 1);
          reject(signal!.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        sleepers.push(s);
      });
    },
    settle,
    async advance() {
      await settle();
      if (sleepers.length === 0) return false;
      sleepers.sort((a, b) => a.at - b.at);
      const at = sleepers[0].at;
      now = Math.max(now, at);
      while (sleepers.length > 0 && sleepers[0].at <= now) sleepers.shift()!.wake();
      await settle();
      return true;
    },
    async drive<T>(p: Promise<T>): Promise<T> {
      let done = false;
      const watched = p.finally(() => void (done = true));
      watched.catch(() => {});
      // Real I/O (a database) may be in flight with nobody asleep: wait for it in real time, bounded.
      for (let idle = 0; !done; ) {
        if (await clock.advance()) idle = 0;
        else if (!done) {
          if (++idle > 3000) throw new Error('fakeClock.drive: nothing asleep and the promise did not settle within 30 s');
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      return watched;
    },
  };
  return clock;
}
