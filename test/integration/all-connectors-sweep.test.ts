import { randomBytes } from 'node:crypto';
import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { demoConfigPath } from '../../cli/commands/demo';
import { demoConfigOverrides, demoRegistrySourceId } from '../../cli/commands/demo-registry';
import { startSweep } from '../../cli/commands/sweep';
import { dataPath } from '../../core/data-files';
import { FilesystemStore } from '../../evidence/fs-store';
import { sourceTypes, type SourceType } from '../../connectors';
import { readManifest } from '../../evidence/index';
import { fingerprintOf, formatFingerprint } from '../../evidence/trust/fingerprint';
import { loadHub } from '../../worker/hub';
import { startDevServer } from '../../worker/temporal-server';
import { createHubWorker } from '../../worker/worker';
import type { SweepResult } from '../../workflows';
import { FakeGithub } from '../fakes/github-server';
import { commitsOf, HuggingfaceHubFake } from '../fakes/huggingface-server';
import { FakeJira } from '../fakes/jira-server';
import { hubIn, quietLog, signingKey, workflowBundle } from '../support/hub-fixture';
import { startMinio, type MinioServer } from '../support/minio';
import { ensureMlflow, seedMlflow, startMlflowServer, type MlflowServer } from '../support/mlflow-server';
import { ensureMoto, startMoto, type MotoServer } from '../support/moto-server';
import { startAzurite, type AzuriteServer } from '../support/azurite';
import { startFakeGcs, type FakeGcsServer } from '../support/fake-gcs';
import { runCli } from '../support/processes';
import { creds as motoCreds, seedSagemaker } from '../support/sagemaker-seed';
import { suiteDir, tempDir } from '../support/tmp';

/*
 * Acceptance of issue 19: one sweep with a source of EVERY registered connector type, each against its real
 * server or HTTP fake, seals one bundle that `evidence-hub verify --trust` accepts. The list of types comes
 * from connectors/index.ts: a connector registered later fails this test until it gets a source here.
 */
let env: TestWorkflowEnvironment;
let github: FakeGithub;
let jira: FakeJira;
let hf: HuggingfaceHubFake;
let minio: MinioServer;
let minioDir: string;
let mlflow: MlflowServer;
let moto: MotoServer;
let azurite: AzuriteServer;
let azuriteDir: string;
let gcs: FakeGcsServer;

beforeAll(async () => {
  // The slow servers start together; each is seeded as its own connector test seeds it.
  [env, github, jira, hf, minio, mlflow, moto, azurite, gcs] = await Promise.all([
    startDevServer(),
    FakeGithub.start(),
    FakeJira.start({ deployment: 'datacenter', auth: { bearer: 'pat-for-tests' }, projects: ['RISK'] }),
    HuggingfaceHubFake.start(),
    suiteDir('eh-minio-').then((d) => startMinio((minioDir = d))),
    startMlflowServer(ensureMlflow()),
    startMoto(ensureMoto()),
    suiteDir('eh-azurite-').then((d) => startAzurite((azuriteDir = d))),
    startFakeGcs(),
  ]);
  github.addRepo('acme', 'model-service');
  jira.putIssues({
    key: 'RISK-1',
    type: 'Risk',
    summary: 'Drift in credit model',
    created: '2026-01-05T09:00:00Z',
    updated: '2026-02-01T09:00:00Z',
  });
  hf.add({ type: 'model', id: 'acme-ai/credit-scorer', commits: commitsOf('acme-ai/credit-scorer', 2) });
  await minio.createBucket('ai-docs');
  await minio.client.send(
    new PutObjectCommand({ Bucket: 'ai-docs', Key: 'policies/ai-policy.md', Body: '# AI policy (bucket copy)\n' }),
  );
  await azurite.service.createContainer('ai-docs');
  await azurite.service
    .getContainerClient('ai-docs')
    .getBlockBlobClient('policies/ai-policy.md')
    .upload('# AI policy (blob copy)\n', 24);
  await gcs.storage.createBucket('ai-docs');
  await gcs.storage.bucket('ai-docs').file('policies/ai-policy.md').save('# AI policy (GCS copy)\n');
  await Promise.all([
    seedMlflow(mlflow),
    seedSagemaker(new SageMakerClient({ region: 'us-east-1', endpoint: moto.url, credentials: motoCreds })),
  ]);
}, 900_000);

afterAll(async () => {
  await Promise.allSettled([
    github?.close(),
    jira?.close(),
    hf?.http.close(),
    minio?.stop(),
    mlflow?.stop(),
    moto?.stop(),
    azurite?.stop(),
    gcs?.stop(),
    env?.teardown(),
  ]);
  if (minioDir) await rm(minioDir, { recursive: true, force: true });
  if (azuriteDir) await rm(azuriteDir, { recursive: true, force: true });
});

