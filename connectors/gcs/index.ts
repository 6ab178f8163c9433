import { defineConnector } from '../descriptor';
import { gcsClientFor } from './client';
import { gcsSourceSchema } from './config';
import { GcsConnector } from './gcs-connector';
import { gcsKinds } from './kinds';

/** Objects in Google Cloud Storage buckets, with generations, and the buckets' retention controls. */
export const gcsConnector = defineConnector({
  type: 'gcs',
  configSchema: gcsSourceSchema,
  kinds: gcsKinds,
  create: async (source, { resolveSecret }) => new GcsConnector(source, await gcsClientFor(source, resolveSecret)),
  defaultMappings: { files: ['54-gcs.yaml'], when: 'configured' },
});
