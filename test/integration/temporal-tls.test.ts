import { randomBytes } from 'node:crypto';
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../config/config';
import { findTemporalCli } from '../../worker/temporal-server';
import { connectTemporalClient, connectTemporalWorker } from '../../worker/temporal-connection';
import { startNginxTlsProxy, type NginxTlsProxy } from '../support/nginx-tls-proxy';
import { runCli, spawnCli, waitFor, type CliProcess } from '../support/processes';
import { issue, makeCa, type CertPair, type TestCa } from '../support/test-certs';
import { suiteDir, tempDir, writeTree } from '../support/tmp';

/**
 * The hub on a secured Temporal. The Temporal dev server has no TLS options, so it runs behind nginx
 * (Debian's package, installed by .ci/run; no proxy is written here), which terminates TLS, requires and
 * verifies a client certificate, and logs what reached the server side (certificate subject,
 * `authorization`). The configs are README's Platform snippets (examples/temporal/*.yaml), with only the
 * address and the file paths replaced; certificates are made here with openssl.
 */

const serverName = 'temporal.example.internal'; // the self-hosted snippet's tls.serverName
const root = path.join(__dirname, '..', '..');

let dir: string;
let env: TestWorkflowEnvironment;
let ca: TestCa; // issues the server's and the worker's certificates
let otherCa: TestCa; // a CA nobody was told to trust (and, later, the rotation's new CA)
let server: CertPair;
let client: CertPair;
let proxy: NginxTlsProxy; // requires a client certificate issued by `ca`
const processes: CliProcess[] = [];
const proxies: NginxTlsProxy[] = [];

beforeAll(async () => {
  dir = await suiteDir('eh-tls-');
  ca = await makeCa(dir, 'ca');
  otherCa = await makeCa(dir, 'other-ca');
  server = await issue(ca, 'server', { dnsName: serverName });
  client = await issue(ca, 'worker');
  const cli = await findTemporalCli();
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      ...(cli ? { executable: { type: 'existing-path', path: cli } } : {}),
      ip: '127.0.0.1',
      // The snippets' namespaces, so they run unchanged.
      namespace: 'compliance',
      extraArgs: ['--namespace', 'my-namespace.a1b2c'],
      log: { format: 'json', level: 'error' },
    },
  });
  proxy = await startProxy({ clientCa: ca.cert });
}, 120_000);

afterEach(() => {
  vi.unstubAllEnvs();
});

