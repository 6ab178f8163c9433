import { z } from 'zod';
import { secretRefSchema } from '../../core/secrets';
import { s3StaticKeysSchema } from '../../core/s3-settings';
import { sourceIdSchema } from '../source-id';

/**
 * One `type: sagemaker` entry of `sources:` in evidence-hub.yaml: SageMaker Model Registry (model package
 * groups and their packages) and the endpoints serving them, in one account and region.
 *
 * ```yaml
 * - id: sagemaker
 *   type: sagemaker
 *   region: eu-west-1
 *   modelPackageGroups: [credit-scoring, "fraud-*"]
 *   metrics: { validation: ["validation:auc"] }
 * ```
 */
const nonEmpty = z.string().min(1);
/** A tag key, or several keys tried in order (the first present wins). */
const tagKeys = z.union([nonEmpty, z.array(nonEmpty).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));

export const sagemakerSourceSchema = z.strictObject({
  id: sourceIdSchema,
  type: z.literal('sagemaker'),
  region: nonEmpty.default('us-east-1'),
  /** A SageMaker-compatible endpoint (an emulator, a VPC endpoint); default the region's public one. */
  endpoint: z.url().optional(),
  /** Static keys; without them the standard AWS credential chain is used (env, profile, SSO, role, IMDS). */
  credentials: s3StaticKeysSchema.extend({ sessionToken: secretRefSchema.optional() }).optional(),
  /**
   * Model package groups to collect: exact names (an unknown name is a configuration error) or globs
   * (`fraud-*`; a glob that matches nothing only logs a warning). Default: every group.
   */
  modelPackageGroups: z.array(nonEmpty).min(1).default(['*']),
  /** Training-job metric names (`FinalMetricDataList`) that validation and fairness evidence needs. */
  metrics: z.strictObject({
    validation: z.array(nonEmpty).min(1, 'name at least one validation metric reported by training jobs'),
    fairness: z.array(nonEmpty).default([]),
  }),
  /**
   * `CustomerMetadataProperties` keys naming the training job that produced a package. Without one, the job
   * is read from the model artifact's S3 path (`.../<TrainingJobName>/output/model.tar.gz`, SageMaker's layout).
   */
  trainingJobKeys: tagKeys.default(['training_job', 'TrainingJobName']),
  /** Which `CustomerMetadataProperties` keys carry owner, intended use and risk class. */
  tags: z
    .strictObject({
      owner: tagKeys.default(['owner']),
      intendedUse: tagKeys.default(['intended_use']),
      riskClass: tagKeys.default(['risk_class']),
    })
    .default({ owner: ['owner'], intendedUse: ['intended_use'], riskClass: ['risk_class'] }),
  /** Model cards stored inline in a package (`ModelCard`) larger than this are recorded without content. */
  maxCardBytes: z
    .number()
    .int()
    .positive()
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  /** Attempts per API call; throttling (429, ThrottlingException) and 5xx are retried with backoff, Retry-After honoured. */
  maxAttempts: z.number().int().min(1).max(10).default(5),
});

export type SagemakerSourceConfig = z.infer<typeof sagemakerSourceSchema>;
export type SagemakerSourceInput = z.input<typeof sagemakerSourceSchema>;
