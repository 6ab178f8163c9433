import { z } from 'zod';
import { secretRefSchema } from '../../core/secrets';
import { sourceIdSchema } from '../source-id';

/**
 * One `type: mlflow` entry of `sources:` in evidence-hub.yaml. Every field has a default except the
 * server's address and the validation metrics, which no default could guess.
 *
 * ```yaml
 * - id: registry
 *   type: mlflow
 *   url: https://mlflow.internal.example.com
 *   auth: { type: bearer, token: { env: MLFLOW_TRACKING_TOKEN } }
 *   models: [credit-scoring, "fraud-*"]
 *   production: { stages: [Production], aliases: [champion, production] }
 *   metrics: { validation: [accuracy, f1], fairness: [demographic_parity_difference] }
 * ```
 */
const nonEmpty = z.string().min(1);
/** A tag key, or several keys tried in order (the first present wins). */
const tagKeys = z.union([nonEmpty, z.array(nonEmpty).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));

const serverUrl = z
  .string()
  .refine((s) => URL.canParse(s), { message: 'not a URL; expected e.g. https://mlflow.example.com' })
  .refine((s) => !URL.canParse(s) || ['http:', 'https:'].includes(new URL(s).protocol), {
    message: 'expected an http:// or https:// URL',
  })
  .refine((s) => !URL.canParse(s) || (new URL(s).username === '' && new URL(s).password === ''), {
    message:
      'credentials in the URL are not allowed; use auth: { type: basic, username: ..., password: { env: NAME } }',
  });

export const mlflowAuthSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({
    type: z.literal('basic'),
    /** The user name is not a secret, so it may be written out; it may also come from a secret. */
    username: z.union([nonEmpty, secretRefSchema]),
    password: secretRefSchema,
  }),
  z.strictObject({ type: z.literal('bearer'), token: secretRefSchema }),
]);
export type MlflowAuth = z.infer<typeof mlflowAuthSchema>;

export const mlflowSourceSchema = z.strictObject({
  id: sourceIdSchema,
  type: z.literal('mlflow'),
  /** Tracking server base URL (the UI address); a path prefix such as https://host/mlflow is kept. */
  url: serverUrl,
  auth: mlflowAuthSchema.default({ type: 'none' }),
  /**
   * Registered models to collect: exact names (an unknown name is a configuration error) or globs
   * (`fraud-*`; a glob that matches nothing only logs a warning). Default: every registered model.
   */
  models: z.array(nonEmpty).min(1).default(['*']),
  /** What makes a version "in production": its stage, or one of these registered-model aliases. */
  production: z
    .strictObject({
      stages: z.array(nonEmpty).default(['Production']),
      aliases: z.array(nonEmpty).default(['champion', 'production']),
    })
    .default({ stages: ['Production'], aliases: ['champion', 'production'] }),
  /** Metric names (as logged on the version's source run) that validation and fairness evidence needs. */
  metrics: z.strictObject({
    validation: z.array(nonEmpty).min(1, 'name at least one validation metric logged on training runs'),
    fairness: z.array(nonEmpty).default([]),
  }),
  /** Model-card / README files looked for among the run's artifacts (file-name globs). */
  modelCards: z
    .strictObject({
      files: z.array(nonEmpty).min(1).default(['model_card.md', 'MODEL_CARD.md', 'model-card.md', 'README.md']),
      /**
       * Artifact folders searched, besides the run's root and the version's own model folder
       * (`runs:/<run>/<folder>`). Not recursive.
       */
      dirs: z.array(z.string()).default([]),
      /** Larger cards are recorded (path, size) without their content. */
      maxBytes: z
        .number()
        .int()
        .positive()
        .max(64 * 1024 * 1024)
        .default(1024 * 1024),
    })
    .default({
      files: ['model_card.md', 'MODEL_CARD.md', 'model-card.md', 'README.md'],
      dirs: [],
      maxBytes: 1024 * 1024,
    }),
  /** Which tags (version tags first, then registered-model tags) carry owner, intended use, risk class and approvals. */
  tags: z
    .strictObject({
      owner: tagKeys.default(['owner']),
      intendedUse: tagKeys.default(['intended_use']),
      riskClass: tagKeys.default(['risk_class']),
      approvedBy: tagKeys.default(['approved_by', 'approver']),
      approvedAt: tagKeys.default(['approved_at', 'approval_date']),
    })
    .default({
      owner: ['owner'],
      intendedUse: ['intended_use'],
      riskClass: ['risk_class'],
      approvedBy: ['approved_by', 'approver'],
      approvedAt: ['approved_at', 'approval_date'],
    }),
  /** Page size for registry searches (MLflow allows at most 1000 registered models per page). */
  pageSize: z.number().int().min(1).max(1000).default(200),
  /** Per-request timeout, and attempts for 429 and 5xx answers (exponential backoff, Retry-After honoured). */
  requestTimeoutMs: z.number().int().positive().default(30_000),
  maxAttempts: z.number().int().min(1).max(10).default(5),
});

export type MlflowSourceConfig = z.infer<typeof mlflowSourceSchema>;
/** The config as written (defaults not yet applied), e.g. for tests and examples. */
export type MlflowSourceInput = z.input<typeof mlflowSourceSchema>;
