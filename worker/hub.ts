import path from 'node:path';
import type { Logger } from 'pino';
import { FilesystemStore } from '../evidence/fs-store';
import { loadOrCreateKeyFile, signingKeyFromPem, type SigningKey } from '../evidence/signing';
import type { EvidenceStore } from '../evidence/store';
import { loadCatalog } from '../mappings/catalog';
import { expandMappingPaths, loadMappings, loadSoa, type MappingSet, type NotApplicable } from '../mappings/load';
import { loadConfig, type ConfigOverrides, type LoadedConfig } from './config';
import { resolveSecret } from './secrets';

/** Everything a command or a worker needs, loaded and validated once. */
export interface Hub {
  config: LoadedConfig;
  store: EvidenceStore;
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
  const mappings = await loadMappings(expandMappingPaths(config.mappings, config.baseDir), catalog);
  const notApplicable = config.soa ? await loadSoa(path.resolve(config.baseDir, config.soa), catalog) : [];
  const store = await FilesystemStore.open(config.store.path);
  return { config, store, mappings, notApplicable };
}

/** The signing key from its secret reference; a key *file* that does not exist yet is created. */
export async function loadSigningKey(config: LoadedConfig, log: Logger): Promise<SigningKey> {
  const ref = config.signing.key;
  if ('file' in ref) {
    const file = path.resolve(config.baseDir, ref.file);
    const { key, created } = await loadOrCreateKeyFile(file);
    if (created) log.warn({ keyFile: file, keyId: key.keyId }, 'created a new ed25519 signing key; back it up and keep it private');
    return key;
  }
  return signingKeyFromPem(await resolveSecret(ref, config.baseDir, 'signing.key'), `environment variable ${ref.env}`);
}
