import { abortableSleep } from '../../core/abortable-sleep';
import { retryAfterMs } from '../json-http';

/**
 * Retries of throttled and briefly unavailable object-store calls (429, 503, and other 5xx), with
 * exponential backoff and the server's Retry-After honoured. The SDKs' own retries are switched off
 * where this is used: the Azure SDK does not read Retry-After on every path and the GCS SDK not at all,
 * and one policy for both keeps the request counts the incremental tests measure exact.
 */
export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  /** Upper bound of one wait, including a server's Retry-After. */
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000 };

/** What the caller's SDK error says: its HTTP status and Retry-After header, when it has them. */
export interface ThrottleInfo {
  status: number | undefined;
  retryAfter: string | null | undefined;
}

export function isRetryableStatus(status: number | undefined): boolean {
  return status === 429 || (status !== undefined && status >= 500 && status !== 501);
}

export async function withRetries<T>(
  fn: () => Promise<T>,
  inspect: (err: unknown) => ThrottleInfo,
  policy: RetryPolicy,
  signal?: AbortSignal,
  onRetry?: (attempt: number, delayMs: number, status: number | undefined) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const { status, retryAfter } = inspect(err);
      if (!isRetryableStatus(status) || attempt >= policy.attempts) throw err;
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const delay = retryAfterMs(retryAfter ?? null, policy.maxDelayMs) ?? backoff;
      onRetry?.(attempt, delay, status);
      await abortableSleep(delay, signal);
    }
  }
}
