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
 * or bucket into its store settings. Without one, a gs:// URL needs nothing else (Application Default
 * Credentials; `--endpoint` for an emulator); an azure:// URL needs the config's account and credentials.
 */
export function cloudStoreFor(target: string, configured: StoreConfig | undefined, endpoint?: string): StoreConfig {
  if (configured && ('azure' in configured || 'gcs' in configured) && !endpoint) return configured;
  let store: StoreConfig | undefined;
  try {
    store = cloudStoreOverride(configured ?? { path: '.' }, target, '--store');
  } catch (err) {
    if (err instanceof InputError) throw new UsageError(err.message);
    throw err;
  }
  if (!store) throw new UsageError(`${target} is not an azure:// or gs:// store URL`);
  if (endpoint !== undefined) {
    if (!('gcs' in store))
      throw new UsageError('--endpoint applies to s3:// and gs:// stores; Azure takes store.azure.accountUrl');
    if (!(/^https?:\/\//.test(endpoint) && URL.canParse(endpoint)))
      throw new UsageError(`--endpoint ${endpoint}: not a URL (e.g. http://127.0.0.1:4443)`);
    return { gcs: { ...store.gcs, apiEndpoint: endpoint } };
  }
  return store;
}