afterAll(async () => {
  for (const p of processes) p.child.kill('SIGKILL');
  for (const p of proxies) await p.stop();
  await env?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function startProxy(
  options: { clientCa?: string; requireApiKey?: string; port?: number; serverCert?: string; serverKey?: string } = {},
) {
  const p = await startNginxTlsProxy({
    dir: path.join(dir, `nginx-${randomBytes(3).toString('hex')}`),
    upstream: env.address,
    serverCert: server.cert,
    serverKey: server.key,
    ...options,
  });
  proxies.push(p);
  return p;
}

/** A README snippet with its address (which must be in it) and whichever of these file paths it has replaced. */
async function example(name: string, replace: Record<string, string>): Promise<string> {
  let text = await readFile(path.join(root, 'examples', 'temporal', name), 'utf8');
  expect(text).toContain(Object.keys(replace)[0]!);
  for (const [from, to] of Object.entries(replace)) text = text.split(from).join(to);
  return text;
}

const tlsFiles = (pair: CertPair, caFile = ca.cert) => ({
  '/etc/evidence-hub/tls/ca.pem': caFile,
  '/etc/evidence-hub/tls/client.pem': pair.cert,
  '/etc/evidence-hub/tls/client.key': pair.key,
});

async function hubWith(temporalSection: string, extra = '', withKey = true): Promise<string> {
  const hubDir = await tempDir('eh-tls-hub-');
  await writeTree(hubDir, {
    'evidence-hub.yaml': `version: 1\nstore: { path: ./store }\nsigning: { key: { file: ./k.pem } }\nsources:\n  - { id: docs, type: folder, path: ./org }\n${temporalSection}${extra}`,
    'org/policies/ai-policy.md': '# policy',
  });
  const configFile = path.join(hubDir, 'evidence-hub.yaml');
  if (withKey) expect((await runCli(['keys', 'init', '--config', configFile])).code).toBe(0);
  return configFile;
}

const pemOrKey = /-----BEGIN|PRIVATE KEY/;

describe('README Platform section', () => {
  it('shows the example configs that these tests run, verbatim', async () => {
    const readme = await readFile(path.join(root, 'README.md'), 'utf8');
    for (const f of ['cloud-api-key.yaml', 'cloud-mtls.yaml', 'self-hosted-mtls.yaml'])
      expect(readme).toContain(await readFile(path.join(root, 'examples', 'temporal', f), 'utf8'));
  });
});

describe('mTLS through nginx', () => {
  it('runs a sweep end to end: worker and CLI present the client certificate, nginx verified it', async () => {
    const configFile = await hubWith(
      await example('self-hosted-mtls.yaml', {
        'temporal-frontend.temporal.svc:7233': proxy.address,
        ...tlsFiles(client),
      }),
    );
    const worker = spawnCli(['worker', '--config', configFile], { LOG_LEVEL: 'debug' });
    processes.push(worker);
    const sweep = await runCli(['sweep', '--config', configFile, '--wait', '--json'], { LOG_LEVEL: 'debug' });
    worker.child.kill('SIGKILL');
    await worker.exited;
    expect(sweep.stderr).not.toContain('evidence-hub:');
    expect(sweep.code).toBe(0);
    expect(JSON.parse(sweep.stdout)).toMatchObject({ bundle: { sequence: 1 }, sources: [{ status: 'ok' }] });
    const log = await proxy.accessLog();
    const seen = (uri: string) => log.filter((l) => l.uri.endsWith(uri) && l.status === 200);
    for (const call of ['StartWorkflowExecution', 'PollWorkflowTaskQueue', 'RespondActivityTaskCompleted'])
      expect(seen(call).map((l) => `${l.verify} ${l.subject}`)).toContain('SUCCESS CN=worker');
    for (const line of `${worker.output()}\n${sweep.stdout}\n${sweep.stderr}`.split('\n'))
      expect(line).not.toMatch(pemOrKey);
  }, 60_000);

  const refusals: [string, () => Promise<{ section: string; env?: Record<string, string> }>, RegExp][] = [
    [
      'the server certificate is from a CA not configured (wrong CA)',
      async () => ({
        section: await example('self-hosted-mtls.yaml', {
          'temporal-frontend.temporal.svc:7233': proxy.address,
          ...tlsFiles(client, otherCa.cert),
        }),
      }),
      /^unknown CA: the certificate of Temporal at 127\.0\.0\.1:\d+ \(CN=server, issued by CN=ca\) is not signed by file .*other-ca\/ca\.pem/,
    ],
    [
      'the client certificate is from a CA the server does not trust',
      async () => ({
        section: await example('cloud-mtls.yaml', {
          'my-namespace.a1b2c.tmprl.cloud:7233': proxy.address,
          ...tlsFiles(await issue(otherCa, 'stranger')),
        }),
        env: { TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca.cert, TEMPORAL_TLS_SERVER_NAME: serverName },
      }),
      /^unknown CA: Temporal at 127\.0\.0\.1:\d+ does not trust the client certificate CN=stranger/,
    ],
    [
      'the client certificate has expired',
      async () => ({
        section: await example('cloud-mtls.yaml', {
          'my-namespace.a1b2c.tmprl.cloud:7233': proxy.address,
          ...tlsFiles(await issue(ca, 'expired', { startDate: '20200101000000Z', endDate: '20200102000000Z' })),
        }),
        env: { TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca.cert, TEMPORAL_TLS_SERVER_NAME: serverName },
      }),
      /^certificate expired on 2020-01-02T00:00:00\.000Z: the client certificate CN=expired \(file .*expired\.pem\)/,
    ],
    [
      'no client certificate is configured',
      async () => ({
        section: (
          await example('self-hosted-mtls.yaml', {
            'temporal-frontend.temporal.svc:7233': proxy.address,
            ...tlsFiles(client),
          })
        )
          .split('\n')
          .filter((l) => !/clientCert|clientKey/.test(l))
          .join('\n'),
      }),
      /^client certificate required: Temporal at 127\.0\.0\.1:\d+ asks for one and none is configured/,
    ],
    [
      'the server name is not the one in its certificate',
      async () => ({
        section: await example('self-hosted-mtls.yaml', {
          'temporal-frontend.temporal.svc:7233': proxy.address,
          ...tlsFiles(client),
        }),
        // The environment beats the config file, as for the Temporal CLI.
        env: { TEMPORAL_TLS_SERVER_NAME: 'wrong.example.internal' },
      }),
      /^server name mismatch: Temporal at 127\.0\.0\.1:\d+ presented a certificate for DNS:temporal\.example\.internal, not wrong\.example\.internal/,
    ],
    [
      "the server's certificate has expired",
      async () => {
        const old = await issue(ca, 'old-server', {
          dnsName: serverName,
          startDate: '20200101000000Z',
          endDate: '20200102000000Z',
        });
        const stale = await startProxy({ clientCa: ca.cert, serverCert: old.cert, serverKey: old.key });
        return {
          section: await example('self-hosted-mtls.yaml', {
            'temporal-frontend.temporal.svc:7233': stale.address,
            ...tlsFiles(client),
          }),
        };
      },
      /^server certificate expired on 2020-01-02T00:00:00\.000Z: Temporal at 127\.0\.0\.1:\d+ must renew it/,
    ],
    [
      'the namespace does not exist',
      async () => ({
        section: await example('self-hosted-mtls.yaml', {
          'temporal-frontend.temporal.svc:7233': proxy.address,
          ...tlsFiles(client),
        }),
        env: { TEMPORAL_NAMESPACE: 'nope' },
      }),
      /^namespace not found: nope on Temporal at 127\.0\.0\.1:\d+/,
    ],
  ];

  it.each(refusals)('refuses at once, naming it, when %s', async (_, make, message) => {
    const { section, env: vars } = await make();
    const configFile = await hubWith(section, '', false); // nothing is signed: no key needed
    for (const [k, v] of Object.entries(vars ?? {})) vi.stubEnv(k, v);
    const config = await loadConfig(configFile);
    await expect(connectTemporalClient(config)).rejects.toThrow(message);
    await expect(connectTemporalWorker(config)).rejects.toThrow(message);
    // And the CLI says the same, with nothing of the key in it.
    const r = await runCli(['schedules', 'list', '--config', configFile], { ...vars, LOG_LEVEL: 'debug' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`evidence-hub: ${message.source.slice(1)}`));
    expect(`${r.stdout}${r.stderr}`).not.toMatch(pemOrKey);
  });
});

describe('certificate rotation', () => {
  it('a running worker picks up a rotated certificate and key from disk, without a restart', async () => {
    // During a rotation the server trusts the old and the new CA; afterwards only the new one.
    const bothCas = path.join(dir, 'both-cas.pem');
    await writeFile(bothCas, `${await readFile(ca.cert, 'utf8')}${await readFile(otherCa.cert, 'utf8')}`);
    const transition = await startProxy({ clientCa: bothCas });
    const live = { cert: path.join(dir, 'live-client.pem'), key: path.join(dir, 'live-client.key') };
    await copyFile(client.cert, live.cert);
    await copyFile(client.key, live.key);
    const configFile = await hubWith(
      await example('self-hosted-mtls.yaml', {
        'temporal-frontend.temporal.svc:7233': transition.address,
        ...tlsFiles(live),
      }),
      '  tlsReloadInterval: 100ms\n', // not in the snippet: the default (30s) is too slow for a test
    );
    const worker = spawnCli(['worker', '--config', configFile], { LOG_LEVEL: 'info' });
    processes.push(worker);
    await waitFor('the worker to start', async () => (worker.output().includes('worker started') ? true : undefined));

    const rotated = await issue(otherCa, 'worker-rotated');
    await copyFile(rotated.cert, live.cert);
    await copyFile(rotated.key, live.key);
    await waitFor('the reload', async () =>
      /client certificate reloaded.*CN=worker-rotated|CN=worker-rotated.*client certificate reloaded/.test(
        worker.output(),
      )
        ? true
        : undefined,
    );

    // The old CA is withdrawn: only the rotated certificate can get through now.
    await transition.stop();
    const after = await startProxy({ clientCa: otherCa.cert, port: transition.port });
    const sweep = await runCli(['sweep', '--config', configFile, '--wait', '--json']);
    worker.child.kill('SIGKILL');
    await worker.exited;
    expect(sweep.stderr).not.toContain('evidence-hub:');
    expect(sweep.code).toBe(0);
    const polls = (await after.accessLog()).filter((l) => l.uri.endsWith('/PollActivityTaskQueue') && l.status === 200);
    expect(polls.map((l) => l.subject)).toContain('CN=worker-rotated');
    expect(worker.output()).not.toMatch(pemOrKey);
  }, 60_000);
});

describe('API key', () => {
  it('reaches the server side as authorization metadata over TLS and appears in no log line', async () => {
    const apiKey = `tk-${randomBytes(16).toString('hex')}`;
    const cloud = await startProxy({ requireApiKey: apiKey });
    const configFile = await hubWith(
      await example('cloud-api-key.yaml', { 'my-namespace.a1b2c.tmprl.cloud:7233': cloud.address }),
    );
    // Temporal Cloud's certificate would verify against the system's CAs; the test CA stands in for them.
    const vars = {
      TEMPORAL_CLOUD_API_KEY: apiKey,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca.cert,
      TEMPORAL_TLS_SERVER_NAME: serverName,
    };
    const worker = spawnCli(['worker', '--config', configFile], { ...vars, LOG_LEVEL: 'debug' });
    processes.push(worker);
    const sweep = await runCli(['sweep', '--config', configFile, '--wait', '--json'], { ...vars, LOG_LEVEL: 'debug' });
    worker.child.kill('SIGKILL');
    await worker.exited;
    expect(sweep.code).toBe(0);
    const log = await cloud.accessLog();
    const polls = log.filter((l) => l.uri.endsWith('/PollWorkflowTaskQueue'));
    expect(polls.length).toBeGreaterThan(0);
    expect(new Set(polls.map((l) => l.authorization))).toEqual(new Set([`Bearer ${apiKey}`]));
    const ours = `${worker.output()}\n${sweep.stdout}\n${sweep.stderr}`.split('\n');
    expect(ours.length).toBeGreaterThan(10);
    for (const line of ours) expect(line).not.toContain(apiKey.slice(3));

    // A wrong key: refused with the named error, the key itself not repeated.
    for (const [k, v] of Object.entries({ ...vars, TEMPORAL_CLOUD_API_KEY: 'tk-wrong-key-0000' })) vi.stubEnv(k, v);
    const config = await loadConfig(configFile);
    await expect(connectTemporalClient(config)).rejects.toThrow(/^API key rejected by Temporal at 127\.0\.0\.1:\d+/);
    await expect(connectTemporalClient(config)).rejects.not.toThrow(/wrong-key/);
  }, 60_000);
});
