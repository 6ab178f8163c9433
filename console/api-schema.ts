import { z } from 'zod';
import type { ControlResult } from '../mappings/evaluate';
import { openApiActionPaths } from './api-schema-actions';
import { openApiCatalogPaths, reevaluationFields, systemViewSchema } from './api-schema-catalog';

export * from './api-schema-actions';
export * from './api-schema-catalog';

/** The JSON API's answers as zod schemas: the responses are built from them and the OpenAPI document generated. */
export const controlSummarySchema = z.object({
  id: z.string(),
  title: z.string(),
  status: z.string(),
  reason: z.string(),
  decidingRule: z.string().optional(),
  dueAt: z.string().optional(),
});
/** A control or clause as the list answers show it. */
export const controlSummaryOf = (r: ControlResult): z.output<typeof controlSummarySchema> => ({
  id: r.control.id,
  title: r.control.title,
  status: r.status,
  reason: r.reason,
  ...(r.decidingRule !== undefined ? { decidingRule: r.decidingRule } : {}),
  ...(r.dueAt !== undefined ? { dueAt: r.dueAt } : {}),
});
/** As `status --json --catalog`: Annex A under `controls`, the clauses under `clauses` (each only when chosen). */
export const controlsResponseSchema = z.object({
  asOf: z.string(),
  controls: z.array(controlSummarySchema).optional(),
  clauses: z.array(controlSummarySchema).optional(),
  /** With `system=`: that system's per-system rules and verdicts; the lists hold only the controls they judge. */
  system: systemViewSchema.optional(),
  ...reevaluationFields,
});
export const evidenceRowSchema = z.object({
  id: z.string(),
  observedAt: z.string(),
  collectedAt: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bundle: z.number().int(),
  href: z.string(),
});
export const controlResponseSchema = z.object({
  asOf: z.string(),
  control: controlSummarySchema,
  evidence: z.array(evidenceRowSchema),
  ...reevaluationFields,
});
export const sweepRequestSchema = z.strictObject({
  controls: z.string().min(1).max(100).optional(),
  /** Source ids (as `sweep --sources`); with `controls`, only those of them that feed the controls. */
  sources: z.array(z.string().min(1).max(100)).max(500).optional(),
});
export const sweepResponseSchema = z.object({ workflowId: z.string() });
export const errorSchema = z.object({ error: z.string() });

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'output' }) } },
});
const errors = {
  '401': json(errorSchema, 'no or unknown bearer token'),
  '404': json(errorSchema, 'no such control or blob'),
};

/** The OpenAPI 3.1 document of /api/v1/, generated from the schemas above (served at /api/v1/openapi.json). */
export function openApiDocument(): Record<string, unknown> {
  const doc = baseDocument();
  // Sweeps, uploads and exports (api-schema-actions.ts), merged per path: /api/v1/sweeps has both GET and POST.
  const paths = doc['paths'] as Record<string, Record<string, unknown>>;
  for (const [p, ops] of Object.entries({ ...openApiActionPaths(json, errors), ...openApiCatalogPaths(json, errors) }))
    paths[p] = { ...paths[p], ...(ops as Record<string, unknown>) };
  return doc;
}

function baseDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'evidence-hub console API', version: '1' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths: {
      '/api/v1/controls': {
        get: {
          summary: 'every control (and clause) with its status and reason; filtered by status or AI system',
          parameters: [
            { name: 'status', in: 'query', required: false, schema: { type: 'string' } },
            {
              name: 'catalog',
              in: 'query',
              required: false,
              schema: { type: 'string', enum: ['annex-a', 'clauses', 'all'], default: 'annex-a' },
            },
            { name: 'system', in: 'query', required: false, schema: { type: 'string' } },
          ],
          responses: {
            '200': json(controlsResponseSchema, 'the controls'),
            '400': json(errorSchema, 'an unknown catalog or AI system (the message names the known ones)'),
            ...errors,
          },
        },
      },
      '/api/v1/controls/{id}': {
        get: {
          summary: 'one control with its evidence',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': json(controlResponseSchema, 'the control'), ...errors },
        },
      },
      '/api/v1/blobs/{sha256}': {
        get: {
          summary: 'an evidence blob, always as a download',
          parameters: [
            { name: 'sha256', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
          ],
          responses: { '200': { description: 'the blob bytes' }, ...errors },
        },
      },
      '/api/v1/sweeps': {
        post: {
          summary: 'start a sweep (operator role)',
          requestBody: { content: { 'application/json': { schema: z.toJSONSchema(sweepRequestSchema) } } },
          responses: {
            '202': json(sweepResponseSchema, 'the sweep started'),
            '403': json(errorSchema, 'the token lacks the operator role'),
            ...errors,
          },
        },
      },
    },
  };
}
