import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { consoleOptions } from '../../cli/commands/serve';
import { ConsoleAuth } from '../../console/auth';
import { startConsole, type ConsoleOptions } from '../../console/server';
import { hubIn, quietLog, signingKey, type HubFixture } from './hub-fixture';
import { writeBundle } from './store-fixture';

/** Evidence whose name and failure message are HTML: the console must show them as text, never as markup. */
export const hostileName = 'monitoring/<img src=x onerror=alert(1)>.md';
export const hostileError = '<script>alert("pwned")</script> HTTP 401';
export const htmlEvidence = '<!DOCTYPE html><script>alert(1)</script><p>evidence as HTML</p>';
export const tokens = { operator: 'op-token-5b1e', viewer: 'viewer-token-77c2', admin: 'admin-token-a93f' } as const;

export interface ConsoleFixture extends HubFixture {
  server: Server;
  base: string;
  /** The console's options as serve wires them (the Slack app is started on the same ones). */
  options: ConsoleOptions;
  close(): Promise<void>;
}

/**
 * A hub whose store holds one sealed bundle (a RACI, a policy with an HTML name, an HTML document and a
 * failed source), with three static tokens, served by the console on a free loopback port exactly as
 * `evidence-hub serve` wires it.
 */
export async function consoleOn(
  dir: string,
  temporal = '',
  options: { manualSource?: boolean; maxUploadBytes?: number; consoleLines?: string[] } = {},
): Promise<ConsoleFixture> {
  process.env['EH_TEST_OPERATOR_TOKEN'] = tokens.operator;
  const fx = await hubIn(
    dir,
    [
      'version: 1',
      'store: { path: ./store }',
      'signing: { key: { file: ./keys/signing.pem } }',
      ...(temporal ? [temporal] : []),
      'sources:',
      '  - { id: docs, type: folder, path: ./org }',
      ...(options.manualSource ? ['  - { id: records, type: manual, path: ./records }'] : []),
      'console:',
      '  tokens:',
      '    - { name: olivia, role: operator, token: { env: EH_TEST_OPERATOR_TOKEN } }',
      '    - { name: victor, role: viewer, token: { file: ./viewer.token } }',
      '    - { name: ada, role: admin, token: { file: ./admin.token } }',
      ...(options.consoleLines ?? []).map((l) => `  ${l}`),
      '',
    ].join('\n'),
    { 'viewer.token': `${tokens.viewer}\n`, 'admin.token': tokens.admin, 'org/readme.md': 'x' },
  );
  const key = await signingKey(fx.hub);
  await writeBundle(
    fx.hub.store,
    key,
    fx.hub.mappings,
    'b1',
    { 'raci.csv': 'system,owner\nchatbot,alice\n', [hostileName]: '# policy\n', 'monitoring/page.html': htmlEvidence },
    new Date(),
    {
      extraOutcomes: [
        {
          source: 'jira',
          sourceType: 'jira',
          status: 'failed',
          artifactCount: 0,
          error: { type: 'AuthError', message: hostileError },
        },
      ],
    },
  );
  const auth = await ConsoleAuth.fromConfig(fx.hub.config.console, fx.hub.config.baseDir);
  const served = consoleOptions(fx.hub, auth, quietLog);
  const server = await startConsole(
    { ...served, ...(options.maxUploadBytes !== undefined ? { maxUploadBytes: options.maxUploadBytes } : {}) },
    '127.0.0.1',
    0,
  );
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...fx,
    server,
    base,
    options: served,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
