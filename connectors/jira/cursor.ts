import { z } from 'zod';
import type { JsonValue } from '../../core/json';

/**
 * A resume cursor names the page a step came from, so a restarted attempt asks for that page again
 * instead of starting the query over: `startAt` for offset pagination (Data Center), the page's token
 * for token pagination (Jira Cloud; null for the first page). Within the page the issue is found by key.
 */
const positionSchema = z.union([
  z.strictObject({ startAt: z.number().int().nonnegative() }),
  z.strictObject({ token: z.string().nullable() }),
]);
export type PagePosition = z.infer<typeof positionSchema>;

const cursorSchema = z.strictObject({
  v: z.literal(1),
  /** When the interrupted run started: the next run's `updated >=` bound, kept across attempts. */
  run: z.iso.datetime(),
  /** Query index and name (a renamed or reordered query invalidates the cursor). */
  q: z.number().int().nonnegative(),
  qn: z.string(),
  pos: positionSchema,
  /** Issue key of the step. */
  k: z.string(),
  /** Attachment id, when the step was an attachment of that issue. */
  att: z.string().optional(),
});
export type JiraCursor = z.infer<typeof cursorSchema>;

export function encodeCursor(c: JiraCursor): string {
  return JSON.stringify(c);
}

/** The cursor, or undefined when it is not one of ours (then collection starts over). */
export function decodeCursor(text: string): JiraCursor | undefined {
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * State between sealed runs: per query, when the last complete run started (the next `updated >=` bound)
 * and a fingerprint of what the query collects. A changed JQL, kind or field list collects in full again.
 */
const stateSchema = z.strictObject({
  v: z.literal(1),
  queries: z.record(z.string(), z.strictObject({ since: z.iso.datetime(), fingerprint: z.string() })),
});
export type JiraState = z.infer<typeof stateSchema>;

export function parseState(value: JsonValue | undefined): JiraState | undefined {
  if (value === undefined || value === null) return undefined;
  const parsed = stateSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
