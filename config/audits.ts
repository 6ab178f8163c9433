import { z } from 'zod';
import { sourceIdSchema } from '../connectors/source-id';
import { auditTypes } from '../mappings/readiness';

/**
 * `audits:` in evidence-hub.yaml: the certification audit calendar that `readiness`, `export --audit` and
 * the monitor's readiness digest read (mappings/readiness.ts holds the meaning; this file the format).
 */
const dateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD')
  .refine(
    (d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d),
    {
      message: 'not a calendar date',
    },
  );

const auditSchema = z.strictObject({
  /** Named on the command line (`readiness --audit ID`) and in digest keys: the same rule as source ids. */
  id: sourceIdSchema,
  type: z.enum(auditTypes, { error: `expected one of: ${auditTypes.join(', ')}` }),
  date: dateSchema,
  certificationBody: z.string().min(1),
  scope: z.string().min(1).optional(),
});

export const auditsConfigSchema = z
  .strictObject({
    digestDaysBefore: z.array(z.number().int().min(1).max(365)).default([30, 14, 3]),
    certificationDate: dateSchema.optional(),
    calendar: z.array(auditSchema).min(1, 'list at least one audit'),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.calendar.forEach((a, i) => {
      if (seen.has(a.id))
        ctx.addIssue({
          code: 'custom',
          path: ['calendar', i, 'id'],
          message: `duplicate audit id "${a.id}" (also calendar[${seen.get(a.id)}])`,
        });
      seen.set(a.id, i);
    });
  });
