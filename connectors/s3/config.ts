import { z } from 'zod';
import { secretRefSchema } from '../../core/secrets';
import { bucketNameSchema, s3EndpointShape, s3StaticKeysSchema } from '../../core/s3-settings';
import { documentSelectionShape } from '../object-store/selection';
import { sourceIdSchema } from '../source-id';
import { s3Kinds } from './kinds';

const scopeSchema = z.strictObject({
  bucket: bucketNameSchema,
  ...documentSelectionShape,
  kind: z.enum(s3Kinds).default('object'),
  /** Record every version of the objects (needs ListBucketVersions), e.g. a policy's version history. */
  versions: z.boolean().default(false),
});

/** How to reach S3: shared by the S3 connector and other connectors that read from a bucket (SIEM exports). */
export const s3ConnectionShape = {
  ...s3EndpointShape,
  /** Static keys, with a session token for temporary credentials. */
  credentials: s3StaticKeysSchema.extend({ sessionToken: secretRefSchema.optional() }).optional(),
};
export type S3Connection = z.infer<z.ZodObject<typeof s3ConnectionShape>>;

export const s3SourceSchema = z.strictObject({
  id: sourceIdSchema,
  type: z.literal('s3'),
  ...s3ConnectionShape,
  /** Fetch each listed object's user metadata with HeadObject (one request per object). */
  userMetadata: z.boolean().default(true),
  scopes: z.array(scopeSchema).min(1, 'configure at least one bucket scope'),
});

export type S3SourceConfig = z.infer<typeof s3SourceSchema>;
export type S3Scope = z.infer<typeof scopeSchema>;
