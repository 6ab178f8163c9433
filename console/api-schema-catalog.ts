import { z } from 'zod';
import { dateKinds } from '../mappings/causes';
import { auditTypes } from '../mappings/readiness';
import { statuses } from '../mappings/statuses';

/**
 * The JSON API's per-system and readiness answers (`status --system/--by-system --json`, `readiness --json`),
 * as zod schemas: the responses are parsed through them and the OpenAPI paths below are generated from them.
 */

const day = z.string();
export const systemVerdictSchema = z.discriminatedUnion('status', [
  z.object({
    system: z.string(),
    status: z.enum(['current', 'due-soon', 'overdue', 'stale', 'unverified']),
    record: z.object({ id: z.string(), observedAt: z.string(), dateKind: z.enum(dateKinds) }),
    ageMs: z.number(),
    dueAt: z.string().optional(),
  }),
  z.object({ system: z.string(), status: z.literal('in-grace'), graceEndsAt: day }),
  z.object({ system: z.string(), status: z.literal('missing') }),
  z.object({ system: z.string(), status: z.literal('retired'), retiredOn: day }),
]);
const unknownSystemSchema = z.object({
  system: z.string(),
  record: z.string(),
  didYouMean: z.string().optional(),
  rule: z.string(),
});

/** One AI system's per-system rules with its verdicts (`status --system NAME --json` without `asOf`). */
export const systemViewSchema = z.object({
  system: z.string(),
  controls: z.array(
    z.object({ control: z.string(), title: z.string(), rule: z.string(), verdict: systemVerdictSchema.optional() }),
  ),
  unknown: z.array(unknownSystemSchema),
});

/**
 * On every answer read from the evaluation (console/data.ts `Reevaluation`): present only while the results
 * are an earlier evaluation's and the store's current head is being evaluated, as the pages' notice says.
 */
export const reevaluationFields = {
  evaluating: z.literal(true).optional(),
  /** With `evaluating`: the newest bundle these results include, and the newest bundle in the store now. */
  evaluatedBundle: z.number().int().optional(),
  newestBundle: z.number().int().optional(),
};
/** Systems × per-system rules (`status --by-system --json`). */
export const systemsResponseSchema = z.object({
  asOf: z.string(),
  systems: z.array(z.string()),
  rows: z.array(
    z.object({
      control: z.string(),
      title: z.string(),
      rule: z.string(),
      status: z.enum(statuses),
      systems: z.record(z.string(), systemVerdictSchema),
    }),
  ),
  unknown: z.array(unknownSystemSchema),
  ...reevaluationFields,
});

/**
 * A control's evaluation as `status --json` prints it. Loose: the rules and causes are the evaluator's own
 * structured data (docs/mappings.md), passed through whole rather than restated here.
 */
const controlResultSchema = z.looseObject({
  control: z.looseObject({ id: z.string(), title: z.string() }),
  status: z.enum(statuses),
  statusText: z.string(),
  reason: z.string(),
  decidingRule: z.string().optional(),
  dueAt: z.string().optional(),
});
const controlForecastSchema = z.looseObject({
  control: z.looseObject({ id: z.string(), title: z.string() }),
  now: controlResultSchema,
  atAudit: controlResultSchema,
  ready: z.boolean(),
  refresh: z.looseObject({ rule: z.string(), statusAtAudit: z.enum(statuses) }).optional(),
  windowRecords: z.number().int(),
});
const catalogForecastSchema = z.object({
  controls: z.array(controlForecastSchema),
  mustRefresh: z.array(z.string()),
  noEvidenceInWindow: z.array(z.string()),
  notReady: z.array(z.string()),
});

/** The next audit's forecast, exactly `evidence-hub readiness --json`. */
export const readinessResponseSchema = catalogForecastSchema.extend({
  audit: z.object({
    id: z.string(),
    type: z.enum(auditTypes),
    date: day,
    certificationBody: z.string(),
    scope: z.string().optional(),
  }),
  today: z.string(),
  auditAt: z.string(),
  window: z.object({ from: z.string(), to: z.string() }),
  daysToAudit: z.number().int(),
  clauses: catalogForecastSchema,
  sinceLastAudit: z.record(z.string(), z.array(z.looseObject({ id: z.string(), observedAt: z.string() }))),
});

type JsonContent = (schema: z.ZodType, description: string) => Record<string, unknown>;

/** The OpenAPI paths of /api/v1/systems and /api/v1/readiness. */
export function openApiCatalogPaths(json: JsonContent, errors: Record<string, unknown>): Record<string, unknown> {
  const error = z.object({ error: z.string() });
  return {
    '/api/v1/systems': {
      get: {
        summary: 'every AI system × per-system rule with its verdict (status --by-system --json)',
        responses: {
          '200': json(systemsResponseSchema, 'the matrix'),
          '400': json(error, 'the config declares no AI system inventory (aiSystems:)'),
          ...errors,
        },
      },
    },
    '/api/v1/readiness': {
      get: {
        summary: 'the readiness forecast for the next audit of the calendar (readiness --json)',
        responses: {
          '200': json(readinessResponseSchema, 'the forecast'),
          ...errors,
          '404': json(error, 'no audit calendar, or no audit ahead in it'),
        },
      },
    },
  };
}
