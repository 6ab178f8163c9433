import { z } from 'zod';
import { azureAuthSchema } from '../connectors/azure-blob/config';
import { gcsConnectionShape } from '../connectors/gcs/config';

/** Azure container names: 3-63 lowercase letters, digits and single hyphens. */
const containerSchema = z
  .string()
  .regex(/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, 'an Azure container name: 3-63 of a-z, 0-9 and single "-"');

/** GCS bucket names: lowercase letters, digits, `-`, `_` and `.`. */
const gcsBucketSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, 'a GCS bucket name: lowercase letters, digits, "-", "_" and "."');

/** Write-once retention on every evidence object: `days` from the write; Locked cannot be shortened. */
const wormSchema = z.strictObject({
  mode: z.enum(['Locked', 'Unlocked']).default('Locked'),
  days: z.number().int().positive(),
});

/**
 * `store: { azure: ... }`: the evidence store in an Azure Blob container (evidence/azure-store.ts), with the
 * same credentials as the azure-blob connector (secrets are references).
 */
export const azureStoreSchema = z.strictObject({
  azure: z.strictObject({
    /** https://ACCOUNT.blob.core.windows.net (Azurite: http://127.0.0.1:10000/devstoreaccount1). */
    accountUrl: z.url({ protocol: /^https?$/ }),
    container: containerSchema,
    prefix: z.string().default(''),
    auth: azureAuthSchema,
    /** Version-level immutability (WORM) per evidence blob; the container must support it. */
    immutability: wormSchema.optional(),
  }),
});

/** `store: { gcs: ... }`: the evidence store in a GCS bucket (evidence/gcs-store.ts), connected like the gcs connector. */
export const gcsStoreSchema = z.strictObject({
  gcs: z.strictObject({
    bucket: gcsBucketSchema,
    prefix: z.string().default(''),
    ...gcsConnectionShape,
    /** Object Retention Lock per evidence object; the bucket must have object retention enabled. */
    retention: wormSchema.optional(),
  }),
});

export type AzureStoreConfig = z.infer<typeof azureStoreSchema>;
export type GcsStoreConfig = z.infer<typeof gcsStoreSchema>;
