import path from 'node:path';
import type { Logger } from 'pino';
import { FilesystemStore } from '../evidence/fs-store';
import { loadOrCreateKeyFile, signingKeyFromPem, type SigningKey } from '../evidence/signing';
import type { AlertStateStore } from '../evidence/alert-state';
import type { EvidenceStore } from '../evidence/store';
import { mappingVocabulary } from '../connectors';
import { loadCatalog } from '../mappings/catalog';
import { expandMappingPaths, loadMappings, loadSoa, type MappingSet, type NotApplicable } from '../mappings/load';
import { S3Client } from '@aws-sdk/client-s3';
import { S3Store } from '../evidence/s3-store';
import { loadConfig, type ConfigOverrides, type LoadedConfig, type StoreConfig } from '../config/config';
import { resolveSecret } from '../core/secrets';

/** Everything a command or a worker needs, loaded and validated once. */
export interface Hub {
  config: LoadedConfig;
  store: EvidenceStore & AlertStateStore;
  mappings: MappingSet;
  notApplicable: NotApplicable[];
}

/**
 * Loads config, mappings and the SoA, and opens the store. Every file is validated before anything
 * runs, so a typo fails the command at once with file:line instead of failing a sweep halfway.
 */
export async function loadHub(configFile: string, overrides: ConfigOverrides = {}): Promise<Hub> {
  const config = await loadConfig(configFile, overrides);
  const catalog = loadCatalog();
  const configuredTypes = new Set(config.sources.map((s) => s.type));
  const vocabulary = mappingVocabulary();
  const mappings = await loadMappings(
    expandMappingPaths(config.mappings, config.baseDir, vocabulary, configuredTypes),
    vocabulary,
    catalog,
  );
  const notApplicable = config.soa ? await loadSoa(path.resolve(config.baseDir, config.soa), catalog) : [];
  const store = await openStore(config.store, config.baseDir);
  return { config, store, mappings, notApplicable };
}

/** The configured store: a folder, or an S3 bucket (credentials resolved here, never logged). */
export async function openStore(store: StoreConfig, baseDir: string): Promise<EvidenceStore & AlertStateStore> {
  if ('path' in store) return FilesystemStore.open(store.path);
  const { s3 } = store;
  const credentials = s3.credentials
    ? {
        accessKeyId: await resolveSecret(s3.credentials.accessKeyId, baseDir, 'store.s3.credentials.accessKeyId'),
        secretAccessKey: await resolveSecret(
          s3.credentials.secretAccessKey,
          baseDir,
          'store.s3.credentials.secretAccessKey',
        ),
      }
    : undefined;
  const client = new S3Client({
    region: s3.region,
    forcePathStyle: s3.forcePathStyle,
    ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
    ...(credentials ? { credentials } : {}),
  });
  return new S3Store({
    client,
    bucket: s3.bucket,
    prefix: s3.prefix,
    ...(s3.objectLock ? { objectLock: s3.objectLock } : {}),
  });
}

/** Where local state that belongs with the store lives (the demo's Temporal database). */
export function localStateDir(config: LoadedConfig): string {
  return 'path' in config.store ? path.dirname(config.store.path) : path.join(config.baseDir, '.evidence-hub');
}

/** The signing key from its secret reference; a key *file* that does not exist yet is created. */
export async function loadSigningKey(config: LoadedConfig, log: Logger): Promise<SigningKey> {
  const ref = config.signing.key;
  if ('file' in ref) {
    const file = path.resolve(config.baseDir, ref.file);
    const { key, created } = await loadOrCreateKeyFile(file);
    if (created)
      log.warn(
        { keyFile: file, keyId: key.keyId },
        'created a new ed25519 signing key; back it up and keep it private',
      );
    return key;
  }
  return signingKeyFromPem(await resolveSecret(ref, config.baseDir, 'signing.key'), `environment variable ${ref.env}`);
}
