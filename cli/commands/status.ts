import picomatch from 'picomatch';
import { evaluateStore } from '../../evidence/index';
import type { ControlResult } from '../../mappings/evaluate';
import type { Hub } from '../../worker/hub';

export interface StatusOptions {
  asOf?: string;
  controls?: string;
}

/** Evaluates every control from what the store holds; nothing outside the store is consulted. */
export async function controlStatus(
  hub: Hub,
  options: StatusOptions = {},
): Promise<{ asOf: string; results: ControlResult[] }> {
  const now = options.asOf ? parseAsOf(options.asOf) : new Date();
  let results = await evaluateStore(hub.store, hub.mappings, hub.notApplicable, now);
  if (options.controls) {
    const match = picomatch(options.controls);
    results = results.filter((r) => match(r.control.id));
  }
  return { asOf: now.toISOString(), results };
}

/** `2026-01-31` means the end of that day (UTC): what was known by then. */
export function parseAsOf(text: string): Date {
  return parseDateArg(text, 'end', '--as-of');
}

/** A command-line date: a bare YYYY-MM-DD means the start or the end of that UTC day. */
export function parseDateArg(text: string, edge: 'start' | 'end', flag = 'date'): Date {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const t = Date.parse(dateOnly ? `${text}T${edge === 'start' ? '00:00:00.000' : '23:59:59.999'}Z` : text);
  if (Number.isNaN(t)) throw new UsageError(`${flag} "${text}" is not a date; use YYYY-MM-DD or an RFC 3339 time`);
  return new Date(t);
}

/** A command-line mistake: reported without a stack trace, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
