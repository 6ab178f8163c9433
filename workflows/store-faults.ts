import { ApplicationFailure, TemporalFailure } from '@temporalio/workflow';
import { storeFaultTypes } from '../core/errors';

/**
 * How a sweep tells the store's failures from a source's: a collection or seal that failed because the
 * evidence store is down or refuses the credentials carries a store fault type (core/errors.ts) somewhere
 * in its cause chain (activity → child workflow → activity). Such a failure is never recorded as the
 * source's: the sweep stops and names the store.
 */
export interface StoreFaultInfo {
  type: string;
  message: string;
}

/** The store fault at the root of a failure, if that is what it is. */
export function storeFaultIn(err: unknown): StoreFaultInfo | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 10; depth++) {
    if (e instanceof ApplicationFailure && e.type && storeFaultTypes.includes(e.type))
      return { type: e.type, message: e.message };
    e = e instanceof TemporalFailure || e instanceof Error ? e.cause : undefined;
  }
  return undefined;
}

/** The failure the sweep ends with: the store named first, the original failure kept as its cause. */
export function storeFaultFailure(fault: StoreFaultInfo, cause: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type: fault.type,
    message: `sweep stopped, the evidence store failed: ${fault.message} (no source was recorded as failed and no bundle was sealed; sweep again once the store is back)`,
    nonRetryable: true,
    ...(cause instanceof Error ? { cause } : {}),
  });
}
