import type { Client } from '@temporalio/client';
import type { LoadedConfig } from '../config/config';
import { connectTemporalClient } from '../worker/temporal-connection';

/** A client of the configured Temporal server (worker/temporal-connection.ts: TLS, API key, named errors). */
export async function connectClient(config: LoadedConfig): Promise<Client> {
  return connectTemporalClient(config);
}