/** One source per connector type, keyed by type so that the compiler, too, asks for a new connector's source. */
function sourcesOfEveryType(): Record<SourceType, Record<string, unknown>> {
  return {
    folder: { id: 'docs', type: 'folder', path: './org' },
    manual: { id: 'records', type: 'manual', path: './records' },
    github: {
      id: 'gh',
      type: 'github',
      baseUrl: github.baseUrl,
      auth: { token: { env: 'EH_ALL_GITHUB_TOKEN' } },
      orgs: [{ name: 'acme' }],
    },
    jira: {
      id: 'jira',
      type: 'jira',
      url: jira.url,
      deployment: 'datacenter',
      auth: { personalAccessToken: { env: 'EH_ALL_JIRA_PAT' } },
      queries: [{ name: 'risks', kind: 'risk', jql: 'project = RISK' }],
    },
    siem: { id: 'logs', type: 'siem', path: './logs', format: 'json', fields: { json: { time: 'ts', system: 'app' } } },
    s3: {
      id: 'bucket',
      type: 's3',
      endpoint: minio.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: { env: 'EH_ALL_S3_KEY' }, secretAccessKey: { env: 'EH_ALL_S3_SECRET' } },
      scopes: [{ bucket: 'ai-docs', content: ['**'] }],
    },
    mlflow: {
      id: 'registry',
      type: 'mlflow',
      url: mlflow.url,
      auth: { type: 'basic', username: mlflow.username, password: { env: 'EH_ALL_MLFLOW_PASSWORD' } },
      metrics: { validation: ['accuracy', 'f1'], fairness: ['demographic_parity_difference'] },
    },
    sagemaker: {
      id: 'sm',
      type: 'sagemaker',
      endpoint: moto.url,
      credentials: { accessKeyId: { env: 'EH_ALL_AWS_KEY' }, secretAccessKey: { env: 'EH_ALL_AWS_SECRET' } },
      metrics: { validation: ['train:progress'] },
    },
    huggingface: { id: 'hub', type: 'huggingface', url: hf.url, organizations: ['acme-ai'] },
    'azure-blob': {
      id: 'blob',
      type: 'azure-blob',
      accountUrl: azurite.accountUrl,
      auth: { method: 'shared-key', accountName: azurite.accountName, accountKey: { env: 'EH_ALL_AZ_KEY' } },
      scopes: [{ container: 'ai-docs', content: ['**/*.md'] }],
    },
    gcs: {
      id: 'gcs',
      type: 'gcs',
      apiEndpoint: gcs.endpoint,
      projectId: 'evidence-hub-test',
      scopes: [{ bucket: 'ai-docs', content: ['**/*.md'] }],
    },
  };
}

describe('a sweep with every connector type configured at once', () => {
  it('collects every source ok into ONE bundle that `evidence-hub verify --trust` accepts', async () => {
    const sources = sourcesOfEveryType();
    // Registered connectors without a source here (a connector added after this test was written) fail it.
    expect(Object.keys(sources).sort()).toEqual([...sourceTypes].sort());

    Object.assign(process.env, {
      EH_ALL_GITHUB_TOKEN: 'ghp_test',
      EH_ALL_JIRA_PAT: 'pat-for-tests',
      EH_ALL_S3_KEY: minio.accessKeyId,
      EH_ALL_S3_SECRET: minio.secretAccessKey,
      EH_ALL_MLFLOW_PASSWORD: mlflow.password,
      EH_ALL_AWS_KEY: motoCreds.accessKeyId,
      EH_ALL_AWS_SECRET: motoCreds.secretAccessKey,
      EH_ALL_AZ_KEY: azurite.accountKey,
    });
    const now = Date.now();
    const dir = await tempDir();
    const config = {
      version: 1,
      store: { path: './store' },
      signing: { key: { file: './k.pem' } },
      temporal: { taskQueue: `all-connectors-${randomBytes(4).toString('hex')}` },
      sources: Object.values(sources),
    };
    const { hub } = await hubIn(dir, toYaml(config), {
      'org/policies/ai-policy.md': `---\neffective_date: 2026-02-01\n---\n# AI policy\n`,
      'records/training/ai-awareness-2026.pdf': 'attendance list',
      'logs/app.jsonl': [1, 2, 3]
        .map((h) => JSON.stringify({ ts: new Date(now - h * 3_600_000).toISOString(), app: 'scorer' }))
        .join('\n'),
    });
    const key = await signingKey(hub);
    const worker = await createHubWorker(hub, key, quietLog, {
      connection: env.nativeConnection,
      workflowBundle: await workflowBundle(),
    });
    const result = await worker.runUntil(
      async () => (await (await startSweep(env.client, hub.config, { trigger: 'manual' })).result()) as SweepResult,
    );

    // Every source's outcome is ok, with evidence of its own.
    expect(result.sources.map((s) => [s.source, s.sourceType, s.status])).toEqual(
      Object.values(sources).map((s) => [s['id'], s['type'], 'ok']),
    );
    for (const s of result.sources) expect(s.artifactCount, s.source).toBeGreaterThan(0);

    // One bundle, holding artifacts of every source and type.
    expect(result.bundle).toMatchObject({ sequence: 1, failedSources: [] });
    expect(await readManifest(hub.store, 2)).toBeUndefined();
    const manifest = (await readManifest(hub.store, 1))!;
    expect(manifest.bundleId).toBe(result.bundle.bundleId);
    expect(manifest.artifacts).toHaveLength(result.bundle.artifactCount);
    expect(new Set(manifest.artifacts.map((a) => a.sourceType))).toEqual(new Set(sourceTypes));
    expect(new Set(manifest.artifacts.map((a) => a.source))).toEqual(
      new Set(Object.values(sources).map((s) => s['id'])),
    );
    expect(manifest.sources.map((s) => s.status)).toEqual(Object.values(sources).map(() => 'ok'));

    // The CLI verifies the store, authenticating the bundle against the pinned key.
    const fingerprint = formatFingerprint(fingerprintOf(key.publicKeyPem));
    const verify = await runCli(['verify', path.join(dir, 'store'), '--trust', fingerprint]);
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(new RegExp(`^OK: .*1 bundle\\(s\\), \\d+ blob\\(s\\) checked`));
    expect(verify.stdout).not.toContain('AUTHENTICITY NOT CHECKED');
  }, 600_000);
});

