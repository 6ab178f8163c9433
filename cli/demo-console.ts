import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ConsoleAuth } from '../console/auth';
import { startConsole } from '../console/server';
import type { Hub } from '../worker/hub';
import { consoleOptions, warmConsole } from './commands/serve';

/**
 * The web console beside `demo --serve`: one local user without sign-in (as `serve --insecure-local`), on
 * loopback only, talking to the demo's embedded Temporal server. Returns the server and its address.
 */
export async function startDemoConsole(
  hub: Hub,
  temporalAddress: string,
  port: number,
  log: Logger,
): Promise<{ server: Server; url: string }> {
  // The embedded server's address replaces the configured one (both the settings and the resolved connection).
  const demoHub: Hub = {
    ...hub,
    config: {
      ...hub.config,
      temporal: { ...hub.config.temporal, address: temporalAddress },
      temporalConnection: { ...hub.config.temporalConnection, address: temporalAddress },
    },
  };
  const auth = await ConsoleAuth.fromConfig(undefined, hub.config.baseDir);
  const options = consoleOptions(demoHub, auth, log, true);
  const server = await startConsole(options, '127.0.0.1', port);
  warmConsole(options, log);
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}
