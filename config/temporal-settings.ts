import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadClientConfigProfile, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';
import { CredentialsError } from '../core/errors';
import { resolveSecret, type SecretRef } from '../core/secrets';
import type { TemporalTlsConfig } from './temporal-schema';

/**
 * Where the connection to Temporal comes from, layered the way the Temporal CLI layers it (flags over
 * environment over its config file), with our own `temporal:` section underneath:
 *
 *   defaults < evidence-hub.yaml `temporal:` < Temporal TOML profile < TEMPORAL_* environment
 *
 * The TOML file is TEMPORAL_CONFIG_FILE or Temporal's default (~/.config/temporalio/temporal.toml); the profile
 * is `--profile` (which sets TEMPORAL_PROFILE), else TEMPORAL_PROFILE, else "default". Both the file and the
 * environment are read by @temporalio/envconfig itself, so the variable names and the TOML keys are exactly
 * Temporal's. Each field is taken from the highest layer that sets it.
 *
 * Key material is never held here: every certificate, key and API key is a reader, so nothing derived from
 * the config (logs, workflow inputs, error messages) can carry it, and files are read anew on reconnect.
 */
export interface PemSource {
  /** Where it comes from, for messages: "file /etc/tls/client.pem" or "TEMPORAL_TLS_CLIENT_KEY_DATA". */
  describe: string;
  /** Set for a file: the worker watches it and reloads the certificate when it changes. */
  file?: string;
  read(): Promise<Buffer>;
}

export interface TemporalTlsSettings {
  serverName?: string;
  serverCaCert?: PemSource;
  clientCert?: PemSource;
  clientKey?: PemSource;
}

export interface TemporalConnectionSettings {
  address: string;
  namespace: string;
  /** Undefined means plaintext. */
  tls: TemporalTlsSettings | undefined;
  apiKey?: { describe: string; read(): Promise<string> };
  /** Extra gRPC metadata from the profile or TEMPORAL_GRPC_META_* (values are not logged). */
  grpcMeta?: Record<string, string>;
  /** The TOML profile that contributed, when one did. */
  profile?: string;
  /**
   * Why Temporal's config file could not be used (unknown profile, bad TOML). Reported when connecting,
   * not when loading: commands that never talk to Temporal (verify, status, export) still work.
   */
  problem?: string;
}

export interface YamlTemporalSecurity {
  address: string;
  namespace: string;
  apiKey?: SecretRef | undefined;
  tls?: TemporalTlsConfig | undefined;
}

export function resolveTemporalSettings(
  yaml: YamlTemporalSecurity,
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
): TemporalConnectionSettings {
  const vars = definedVars(env);
  const profileName = vars['TEMPORAL_PROFILE'];
  let toml: ClientConfigProfile = {};
  let problem: string | undefined;
  try {
    toml = loadClientConfigProfile({ disableEnv: true, overrideEnvVars: vars });
  } catch (err) {
    const file = vars['TEMPORAL_CONFIG_FILE'] ?? "Temporal's default temporal.toml";
    problem = `Temporal config ${file}: ${(err as Error).message}${profileName ? ` (profile from --profile/TEMPORAL_PROFILE: ${profileName})` : ''}`;
  }
  const fromEnv = loadClientConfigProfile({ disableFile: true, overrideEnvVars: vars });
  const layers = [fromYaml(yaml, baseDir), fromProfile(toml, 'profile'), fromProfile(fromEnv, 'env')];
  const pick = <K extends keyof Layer>(k: K): Layer[K] | undefined =>
    layers.reduce<Layer[K] | undefined>((acc, l) => l[k] ?? acc, undefined);
  const tlsLayers = layers.map((l) => l.tls).filter((t): t is LayerTls => t !== undefined);
  const pickTls = <K extends keyof LayerTls>(k: K): LayerTls[K] | undefined =>
    tlsLayers.reduce<LayerTls[K] | undefined>((acc, t) => t[k] ?? acc, undefined);
  const apiKey = pick('apiKey');
  // As envconfig's toClientOptions: TLS when configured, or when an API key is sent; off when disabled.
  const disabled = pickTls('disabled');
  const tlsOn = disabled === undefined ? tlsLayers.length > 0 || apiKey !== undefined : !disabled;
  const tls: TemporalTlsSettings | undefined = tlsOn
    ? compact({
        serverName: pickTls('serverName'),
        serverCaCert: pickTls('serverCaCert'),
        clientCert: pickTls('clientCert'),
        clientKey: pickTls('clientKey'),
      })
    : undefined;
  const grpcMeta = { ...toml.grpcMeta, ...fromEnv.grpcMeta };
  return {
    address: pick('address')!,
    namespace: pick('namespace')!,
    tls,
    ...(apiKey ? { apiKey } : {}),
    ...(Object.keys(grpcMeta).length > 0 ? { grpcMeta } : {}),
    ...(Object.keys(toml).length > 0 ? { profile: profileName ?? 'default' } : {}),
    ...(problem ? { problem } : {}),
  };
}

