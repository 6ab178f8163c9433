import { ModelRegistryConnector } from '../model-registry/registry-connector';
import type { ResolveSecret } from '../descriptor';
import type { Connector } from '../types';
import { MlflowRegistryClient } from './client';
import type { MlflowSourceConfig } from './config';
import { MlflowHttp, type MlflowHttpOptions } from './http';

export const mlflowCollector = 'mlflow@1.0.0';

/** Test seams: a fake fetch, no real sleeping between retries, a pinned clock. */
export interface MlflowConnectorOverrides {
  fetch?: typeof fetch;
  sleep?: MlflowHttpOptions['sleep'];
  retryBaseMs?: number;
  now?: () => Date;
}

/**
 * Builds the connector for one `type: mlflow` source. Secrets are resolved here, once, so a missing
 * token fails the collection at its start with a CredentialsError naming the secret.
 */
export async function createMlflowConnector(
  source: MlflowSourceConfig,
  resolveSecret: ResolveSecret,
  overrides: MlflowConnectorOverrides = {},
): Promise<Connector> {
  let authorization: string | undefined;
  const auth = source.auth;
  if (auth.type === 'basic') {
    const username =
      typeof auth.username === 'string' ? auth.username : await resolveSecret(auth.username, 'auth.username');
    const password = await resolveSecret(auth.password, 'auth.password');
    authorization = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
  } else if (auth.type === 'bearer') {
    authorization = `Bearer ${await resolveSecret(auth.token, 'auth.token')}`;
  }
  const http = new MlflowHttp({
    sourceId: source.id,
    baseUrl: source.url,
    ...(authorization ? { authorization } : {}),
    authKind: auth.type,
    timeoutMs: source.requestTimeoutMs,
    maxAttempts: source.maxAttempts,
    ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
    ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
    ...(overrides.retryBaseMs !== undefined ? { retryBaseMs: overrides.retryBaseMs } : {}),
  });
  const client = new MlflowRegistryClient(http, { pageSize: source.pageSize });
  return new ModelRegistryConnector(client, {
    type: 'mlflow',
    sourceId: source.id,
    collector: mlflowCollector,
    models: source.models,
    production: source.production,
    metrics: source.metrics,
    modelCards: source.modelCards,
    tags: source.tags,
    ...(overrides.now ? { now: overrides.now } : {}),
  });
}
