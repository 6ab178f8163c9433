import { blobServiceFor } from '../connectors/azure-blob/client';
import { gcsClientFor } from '../connectors/gcs/client';
import type { AzureStoreConfig, GcsStoreConfig } from '../config/cloud-store-schema';
import { resolveSecret } from '../core/secrets';
import { AzureStore } from '../evidence/azure-store';
import { GcsStore } from '../evidence/gcs-store';

/**
 * The Azure Blob or GCS evidence store from its config, with the clients the azure-blob and gcs connectors
 * build (same credentials, secrets resolved here and never logged).
 */
export async function openCloudStore(store: AzureStoreConfig | GcsStoreConfig, baseDir: string) {
  if ('azure' in store) {
    const { azure } = store;
    const service = await blobServiceFor(
      azure.accountUrl,
      azure.auth,
      (ref, what) => resolveSecret(ref, baseDir, what),
      'store.azure.auth',
    );
    return new AzureStore({
      container: service.getContainerClient(azure.container),
      prefix: azure.prefix,
      immutability: azure.immutability,
    });
  }
  const { gcs } = store;
  const storage = await gcsClientFor(gcs, (ref, what) => resolveSecret(ref, baseDir, `store.gcs.${what}`));
  return new GcsStore({ bucket: storage.bucket(gcs.bucket), prefix: gcs.prefix, retention: gcs.retention });
}
