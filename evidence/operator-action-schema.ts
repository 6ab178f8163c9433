import { z } from 'zod';

/**
 * The schema of an operator action (what people did through the console), as recorded in the operator-action
 * log and in a sealed manifest's `operatorActions`; operator-actions.ts keeps the log.
 */
const isoTime = z.iso.datetime({ offset: false });
/** Ids sort by time (a UTC timestamp, then randomness), and are safe as a file or object name. */
export const operatorActionIdPattern = /^\d{8}T\d{9}Z-[0-9a-f]{12}$/;

const common = {
  id: z.string().regex(operatorActionIdPattern),
  at: isoTime,
  /** The signed-in person (token name or OpenID subject), and the role they acted with. */
  by: z.string().min(1).max(200),
  role: z.enum(['viewer', 'operator', 'admin']),
};

export const operatorActionSchema = z.discriminatedUnion('action', [
  z.strictObject({
    ...common,
    action: z.literal('sweep-started'),
    workflowId: z.string(),
    controls: z.string().optional(),
    sources: z.array(z.string()).optional(),
  }),
  z.strictObject({ ...common, action: z.literal('sweep-cancelled'), workflowId: z.string() }),
  z.strictObject({
    ...common,
    action: z.literal('record-uploaded'),
    source: z.string(),
    topic: z.string(),
    file: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    effective: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    outcome: z.enum(['filed', 'already-filed']),
  }),
  z.strictObject({
    ...common,
    action: z.literal('pack-exported'),
    from: isoTime,
    to: isoTime,
    audit: z.string().optional(),
    controls: z.string().optional(),
    /** The sequences of the bundles the pack holds (empty when none was sealed in the window). */
    bundles: z.array(z.number().int().positive()),
  }),
]);

export type OperatorAction = z.infer<typeof operatorActionSchema>;
/** An action as the console describes it; the id and time are given when it is logged. */
export type OperatorActionInput = OperatorAction extends infer A
  ? A extends OperatorAction
    ? Omit<A, 'id' | 'at'>
    : never
  : never;
