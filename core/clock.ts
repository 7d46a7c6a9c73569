/**
 * Time as a port: services that wait for a moment (the deadline policy's early warning and
 * fallback cut-off) take a Clock, so their unit tests run on a fake one (test/fakes/clock.ts)
 * instead of waiting in real time.
 */
export interface Clock {
  now(): Date;
  /** Resolves at `at` (at once if it has passed); rejects with the signal's reason when it aborts first. */
  sleepUntil(at: Date, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleepUntil(at, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, at.getTime() - Date.now()));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};
