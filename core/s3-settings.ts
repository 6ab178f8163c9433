import { z } from 'zod';
import { secretRefSchema } from './secrets';

/*
 * How to reach an S3 bucket, as the config writes it: shared by the evidence store, the S3 witness and the
 * connectors that read from S3, so a bucket name or endpoint is validated the same way everywhere.
 */

export const bucketNameSchema = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'not a valid S3 bucket name');

export const s3EndpointShape = {
  region: z.string().default('us-east-1'),
  /** S3-compatible services (MinIO): their URL, usually with forcePathStyle. */
  endpoint: z.url().optional(),
  forcePathStyle: z.boolean().default(false),
};

/** Static keys; without them the standard AWS credential chain is used (env, profile, SSO, role, IMDS). */
export const s3StaticKeysSchema = z.strictObject({ accessKeyId: secretRefSchema, secretAccessKey: secretRefSchema });