interface LayerTls {
  disabled?: boolean | undefined;
  serverName?: string | undefined;
  serverCaCert?: PemSource | undefined;
  clientCert?: PemSource | undefined;
  clientKey?: PemSource | undefined;
}

interface Layer {
  address?: string | undefined;
  namespace?: string | undefined;
  apiKey?: TemporalConnectionSettings['apiKey'] | undefined;
  tls?: LayerTls | undefined;
}

function fromYaml(yaml: YamlTemporalSecurity, baseDir: string): Layer {
  const ref = (r: SecretRef | undefined, what: string): PemSource | undefined => {
    if (!r) return undefined;
    if ('file' in r) return fileSource(path.resolve(baseDir, r.file));
    return {
      describe: `environment variable ${r.env}`,
      read: async () => Buffer.from(await resolveSecret(r, baseDir, what)),
    };
  };
  const { apiKey, tls } = yaml;
  return {
    address: yaml.address,
    namespace: yaml.namespace,
    ...(apiKey
      ? {
          apiKey: {
            describe: 'file' in apiKey ? `temporal.apiKey file ${apiKey.file}` : `environment variable ${apiKey.env}`,
            read: () => resolveSecret(apiKey, baseDir, 'temporal.apiKey'),
          },
        }
      : {}),
    ...(tls
      ? {
          tls: {
            disabled: tls.disabled,
            serverName: tls.serverName,
            serverCaCert: ref(tls.serverCaCert, 'temporal.tls.serverCaCert'),
            clientCert: ref(tls.clientCert, 'temporal.tls.clientCert'),
            clientKey: ref(tls.clientKey, 'temporal.tls.clientKey'),
          },
        }
      : {}),
  };
}

function fromProfile(p: ClientConfigProfile, origin: 'profile' | 'env'): Layer {
  const names = {
    clientCert: origin === 'env' ? 'TEMPORAL_TLS_CLIENT_CERT_DATA' : 'tls.client_cert_data',
    clientKey: origin === 'env' ? 'TEMPORAL_TLS_CLIENT_KEY_DATA' : 'tls.client_key_data',
    serverCaCert: origin === 'env' ? 'TEMPORAL_TLS_SERVER_CA_CERT_DATA' : 'tls.server_ca_cert_data',
  };
  const src = (s: ConfigDataSource | undefined, name: string): PemSource | undefined => {
    if (!s) return undefined;
    // Paths in Temporal's config are relative to the working directory, as for the Temporal CLI.
    if ('path' in s) return fileSource(path.resolve(s.path));
    const data = Buffer.from(s.data);
    return { describe: name, read: async () => data };
  };
  const key = p.apiKey;
  return {
    address: p.address,
    namespace: p.namespace,
    ...(key !== undefined
      ? { apiKey: { describe: origin === 'env' ? 'TEMPORAL_API_KEY' : 'the profile api_key', read: async () => key } }
      : {}),
    ...(p.tls
      ? {
          tls: {
            disabled: p.tls.disabled,
            serverName: p.tls.serverName,
            serverCaCert: src(p.tls.serverCACert, names.serverCaCert),
            clientCert: src(p.tls.clientCert, names.clientCert),
            clientKey: src(p.tls.clientKey, names.clientKey),
          },
        }
      : {}),
  };
}

function fileSource(file: string): PemSource {
  return {
    describe: `file ${file}`,
    file,
    read: async () => {
      try {
        return await readFile(file);
      } catch (err) {
        throw new CredentialsError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? err})`);
      }
    },
  };
}

/** An empty variable counts as unset, as it did before: a blank `TEMPORAL_ADDRESS=` must not erase the address. */
function definedVars(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
  );
}

function compact<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}
