import { z } from 'zod';
import { sourceIdSchema } from '../source-id';

/** `type: manual`: evidence only people can supply, filed by topic (`evidence-hub upload`); see layout.ts. */
export const manualSourceSchema = z.strictObject({
  id: sourceIdSchema,
  type: z.literal('manual'),
  path: z.string().min(1),
});

export type ManualSourceConfig = z.output<typeof manualSourceSchema>;
