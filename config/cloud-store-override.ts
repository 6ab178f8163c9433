import { InputError } from '../core/yaml-source';
import type { AzureStoreConfig, GcsStoreConfig } from './cloud-store-schema';

/** Any configured store (config.ts's StoreConfig, not imported to keep this file below config.ts). */
type ConfiguredStore = AzureStoreConfig | GcsStoreConfig | { path: string } | { s3: unknown };

/**
 * `--store azure://container/prefix` and `--store gs://bucket/prefix`: the configured Azure or GCS store
 * settings (account, credentials, endpoint, retention) with another container or bucket and prefix. A GCS URL
 * works without a configured GCS store (Application Default Credentials); an Azure URL needs the account
 * and credentials from `store.azure`. Undefined when the override is not one of these URLs.
 */
export function cloudStoreOverride(
  configured: ConfiguredStore,
  override: string | undefined,
  file: string,
): AzureStoreConfig | GcsStoreConfig | undefined {
  const refuse = (message: string) =>
    new InputError([{ file, line: 0, col: 0, path: 'store', message: `--store ${override}: ${message}` }]);
  if (override?.startsWith('azure://')) {
    const m = /^azure:\/\/([a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9])\/?(.*)$/.exec(override);
    if (!m) throw refuse('not an azure://container/prefix URL');
    if (!('azure' in configured))
      throw refuse('an Azure store URL needs store.azure in the config (accountUrl and auth) to reach the account');
    return { azure: { ...configured.azure, container: m[1]!, prefix: m[2] ?? '' } };
  }
  if (override?.startsWith('gs://')) {
    const m = /^gs:\/\/([a-z0-9][a-z0-9._-]{1,220}[a-z0-9])\/?(.*)$/.exec(override);
    if (!m) throw refuse('not a gs://bucket/prefix URL');
    const base = 'gcs' in configured ? configured.gcs : {};
    return { gcs: { ...base, bucket: m[1]!, prefix: m[2] ?? '' } };
  }
  return undefined;
}