describe('the demo with an optional registry source', () => {
  const mlflowPack = (files: string[]) => files.some((f) => path.basename(f) === '40-mlflow.yaml');

  it('has no registry source and no registry pack unless asked; --with-mlflow adds both; a bad URL is named', async () => {
    const store = path.join(await tempDir(), 'store');
    const plain = await loadHub(demoConfigPath, demoConfigOverrides({ store }));
    expect(plain.config.sources.map((s) => s.type)).not.toContain('mlflow');
    expect(mlflowPack(plain.mappings.files)).toBe(false);

    const withRegistry = await loadHub(
      demoConfigPath,
      demoConfigOverrides({ store, withMlflow: 'http://127.0.0.1:5000' }),
    );
    expect(withRegistry.config.sources.find((s) => s.id === demoRegistrySourceId)).toMatchObject({
      type: 'mlflow',
      url: 'http://127.0.0.1:5000',
      auth: { type: 'none' },
      metrics: { validation: ['accuracy'] },
    });
    expect(mlflowPack(withRegistry.mappings.files)).toBe(true);
    expect(() => demoConfigOverrides({ withMlflow: 'ftp://registry' })).toThrow(
      /--with-mlflow ftp:\/\/registry: url: expected an http/,
    );
  });

  it('`demo --with-mlflow URL` collects the real MLflow server into the demo bundle, credentials from MLFLOW_TRACKING_*', async () => {
    const dir = await tempDir();
    await cp(dataPath('examples', 'demo'), path.join(dir, 'demo'), {
      recursive: true,
      filter: (src) => !src.includes('.state'),
    });
    const config = path.join(dir, 'demo', 'evidence-hub.yaml');
    const demo = await runCli(
      ['demo', '--config', config, '--json', '--with-mlflow', mlflow.url, '--mlflow-metrics', 'accuracy,f1'],
      { MLFLOW_TRACKING_USERNAME: mlflow.username, MLFLOW_TRACKING_PASSWORD: mlflow.password },
    );
    expect(demo.code, demo.stderr).toBe(0);
    const out = JSON.parse(demo.stdout.slice(demo.stdout.indexOf('{'))) as {
      bundle: { sequence: number; failedSources: string[] };
    };
    expect(out.bundle).toMatchObject({ sequence: 1, failedSources: [] });
    const store = await FilesystemStore.open(path.join(dir, 'demo', '.state', 'evidence-store'));
    const manifest = (await readManifest(store, 1))!;
    expect(manifest.sources.find((s) => s.source === demoRegistrySourceId)).toMatchObject({ status: 'ok' });
    const kinds = new Set(manifest.artifacts.filter((a) => a.sourceType === 'mlflow').map((a) => a.kind));
    expect(kinds.size).toBeGreaterThan(1);
    // The registry's evidence feeds controls through the MLflow pack that the option loaded.
    const registryIds = new Set(manifest.artifacts.filter((a) => a.source === demoRegistrySourceId).map((a) => a.id));
    expect(
      Object.values(manifest.controls)
        .flat()
        .some((id) => registryIds.has(id)),
    ).toBe(true);
  }, 600_000);
});
