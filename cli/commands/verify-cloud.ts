import { cloudStoreOverride } from '../../config/cloud-store-override';
import type { StoreConfig } from '../../config/config';
import { InputError } from '../../core/yaml-source';
import { UsageError } from '../command-kit';

/** `azure://container/prefix` or `gs://bucket/prefix`, as `verify` takes them. */
export function isCloudStoreUrl(target: string): boolean {
  return target.startsWith('azure://') || target.startsWith('gs://');
}

/**
 * The store to verify at an azure:// or gs:// URL. With a config, loadConfig already put the URL's container
 * or bucket into its store settings. Without one, `--endpoint` gives the GCS API endpoint (an emulator;
 * else storage.googleapis.com with Application Default Credentials) or the Azure account URL, whose
 * credentials are then AZURE_STORAGE_ACCOUNT + AZURE_STORAGE_KEY (the Azure CLI's variables) when both are
 * set, else the Azure default credential chain (workload or managed identity, `az login`).
 */
export function cloudStoreFor(target: string, configured: StoreConfig | undefined, endpoint?: string): StoreConfig {
  if (endpoint !== undefined && !(/^https?:\/\//.test(endpoint) && URL.canParse(endpoint)))
    throw new UsageError(`--endpoint ${endpoint}: not a URL (e.g. https://ACCOUNT.blob.core.windows.net)`);
  if (configured && ('azure' in configured || 'gcs' in configured) && endpoint === undefined) return configured;
  let base: StoreConfig = configured ?? { path: '.' };
  if (target.startsWith('azure://') && !('azure' in base)) {
    if (endpoint === undefined)
      throw new UsageError(
        `${target}: give the account with --endpoint https://ACCOUNT.blob.core.windows.net, or --config with store.azure`,
      );
    base = { azure: { accountUrl: endpoint, container: 'placeholder', prefix: '', auth: azureAuthFromEnv() } };
  }
  let store: StoreConfig | undefined;
  try {
    store = cloudStoreOverride(base, target, '--store');
  } catch (err) {
    if (err instanceof InputError) throw new UsageError(err.message);
    throw err;
  }
  if (!store) throw new UsageError(`${target} is not an azure:// or gs:// store URL`);
  if (endpoint === undefined) return store;
  return 'gcs' in store
    ? { gcs: { ...store.gcs, apiEndpoint: endpoint } }
    : { azure: { ...store.azure, accountUrl: endpoint } };
}

function azureAuthFromEnv() {
  const accountName = process.env['AZURE_STORAGE_ACCOUNT'];
  return accountName && process.env['AZURE_STORAGE_KEY']
    ? { method: 'shared-key' as const, accountName, accountKey: { env: 'AZURE_STORAGE_KEY' } }
    : { method: 'entra-id' as const };
}
