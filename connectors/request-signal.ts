/**
 * fetch (undici) adds an abort listener to the signal it is given and removes it only when the Request
 * is garbage-collected. A collection passes its one long-lived signal to thousands of requests, so
 * those listeners pile up on it (MaxListenersExceededWarning at 1500) until a GC happens to run.
 * Instead each request gets its own signal that follows the long-lived one through a single listener,
 * removed as soon as the request is over: its body read to the end, cancelled, or failed.
 */
export function withRequestSignal(fetchImpl: typeof fetch): typeof fetch {
  return async (input, init) => {
    const outer = init?.signal;
    if (!outer) return fetchImpl(input, init);
    outer.throwIfAborted();
    const own = new AbortController();
    const forward = (): void => own.abort(outer.reason);
    outer.addEventListener('abort', forward, { once: true });
    const release = (): void => outer.removeEventListener('abort', forward);
    let res: Response;
    try {
      res = await fetchImpl(input, { ...init, signal: own.signal });
    } catch (err) {
      release();
      throw err;
    }
    return releasedWithBody(res, release);
  };
}

/** Statuses whose Response may not carry a body (the Response constructor refuses one). */
const nullBodyStatuses = new Set([101, 204, 205, 304]);

/** The same response, whose body calls `release` once it is read to the end, cancelled or fails. */
function releasedWithBody(res: Response, release: () => void): Response {
  if (!res.body || nullBodyStatuses.has(res.status)) {
    release();
    return res;
  }
  const reader = res.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          release();
          controller.close();
        } else controller.enqueue(value);
      } catch (err) {
        release();
        throw err;
      }
    },
    cancel(reason) {
      release();
      return reader.cancel(reason);
    },
  });
  const wrapped = new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  // Callers (Octokit, error messages) read the final URL of the answer.
  Object.defineProperty(wrapped, 'url', { value: res.url });
  Object.defineProperty(wrapped, 'redirected', { value: res.redirected });
  return wrapped;
}
