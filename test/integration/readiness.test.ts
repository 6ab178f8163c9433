import { rm } from 'node:fs/promises';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSigningKey, openStore } from '../../worker/hub';
import { startHealthServer, type HealthServer } from '../../worker/health-server';
import { Readiness, signingKeyCheck, storeCheck, temporalCheck } from '../../worker/readiness';
import { HubMetrics } from '../../worker/metrics';
import { startDevServer } from '../../worker/temporal-server';
import { hubIn, quietLog, signingKey } from '../support/hub-fixture';
import { freePort } from '../support/ports';
import { tempDir } from '../support/tmp';

// Each readiness failure against the real thing failing: a Temporal server that was stopped, an S3 endpoint
// where nothing listens, a key file that was removed. /readyz answers 503 and names the check and the cause.
let env: TestWorkflowEnvironment | undefined;
let connection: NativeConnection;

beforeAll(async () => {
  env = await startDevServer();
  connection = await NativeConnection.connect({ address: env.address });
});

afterAll(async () => {
  await connection?.close();
  await env?.teardown();
});

async function serve(readiness: Readiness, metrics: HubMetrics): Promise<HealthServer> {
  return startHealthServer({ address: '127.0.0.1:0', registry: metrics.registry, readiness, log: quietLog });
}

async function readyz(server: HealthServer): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${server.address}/readyz`);
  return { status: res.status, body: await res.text() };
}

describe('/readyz', () => {
  it('is 200 with every check named ok, and 503 naming each check that fails: store, signing key, Temporal', async () => {
    const dir = await tempDir();
    const { hub } = await hubIn(
      dir,
      'version: 1\nstore: { path: ./store }\nsigning: { key: { file: ./k.pem } }\nsources:\n  - { id: docs, type: folder, path: ./org }\n',
      { 'org/a.txt': 'a' },
    );
    const key = await signingKey(hub);
    const readiness = new Readiness()
      .set('temporal', temporalCheck(connection))
      .set('store', storeCheck(hub.store))
      .set('signing-key', signingKeyCheck(hub.config, await loadSigningKey(hub.config)));
    const server = await serve(readiness, new HubMetrics(hub, quietLog));
    try {
      expect(await readyz(server)).toEqual({ status: 200, body: 'ready\ntemporal: ok\nstore: ok\nsigning-key: ok\n' });
      expect(key.keyId).toBeTruthy();

      // Store unreachable: an S3 store whose endpoint refuses connections.
      process.env['EH_TEST_S3_KEY'] = 'test-key';
      process.env['EH_TEST_S3_SECRET'] = 'test-secret';
      const port = await freePort();
      const s3 = await openStore(
        {
          s3: {
            bucket: 'evidence',
            prefix: '',
            region: 'us-east-1',
            forcePathStyle: true,
            endpoint: `http://127.0.0.1:${port}`,
            credentials: { accessKeyId: { env: 'EH_TEST_S3_KEY' }, secretAccessKey: { env: 'EH_TEST_S3_SECRET' } },
          },
        },
        dir,
      );
      readiness.set('store', storeCheck(s3));
      let r = await readyz(server);
      expect(r.status).toBe(503);
      expect(r.body).toMatch(new RegExp(`^store: FAILED: store s3://evidence/? unreachable: .*`, 'm'));
      expect(r.body).toContain('temporal: ok');
      expect(r.body).toContain('signing-key: ok');
      readiness.set('store', storeCheck(hub.store));

      // Signing key missing: the key file is gone.
      await rm(path.join(dir, 'k.pem'));
      r = await readyz(server);
      expect(r.status).toBe(503);
      expect(r.body).toMatch(/^signing-key: FAILED: signing key file .*k\.pem .*does not exist/m);
      expect(r.body).toContain('store: ok');

      // Temporal unreachable: the server this connection was made to is stopped.
      await env!.teardown();
      env = undefined;
      r = await readyz(server);
      expect(r.status).toBe(503);
      expect(r.body).toMatch(/^temporal: FAILED: Temporal unreachable: /m);
      expect(r.body).toContain('store: ok');

      // /healthz only says the process is up.
      expect((await fetch(`http://${server.address}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('names the checks that have nothing to check yet (a worker still starting)', async () => {
    const dir = await tempDir();
    const { hub } = await hubIn(
      dir,
      'version: 1\nstore: { path: ./store }\nsources:\n  - { id: docs, type: folder, path: ./org }\n',
      { 'org/a.txt': 'a' },
    );
    const server = await serve(new Readiness().set('store', storeCheck(hub.store)), new HubMetrics(hub, quietLog));
    try {
      expect(await readyz(server)).toEqual({
        status: 503,
        body: 'not ready\ntemporal: FAILED: not connected to Temporal yet\nstore: ok\nsigning-key: FAILED: signing key not loaded yet\n',
      });
    } finally {
      await server.close();
    }
  });
});
