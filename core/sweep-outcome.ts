import { z } from 'zod';

/*
 * What a sweep records about each source and about what started it. Shared by the workflow (which only
 * passes these along as data) and the bundle manifest (which seals them), so it lives below both.
 */

export const sourceOutcomeSchema = z.discriminatedUnion('status', [
  z.strictObject({
    source: z.string(),
    sourceType: z.string(),
    status: z.literal('ok'),
    artifactCount: z.number().int().nonnegative(),
    /** Connector accounting: requests, billable requests, 304s, remaining rate-limit budget. */
    stats: z.record(z.string(), z.number()).optional(),
  }),
  z.strictObject({
    source: z.string(),
    sourceType: z.string(),
    /** Collected, but with problems (e.g. one export file unreadable): evidence kept, controls flagged. */
    status: z.literal('partial'),
    artifactCount: z.number().int().nonnegative(),
    stats: z.record(z.string(), z.number()).optional(),
    problems: z.array(z.string()).min(1),
  }),
  z.strictObject({
    source: z.string(),
    sourceType: z.string(),
    status: z.literal('failed'),
    artifactCount: z.literal(0),
    error: z.strictObject({ type: z.string(), message: z.string() }),
  }),
]);

export const triggerSchema = z.strictObject({
  type: z.enum(['manual', 'schedule', 'demo', 'backfill']),
  workflowId: z.string(),
  runId: z.string(),
  scheduleId: z.string().optional(),
});

export type SourceOutcome = z.infer<typeof sourceOutcomeSchema>;
export type Trigger = z.infer<typeof triggerSchema>;
