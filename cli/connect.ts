import { Client, Connection } from '@temporalio/client';
import type { LoadedConfig } from '../config/config';

/** A client of the configured Temporal server, with an error that says what to check when it is not there. */
export async function connectClient(config: LoadedConfig): Promise<Client> {
  try {
    const connection = await Connection.connect({ address: config.temporal.address, connectTimeout: '5s' });
    return new Client({ connection, namespace: config.temporal.namespace });
  } catch (err) {
    throw new Error(
      `cannot reach Temporal at ${config.temporal.address} (${(err as Error).message}); is the worker's server running? (set TEMPORAL_ADDRESS or temporal.address)`,
    );
  }
}
