// Must come first: captures every log line of this process, including the Temporal SDK's.
import { capturedLog, capturedText } from '../support/log-capture';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSweep } from '../../cli/commands/sweep';
import { GithubClient } from '../../connectors/github/client';
import { jiraSourceSchema } from '../../connectors/jira/config';
import { createJiraConnector } from '../../connectors/jira/jira-connector';
import { mlflowSourceSchema } from '../../connectors/mlflow/config';
import { createMlflowConnector } from '../../connectors/mlflow/mlflow-connector';
import type { Connector } from '../../connectors/types';
import { readManifest } from '../../evidence/index';
import { createKeyFile } from '../../evidence/signing';
import { verifyStore } from '../../evidence/verify';
import { loadHub } from '../../worker/hub';
import { createLogger } from '../../worker/logger';
import { startDevServer } from '../../worker/temporal-server';
import { createHubWorker } from '../../worker/worker';
import type { SweepResult } from '../../workflows';
import { FakeJira } from '../fakes/jira-server';
import { historyText, hubIn, initKeys, signingKey, workflowBundle } from '../support/hub-fixture';
import { filesUnder, killHard, spawnWorker, type WorkerProcess } from '../support/resilience';
import { tempDir } from '../support/tmp';

/**
 * Issue 9, resilience: security properties under real runs. Secrets (a Jira token from the environment,
 * secrets inside collected documents and tickets) reach neither the logs nor the workflow history nor
 * the store; HTTP clients never carry credentials across a redirect to another host or port; and the
 * worker needs no write access outside its store.
 */

let env: TestWorkflowEnvironment;
const workers: WorkerProcess[] = [];
const corpusDir = path.join(__dirname, '..', 'fixtures', 'redaction');

beforeAll(async () => {
  env = await startDevServer();
});

afterAll(async () => {
  for (const w of workers) await killHard(w);
  await env?.teardown();
});

/** The forms a credential can take on the wire or in a log: as is, and inside a basic-auth header. */
function forms(user: string, secret: string): string[] {
  return [secret, Buffer.from(`${user}:${secret}`).toString('base64'), Buffer.from(secret).toString('base64')];
}

function leaks(haystack: string, needles: string[]): string[] {
  return needles.filter((n) => haystack.includes(n));
}

async function storeText(dir: string): Promise<string> {
  return (await Promise.all((await filesUnder(dir)).map((f) => readFile(path.join(dir, f), 'latin1')))).join('\n');
}

