import { defineConnector } from '../descriptor';
import { AzureBlobConnector } from './azure-blob-connector';
import { blobServiceFor } from './client';
import { azureBlobSourceSchema } from './config';
import { azureBlobKinds } from './kinds';

/** Blobs in Azure Storage containers, with versions, snapshots, tags and the containers' retention controls. */
export const azureBlobConnector = defineConnector({
  type: 'azure-blob',
  configSchema: azureBlobSourceSchema,
  kinds: azureBlobKinds,
  create: async (source, { resolveSecret }) =>
    new AzureBlobConnector(source, await blobServiceFor(source.accountUrl, source.auth, resolveSecret)),
  defaultMappings: { files: ['52-azure-blob.yaml'], when: 'configured' },
});
