import { z } from 'zod';
import { secretRefSchema } from '../../core/secrets';
import { documentSelectionShape } from '../object-store/selection';
import { sourceIdSchema } from '../source-id';
import { gcsObjectKinds } from './kinds';

/** GCS bucket names: 3-63 (dotted up to 222) lowercase letters, digits, `-`, `_` and `.`. */
const gcsBucketSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, 'a GCS bucket name: lowercase letters, digits, "-", "_" and "."');

const scopeSchema = z.strictObject({
  bucket: gcsBucketSchema,
  ...documentSelectionShape,
  kind: z.enum(gcsObjectKinds).default('object'),
  /** Record every generation (noncurrent ones need versioning on the bucket), e.g. a policy's history. */
  versions: z.boolean().default(false),
});

/** How to reach GCS: shared by the gcs connector and the GCS evidence store. */
export const gcsConnectionShape = {
  /** Another endpoint than storage.googleapis.com (an emulator such as fake-gcs-server; no auth is sent). */
  apiEndpoint: z.url({ protocol: /^https?$/ }).optional(),
  projectId: z.string().min(1).optional(),
  /** A service account key file's JSON; absent: Application Default Credentials (workload identity). */
  serviceAccountJson: secretRefSchema.optional(),
};

export const gcsSourceSchema = z.strictObject({
  id: sourceIdSchema,
  type: z.literal('gcs'),
  ...gcsConnectionShape,
  scopes: z.array(scopeSchema).min(1, 'configure at least one bucket scope'),
});

export type GcsConnection = z.infer<z.ZodObject<typeof gcsConnectionShape>>;
export type GcsSourceConfig = z.infer<typeof gcsSourceSchema>;
export type GcsScope = z.infer<typeof scopeSchema>;