describe('secrets in logs and workflow history', () => {
  it('a sweep with a Jira token from the environment and secret-laden documents logs and records no secret', async () => {
    const corpus = JSON.parse(await readFile(path.join(corpusDir, 'corpus.json'), 'utf8')) as {
      files: { file: string; secrets: string[] }[];
    };
    const documentSecrets = corpus.files.flatMap((f) => f.secrets);
    const pat = `pat-${randomBytes(16).toString('hex')}`;
    const wrongPat = `pat-${randomBytes(16).toString('hex')}`;
    // A token pasted into a ticket: redaction must take it out of the stored issue.
    const ticketSecret = `gh${'p'}_${randomBytes(18).toString('hex')}`;
    const fake = await FakeJira.start({
      deployment: 'datacenter',
      auth: { bearer: pat },
      projects: ['RISK'],
      issues: [
        {
          key: 'RISK-1',
          type: 'Risk',
          summary: `rotate the leaked token ${ticketSecret}`,
          created: '2026-01-01T00:00:00.000Z',
          updated: '2026-02-01T00:00:00.000Z',
        },
        {
          key: 'RISK-2',
          type: 'Risk',
          summary: 'model drift',
          created: '2026-01-02T00:00:00.000Z',
          updated: '2026-02-02T00:00:00.000Z',
        },
      ],
    });
    try {
      process.env['EH_SEC_JIRA_PAT'] = pat;
      process.env['EH_SEC_JIRA_WRONG'] = wrongPat;
      const dir = await tempDir();
      const jira = (id: string, envName: string) =>
        `  - { id: ${id}, type: jira, url: "${fake.url}", deployment: datacenter, auth: { personalAccessToken: { env: ${envName} } }, queries: [{ name: risks, kind: risk, jql: "project = RISK" }], timeZone: UTC, retry: { maxAttempts: 1, baseDelayMs: 0 } }`;
      const { hub } = await hubIn(
        dir,
        [
          'version: 1',
          'store: { path: ./store }',
          'signing: { key: { file: ./k.pem } }',
          `temporal: { taskQueue: secrets-${randomBytes(4).toString('hex')} }`,
          'sources:',
          '  - { id: configs, type: folder, path: ./org }',
          jira('tickets', 'EH_SEC_JIRA_PAT'),
          jira('tickets-expired', 'EH_SEC_JIRA_WRONG'),
          '',
        ].join('\n'),
      );
      await cp(corpusDir, path.join(dir, 'org'), {
        recursive: true,
        filter: (src) => !src.endsWith('corpus.json') && !src.endsWith('README.md'),
      });

      const worker = await createHubWorker(hub, await signingKey(hub), capturedLog, {
        connection: env.nativeConnection,
        workflowBundle: await workflowBundle(),
      });
      const { handle, result } = await worker.runUntil(async () => {
        const h = await startSweep(env.client, hub.config, { trigger: 'manual' });
        return { handle: h, result: (await h.result()) as SweepResult };
      });
      expect(result.sources.map((s) => [s.source, s.status])).toEqual([
        ['configs', 'ok'],
        ['tickets', 'ok'],
        ['tickets-expired', 'failed'],
      ]);
      const expired = result.sources[2]!;
      expect(expired.status === 'failed' && expired.error).toMatchObject({
        type: 'CredentialsError',
        message: expect.stringContaining('401'),
      });
      const configs = result.sources[0]!;
      expect(configs.status === 'ok' && configs.stats?.['redactions']).toBeGreaterThan(documentSecrets.length / 2);

      const secrets = [...forms('', pat), ...forms('', wrongPat), ticketSecret, ...documentSecrets];
      const logs = capturedText();
      const history = await historyText(handle);
      // The searches can see: logs and history hold what they should.
      expect(logs).toContain('source collected');
      expect(logs).toContain('redacted secrets before storing');
      expect(history).toContain(result.bundle.bundleId);
      expect(history).toContain('CredentialsError');
      expect(leaks(logs, secrets)).toEqual([]);
      expect(leaks(history, secrets)).toEqual([]);
      expect(leaks(await storeText(hub.store.location), secrets)).toEqual([]);
      expect((await verifyStore(hub.store)).ok).toBe(true);
      expect((await readManifest(hub.store, 1))!.artifacts.filter((a) => a.source === 'tickets')).toHaveLength(2);
    } finally {
      await fake.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------------

interface Recorder {
  url: string;
  requests: { path: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/** A server that records what reaches it and answers 401 (it is not the service the credentials are for). */
async function recorder(host: string): Promise<Recorder> {
  const requests: Recorder['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ path: req.url ?? '', headers: req.headers });
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end('{"message":"Bad credentials","error_code":"UNAUTHENTICATED"}');
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A server that answers every request with a redirect to `target()` plus the same path. */
async function redirector(
  status: number,
  target: () => string,
): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    req.resume();
    res.writeHead(status, { location: `${target()}${req.url ?? '/'}` });
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

async function drain(connector: Connector): Promise<void> {
  for await (const step of connector.collect({ log: createLogger({ level: 'silent' }) }))
    for await (const _c of step.artifact.open()) void _c;
}

describe('HTTP clients and redirects to another host or port', () => {
  const clients: { name: string; says: RegExp; run: (baseUrl: string, secret: string) => Promise<unknown> }[] = [
    {
      name: 'Jira (postman-request)',
      says: /30[27]/,
      run: async (url, secret) => {
        const basic = jiraSourceSchema.parse({
          id: 'jira',
          type: 'jira',
          url,
          deployment: 'cloud',
          auth: { email: 'bot@example.com', apiToken: { env: 'X' } },
          queries: [{ name: 'risks', kind: 'risk', jql: 'project = RISK' }],
          timeZone: 'UTC',
          retry: { maxAttempts: 1 },
        });
        await drain(await createJiraConnector(basic, async () => secret, { sleep: async () => undefined })).catch(
          () => undefined,
        );
        const bearer = jiraSourceSchema.parse({
          ...basic,
          deployment: 'datacenter',
          auth: { personalAccessToken: { env: 'X' } },
        });
        return drain(await createJiraConnector(bearer, async () => secret, { sleep: async () => undefined }));
      },
    },
    {
      name: 'MLflow (fetch)',
      says: /answered 30[27], a redirect to http:\/\/127\.0\.0\.[12]:\d+; requests and credentials go only to/,
      run: async (url, secret) => {
        const basic = mlflowSourceSchema.parse({
          id: 'registry',
          type: 'mlflow',
          url,
          auth: { type: 'basic', username: 'ml', password: { env: 'X' } },
          metrics: { validation: ['accuracy'] },
          maxAttempts: 1,
        });
        await drain(await createMlflowConnector(basic, async () => secret)).catch(() => undefined);
        const bearer = mlflowSourceSchema.parse({ ...basic, auth: { type: 'bearer', token: { env: 'X' } } });
        return drain(await createMlflowConnector(bearer, async () => secret));
      },
    },
    {
      name: 'GitHub (Octokit over fetch)',
      says: /answered 30[27], a redirect to http:\/\/127\.0\.0\.[12]:\d+; requests and credentials go only to/,
      run: (url, secret) =>
        new GithubClient({
          sourceId: 'github',
          baseUrl: url,
          auth: { token: secret },
          retries: 0,
          concurrency: 1,
          maxRateLimitWaitSeconds: 0,
          retryAfterBaseMs: 1,
          log: () => createLogger({ level: 'silent' }),
        }).get('/repos/acme/models/branches/main/protection', z.unknown(), { entry: 'repositories[0] "acme/models"' }),
    },
  ];

  for (const client of clients) {
    it(`${client.name}: Authorization never reaches another host or port, and the collection fails clearly`, async () => {
      const otherHost = await recorder('127.0.0.2');
      const otherPort = await recorder('127.0.0.1');
      try {
        for (const status of [302, 307]) {
          for (const target of [otherHost, otherPort]) {
            const secret = `sekrit-${randomBytes(12).toString('hex')}`;
            const from = await redirector(status, () => target.url);
            try {
              const err = await client.run(from.url, secret).then(
                () => undefined,
                (e: unknown) => e as Error,
              );
              expect(from.hits()).toBeGreaterThan(0);
              expect(err, `${client.name} ${status} to ${target.url} did not fail`).toBeInstanceOf(Error);
              expect(err!.message).not.toContain(secret);
              // Not a single request reaches the other origin, and the message says why the collection stopped.
              expect(target.requests.map((r) => r.path)).toEqual([]);
              expect(err!.message).toMatch(client.says);
              for (const r of target.requests) {
                expect(
                  r.headers.authorization,
                  `${client.name}: ${status} to ${target.url}${r.path} carried credentials`,
                ).toBeUndefined();
                expect(JSON.stringify(r.headers)).not.toContain(secret);
                expect(JSON.stringify(r.headers)).not.toContain(Buffer.from(secret).toString('base64').slice(0, 16));
              }
            } finally {
              await from.close();
            }
          }
        }
      } finally {
        await otherHost.close();
        await otherPort.close();
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------------

const nobody = { uid: 65534, gid: 65534 };

/** Files owned by `uid` and modified after `marker`, anywhere on the machine's local filesystems. */
function filesWrittenBy(uid: number, marker: string): string[] {
  const roots = ['/', '/tmp', '/var/tmp', '/dev/shm', '/run'];
  const out = new Set<string>();
  for (const root of roots) {
    const r = spawnSync(
      'find',
      [
        root,
        '-xdev',
        '(',
        '-path',
        '/proc',
        '-o',
        '-path',
        '/sys',
        ')',
        '-prune',
        '-o',
        '-uid',
        String(uid),
        '-newer',
        marker,
        '-print',
      ],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    for (const line of r.stdout.split('\n')) if (line) out.add(line);
  }
  return [...out].sort();
}

describe('the worker needs no write access outside its store', () => {
  it.skipIf(process.getuid?.() !== 0)(
    'a worker running as nobody (owning only its store and a temp dir) completes a sweep, and writes nowhere else',
    async () => {
      // Layout: everything root-owned and read-only for the worker, except the store and its TMPDIR.
      const base = await mkdtemp(path.join(os.tmpdir(), 'eh-nobody-'));
      try {
        await chmod(base, 0o755);
        const pat = `pat-${randomBytes(16).toString('hex')}`;
        const fake = await FakeJira.start({
          deployment: 'datacenter',
          auth: { bearer: pat },
          projects: ['RISK'],
          issues: [
            {
              key: 'RISK-1',
              type: 'Risk',
              summary: 'bias review',
              created: '2026-01-01T00:00:00.000Z',
              updated: '2026-02-01T00:00:00.000Z',
            },
          ],
        });
        try {
          const conf = path.join(base, 'conf');
          const store = path.join(base, 'store');
          const workerTmp = path.join(base, 'worker-tmp');
          await mkdir(path.join(conf, 'org', 'policies'), { recursive: true });
          await writeFile(
            path.join(conf, 'org', 'policies', 'ai-policy.md'),
            '---\ntype: ai-policy\neffective_date: 2026-02-01\n---\n# AI policy\ndb_password = "Tr0ub4dor&3-horse"\n',
          );
          await writeFile(path.join(conf, 'org', 'registers.csv'), 'activity,responsible\n');
          const queue = `nobody-${randomBytes(4).toString('hex')}`;
          await writeFile(
            path.join(conf, 'evidence-hub.yaml'),
            [
              'version: 1',
              `store: { path: "${store}" }`,
              'signing: { key: { file: ./signing.pem } }',
              `temporal: { taskQueue: ${queue} }`,
              'sources:',
              '  - { id: docs, type: folder, path: ./org }',
              `  - { id: tickets, type: jira, url: "${fake.url}", deployment: datacenter, auth: { personalAccessToken: { env: EH_SEC_NOBODY_PAT } }, queries: [{ name: risks, kind: risk, jql: "project = RISK" }], timeZone: UTC }`,
              '',
            ].join('\n'),
          );
          // The private key exists (readable by the worker only); the worker has nothing to create beside it.
          await createKeyFile(path.join(conf, 'signing.pem'));
          await chown(path.join(conf, 'signing.pem'), nobody.uid, nobody.gid);
          await chmod(path.join(conf, 'signing.pem'), 0o600);
          for (const d of [store, workerTmp]) {
            await mkdir(d, { mode: 0o700 });
            await chown(d, nobody.uid, nobody.gid);
          }
          // `evidence-hub keys init` by the operator (a worker never registers its key), then the store is
          // handed to the worker's user.
          await initKeys(path.join(conf, 'evidence-hub.yaml'));
          expect(spawnSync('chown', ['-R', `${nobody.uid}:${nobody.gid}`, store]).status).toBe(0);
          // Sanity: as nobody, the repository and the config folder are not writable.
          for (const target of [path.join(__dirname, '..', '..', '.probe'), path.join(conf, '.probe')]) {
            const probe = spawnSync(
              process.execPath,
              ['-e', `require('fs').writeFileSync(${JSON.stringify(target)}, 'x')`],
              { ...nobody, encoding: 'utf8' },
            );
            expect(probe.status, `nobody could write ${target}`).not.toBe(0);
            expect(probe.stderr).toContain('EACCES');
          }

          const marker = path.join(base, 'marker');
          await writeFile(marker, '');
          // Timestamps have a granularity: let the marker be strictly older than anything the worker writes.
          await new Promise((r) => setTimeout(r, 1_100));
          const worker = spawnWorker(
            path.join(conf, 'evidence-hub.yaml'),
            {
              TEMPORAL_ADDRESS: env.address,
              TMPDIR: workerTmp,
              HOME: '/nonexistent',
              LOG_LEVEL: 'debug',
              EH_SEC_NOBODY_PAT: pat,
              XDG_CACHE_HOME: path.join(workerTmp, 'cache'),
            },
            nobody,
          );
          workers.push(worker);
          await worker.ready;
          const hub = await loadHub(path.join(conf, 'evidence-hub.yaml'));
          const handle = await startSweep(env.client, hub.config, { trigger: 'manual' });
          const result = (await handle.result()) as SweepResult;
          await killHard(worker);
          expect(result.sources.map((s) => [s.source, s.status])).toEqual([
            ['docs', 'ok'],
            ['tickets', 'ok'],
          ]);
          expect((await verifyStore(hub.store)).ok).toBe(true);

          // Everything the worker (uid nobody) created or modified lies in its store or its temp dir.
          const written = filesWrittenBy(nobody.uid, marker);
          const outside = written.filter(
            (f) => !(f === store || f.startsWith(`${store}/`) || f === workerTmp || f.startsWith(`${workerTmp}/`)),
          );
          console.log(
            `files written by the nobody worker: ${written.filter((f) => f.startsWith(`${store}/`)).length} in the store, ${written.filter((f) => f.startsWith(`${workerTmp}/`)).length} in its TMPDIR, ${outside.length} elsewhere`,
          );
          expect(outside).toEqual([]);
          expect(written.some((f) => f.startsWith(`${store}/manifests/`))).toBe(true);
          // And its own logs (debug level, stderr) hold neither the token nor the document's password.
          expect(worker.output()).toContain('worker started');
          expect(leaks(worker.output(), [...forms('', pat), 'Tr0ub4dor&3-horse'])).toEqual([]);
        } finally {
          await fake.close();
        }
      } finally {
        // The worker's files belong to nobody; root removes them.
        await rm(base, { recursive: true, force: true });
      }
    },
  );
});
