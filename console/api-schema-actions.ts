import { z } from 'zod';

/** The JSON API's sweep, upload and export answers (the OpenAPI paths are in openApiActionPaths below). */
const sourceStateSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('pending') }),
  z.object({ state: z.literal('running') }),
  z.object({ state: z.literal('done'), artifactCount: z.number().int(), problems: z.array(z.string()).optional() }),
  z.object({ state: z.literal('failed'), error: z.string() }),
]);
export const sweepRowSchema = z.object({
  workflowId: z.string(),
  status: z.enum(['running', 'completed', 'failed', 'cancelled', 'terminated', 'timed-out', 'other']),
  startedAt: z.string(),
  closedAt: z.string().optional(),
  bundle: z.object({ sequence: z.number().int(), bundleId: z.string() }).optional(),
});
export const sweepListSchema = z.object({ sweeps: z.array(sweepRowSchema) });
export const sweepViewSchema = sweepRowSchema.extend({
  progress: z
    .object({
      bundleId: z.string(),
      phase: z.enum(['planning', 'collecting', 'sealing', 'done', 'cancelled', 'failed']),
      sources: z.record(z.string(), sourceStateSchema),
      batches: z.array(z.string()),
    })
    .optional(),
});
export const cancelResponseSchema = z.object({ workflowId: z.string(), cancelRequested: z.literal(true) });

/** Upload fields besides the file (multipart/form-data: `file` plus these). */
export const uploadFieldsSchema = z.strictObject({
  topic: z.string().min(1).max(100),
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'date: use yyyy-mm-dd')
    .optional(),
  note: z.string().max(2000).optional(),
  source: z.string().max(100).optional(),
});
export const uploadResponseSchema = z.object({
  source: z.string(),
  topic: z.string(),
  file: z.string(),
  sha256: z.string(),
  effective: z.string(),
  outcome: z.enum(['filed', 'already-filed']),
});
export const exportRequestSchema = z.strictObject({
  from: z.string().max(40).optional(),
  to: z.string().max(40).optional(),
  audit: z.string().max(100).optional(),
  controls: z.string().max(100).optional(),
});
export const auditListSchema = z.object({
  audits: z.array(z.object({ id: z.string(), date: z.string(), type: z.string() })),
});

type JsonContent = (schema: z.ZodType, description: string) => Record<string, unknown>;

/** The OpenAPI paths of sweeps, uploads and exports; `json` and `errors` are the document's own helpers. */
export function openApiActionPaths(json: JsonContent, errors: Record<string, unknown>): Record<string, unknown> {
  const error = z.object({ error: z.string() });
  const operatorOnly = { '403': json(error, 'the token lacks the operator role, or the CSRF token is missing') };
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9._-]+$' } };
  return {
    '/api/v1/sweeps': {
      get: {
        summary: "this hub's sweeps, newest first, each with the bundle it sealed",
        responses: { '200': json(sweepListSchema, 'the sweep history'), ...errors },
      },
    },
    '/api/v1/sweeps/{id}': {
      get: {
        summary: "one sweep with each source's progress (the workflow's progress query)",
        parameters: [idParam],
        responses: { '200': json(sweepViewSchema, 'the sweep'), ...errors },
      },
    },
    '/api/v1/sweeps/{id}/cancel': {
      post: {
        summary: 'cancel a running sweep (operator role; recorded as an operator action)',
        parameters: [idParam],
        responses: { '202': json(cancelResponseSchema, 'cancellation requested'), ...operatorOnly, ...errors },
      },
    },
    '/api/v1/uploads': {
      post: {
        summary:
          'file a manual record by topic, as `evidence-hub upload` does (operator role; recorded as an operator action)',
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: {
                ...z.toJSONSchema(uploadFieldsSchema),
                properties: {
                  ...(z.toJSONSchema(uploadFieldsSchema) as { properties: object }).properties,
                  file: { type: 'string', format: 'binary' },
                },
                required: ['topic', 'file'],
              },
            },
          },
        },
        responses: {
          '201': json(uploadResponseSchema, 'filed (or already filed with the same content)'),
          '400': json(error, 'unknown topic, bad date, or a different file under the same name (never overwritten)'),
          '413': json(error, 'the upload is larger than the limit'),
          ...operatorOnly,
          ...errors,
        },
      },
    },
    '/api/v1/exports': {
      get: {
        summary: 'the audits of the calendar an export can be cut for',
        responses: { '200': json(auditListSchema, 'the audit calendar'), ...errors },
      },
      post: {
        summary:
          'the audit pack (.tar.gz) for a window or an audit, as `evidence-hub export` writes it (operator role; recorded)',
        requestBody: { content: { 'application/json': { schema: z.toJSONSchema(exportRequestSchema) } } },
        responses: {
          '200': {
            description: 'the pack; header X-Pack-Fingerprint carries the signing key fingerprint',
            content: { 'application/gzip': { schema: { type: 'string', format: 'binary' } } },
          },
          '400': json(error, 'no window, or both a window and an audit'),
          ...operatorOnly,
          ...errors,
        },
      },
    },
  };
}
