import { z } from 'zod';
import { secretRefSchema } from '../../core/secrets';
import { documentSelectionShape } from '../object-store/selection';
import { sourceIdSchema } from '../source-id';
import { azureBlobObjectKinds } from './kinds';

/** Azure container names: 3-63 lowercase letters, digits and single hyphens. */
const containerNameSchema = z
  .string()
  .regex(/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, 'an Azure container name: 3-63 of a-z, 0-9 and single "-"');

const scopeSchema = z.strictObject({
  container: containerNameSchema,
  ...documentSelectionShape,
  kind: z.enum(azureBlobObjectKinds).default('object'),
  /** Record every blob version (needs versioning on the account), e.g. a policy's version history. */
  versions: z.boolean().default(false),
  /** Record blob snapshots as well. */
  snapshots: z.boolean().default(false),
});

/**
 * Credentials, by method. Secrets are references. `entra-id` without a client secret uses the Azure
 * default credential chain (workload identity, managed identity, Azure CLI), which is what production uses.
 */
export const azureAuthSchema = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('shared-key'), accountName: z.string().min(1), accountKey: secretRefSchema }),
  /** A SAS token (the query string, with or without the leading `?`). */
  z.strictObject({ method: z.literal('sas'), token: secretRefSchema }),
  z.strictObject({
    method: z.literal('entra-id'),
    tenantId: z.string().min(1).optional(),
    clientId: z.string().min(1).optional(),
    clientSecret: secretRefSchema.optional(),
  }),
]);
export type AzureAuth = z.infer<typeof azureAuthSchema>;

export const azureBlobSourceSchema = z.strictObject({
  id: sourceIdSchema,
  type: z.literal('azure-blob'),
  /** The blob service URL: https://ACCOUNT.blob.core.windows.net (Azurite: http://127.0.0.1:10000/ACCOUNT). */
  accountUrl: z.url({ protocol: /^https?$/ }),
  auth: azureAuthSchema,
  scopes: z.array(scopeSchema).min(1, 'configure at least one container scope'),
});

export type AzureBlobSourceConfig = z.infer<typeof azureBlobSourceSchema>;
export type AzureBlobScope = z.infer<typeof scopeSchema>;
