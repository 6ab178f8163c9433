/**
 * Waits `ms`, or rejects with the signal's reason as soon as it aborts. The abort listener is removed
 * when the wait ends either way: retry loops sleep many times on one long-lived collection signal, and
 * a listener left behind per sleep piles up on it for the whole collection.
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
