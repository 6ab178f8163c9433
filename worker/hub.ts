import path from 'node:path';
import type { Logger } from 'pino';
import { FilesystemStore } from '../evidence/fs-store';
import { createKeyFile, readKeyFile, signingKeyFromPem, type Signer } from '../evidence/signing';
import { SigningKeyError } from '../core/errors';
import { signingKeyChoiceMessage } from '../evidence/signing-config';
import { openPkcs11Signer } from '../evidence/signing-pkcs11';
import type { AlertStateStore } from '../evidence/alert-state';
import type { EvidenceStore } from '../evidence/store';
import { mappingVocabulary } from '../connectors';
import { loadCatalog } from '../mappings/catalog';
import { expandMappingPaths, loadMappings, loadSoa, type MappingSet, type NotApplicable } from '../mappings/load';
import { S3Client } from '@aws-sdk/client-s3';
import { S3Store } from '../evidence/s3-store';
import { openCloudStore } from './cloud-store';
import { loadAiSystems } from '../config/ai-systems';
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
  const loaded = await loadMappings(
    expandMappingPaths(config.mappings, config.baseDir, vocabulary, configuredTypes),
    vocabulary,
    catalog,
  );
  // The inventory travels with the mappings, so every evaluation (status, export, readiness) judges per system.
  const mappings = config.aiSystems
    ? { ...loaded, aiSystems: await loadAiSystems(config.aiSystems, config.baseDir) }
    : loaded;
  const notApplicable = config.soa ? await loadSoa(path.resolve(config.baseDir, config.soa), catalog) : [];
  const store = await openStore(config.store, config.baseDir);
  return { config, store, mappings, notApplicable };
}

/** The configured store: a folder, an S3 bucket, an Azure container or a GCS bucket (credentials resolved here, never logged). */
export async function openStore(store: StoreConfig, baseDir: string): Promise<EvidenceStore & AlertStateStore> {
  if ('path' in store) return FilesystemStore.open(store.path);
  if ('azure' in store || 'gcs' in store) return openCloudStore(store, baseDir);
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

/** Where the configured key file is, or undefined when the key comes from an environment variable. */
export function signingKeyFile(config: LoadedConfig): string | undefined {
  const ref = config.signing.key;
  return ref && 'file' in ref ? path.resolve(config.baseDir, ref.file) : undefined;
}

/**
 * The signing key from its secret reference. A missing key *file* is an error: a worker never creates a key
 * (each host would make its own and they would fight over the store); `evidence-hub keys init` does.
 */
export async function loadSigningKey(config: LoadedConfig, _log?: Logger): Promise<Signer> {
  const { key: ref, pkcs11 } = config.signing;
  if (pkcs11) return openPkcs11Signer(pkcs11, await resolveSecret(pkcs11.pin, config.baseDir, 'signing.pkcs11.pin'));
  if (!ref) throw new SigningKeyError(`${config.file}: ${signingKeyChoiceMessage}`);
  const file = signingKeyFile(config);
  if (file !== undefined) {
    const key = await readKeyFile(file);
    if (!key)
      throw new SigningKeyError(
        `signing key file ${file} (signing.key.file in ${config.file}) does not exist; run \`evidence-hub keys init --config ${config.file}\` once to create and register it, or copy the store's current key there`,
      );
    return key;
  }
  return signingKeyFromPem(
    await resolveSecret(ref, config.baseDir, 'signing.key'),
    `environment variable ${'env' in ref ? ref.env : 'signing.key'}`,
  );
}

export interface KeyInit {
  key: Signer;
  /** The key file, when the key is a file; undefined for a key from the environment. */
  file?: string | undefined;
  created: boolean;
  registered: boolean;
}

/**
 * `evidence-hub keys init` (and the demo): creates the configured key file when it does not exist (never
 * overwriting one) and registers the key as the store's current key when the store has none. A store that
 * already has a different current key is refused before any file is written.
 */
export async function initSigningKey(config: LoadedConfig, store: EvidenceStore, at = new Date()): Promise<KeyInit> {
  const file = signingKeyFile(config);
  const existing = file !== undefined ? await readKeyFile(file) : await loadSigningKey(config);
  const current = (await store.listKeys()).filter((k) => k.validUntil === undefined);
  if (current.length > 0 && !current.some((k) => k.keyId === existing?.keyId))
    throw new SigningKeyError(
      `the store ${store.location} already has current key ${current.map((k) => k.keyId).join(', ')}; copy that key to ${file ?? 'this host'}, or rotate with \`evidence-hub keys rotate\` where it is`,
    );
  const key = existing ?? (await createKeyFile(file!));
  const registered = current.length === 0;
  if (registered) await store.registerKey(key, at);
  return { key, file, created: existing === undefined, registered };
}
