import type { z } from 'zod';
import { UsageError } from '../command-kit';

/** A command-line value checked with the same schema as its config key, so both say the same when wrong. */
export function parsedOption<T>(schema: z.ZodType<T>, flag: string, value: unknown): T | undefined {
  if (value === undefined) return undefined;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new UsageError(`${flag} ${String(value)}: ${r.error.issues[0]?.message ?? 'invalid'}`);
}
