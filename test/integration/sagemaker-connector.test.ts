import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import path from 'node:path';
import { SageMakerClient, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mappingVocabulary } from '../../connectors';
import { sagemakerSourceSchema, type SagemakerSourceInput } from '../../connectors/sagemaker/config';
import { sagemakerKinds } from '../../connectors/sagemaker/kinds';
import { createSagemakerConnector } from '../../connectors/sagemaker/sagemaker-connector';
import type { CollectionStep } from '../../connectors/types';
import { CredentialsError, SourceConfigError } from '../../core/errors';
import type { JsonValue } from '../../core/json';
import { FilesystemStore } from '../../evidence/fs-store';
import { loadMappings } from '../../mappings/load';
import { createLogger } from '../../worker/logger';
import { AwsProxy, ensureMoto, startMoto, type MotoServer } from '../support/moto-server';
import {
  card,
  credit,
  creds,
  hostileKey,
  hostileValue,
  longGroup,
  metadata,
  perGroup,
  seedSagemaker,
} from '../support/sagemaker-seed';
import { suiteDir } from '../support/tmp';

/*
 * The SageMaker connector against moto in server mode (a real AWS API emulator on a socket), through a
 * recording proxy. Moto 5.2.6 lacks two things of the AWS service model, patched into its answers by the proxy
 * for just those calls: the inline `ModelCard` of DescribeModelPackage (moto drops it), and a training job's
 * own metrics (moto's FinalMetricDataList is always `train:progress`, which the tests use as the metric).
 */
const log = createLogger({ level: 'silent' });
const pack = path.join(__dirname, '..', '..', 'mappings', 'default', '45-sagemaker.yaml');
const documentsPack = path.join(__dirname, '..', '..', 'mappings', 'default', '10-documents.yaml');
let moto: MotoServer;
let proxy: AwsProxy;
let admin: SageMakerClient;

function source(extra: Partial<SagemakerSourceInput> = {}): SagemakerSourceInput {
  return {
    id: 'sm',
    type: 'sagemaker',
    endpoint: proxy.url,
    region: 'us-east-1',
    credentials: { accessKeyId: { env: 'K' }, secretAccessKey: { env: 'S' } },
    metrics: { validation: ['train:progress'] },
    maxAttempts: 3,
    ...extra,
  };
}

interface Run {
  steps: CollectionStep[];
  state: JsonValue;
  created: string[];
}

async function collect(
  opts: { previousState?: JsonValue; store?: FilesystemStore; now?: () => Date } = {},
): Promise<Run> {
  const connector = await createSagemakerConnector(
    sagemakerSourceSchema.parse(source()),
    (ref) => Promise.resolve('env' in ref && ref.env === 'K' ? creds.accessKeyId : creds.secretAccessKey),
    opts.now ? { now: opts.now } : {},
  );
  const steps: CollectionStep[] = [];
  const created: string[] = [];
  for await (const s of connector.collect({
    log,
    ...(opts.previousState !== undefined ? { previousState: opts.previousState } : {}),
    ...(opts.store ? { openStoredBlob: (sha: string) => opts.store!.openBlob(sha) } : {}),
  })) {
    steps.push(s);
    if (opts.store) {
      const chunks: Buffer[] = [];
      for await (const c of s.artifact.open()) chunks.push(c as Buffer);
      const blob = await opts.store.putBlob(Readable.from([Buffer.concat(chunks)]));
      if (blob.created) created.push(blob.sha256);
    }
  }
  return { steps, state: connector.state(), created };
}

const ofKind = (r: Run, kind: string) =>
  r.steps.filter((s) => s.artifact.meta.kind === kind).map((s) => s.artifact.meta);
const find = (r: Run, kind: string, externalId: string) =>
  ofKind(r, kind).find((m) => m.externalId === externalId)?.attributes as Record<string, unknown> | undefined;

beforeAll(async () => {
  moto = await startMoto(ensureMoto());
  proxy = await AwsProxy.start(moto.url);
  admin = new SageMakerClient({ region: 'us-east-1', endpoint: moto.url, credentials: creds });
  await seedSagemaker(admin);
}, 600_000);

afterAll(async () => {
  await proxy?.close();
  await moto?.stop();
});

/** Moto drops `ModelCard`: the proxy adds it, as the AWS service model shapes it, to one package's answer. */
function withModelCard(): void {
  proxy.patch = (action, request, answer) => {
    if (action === 'DescribeModelPackage' && String(request['ModelPackageName']).endsWith(`/${credit}/${perGroup}`))
      answer['ModelCard'] = { ModelCardContent: card, ModelCardStatus: 'Approved' };
  };
}

describe('sagemaker connector against moto', () => {
  let first: Run;
  let dir: string;
  let store: FilesystemStore;
  afterAll(() => rm(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    dir = await suiteDir('eh-sm-');
    store = await FilesystemStore.open(dir);
  });

  it('collects groups, packages with approval, lineage, the model card and the endpoint', async () => {
    proxy.reset();
    withModelCard();
    first = await collect({ store });
    const kinds = new Set(first.steps.map((s) => s.artifact.meta.kind));
    for (const k of [
      'registered-model',
      'model-version',
      'dataset-lineage',
      'model-card',
      'stage-transition',
      'production-state',
      'deployed-endpoint',
    ])
      expect(kinds, k).toContain(k);
    expect([...kinds].every((k) => (sagemakerKinds as readonly string[]).includes(k))).toBe(true);
    expect(ofKind(first, 'model-version')).toHaveLength(2 * perGroup);
    expect(ofKind(first, 'registered-model').map((m) => m.attributes['model'])).toEqual([credit, longGroup]);

    const approved = find(first, 'model-version', `models/${credit}/versions/${perGroup}`)!;
    expect(approved).toMatchObject({
      stage: 'Approved',
      production: true,
      productionBy: ['alias:deployed'],
      runId: `${credit}-job-${perGroup}`,
      runAvailable: true,
      hasValidationMetrics: true,
      hasModelCard: true,
      owner: 'risk-team',
      source: `s3://models/out/${credit}-job-${perGroup}/output/model.tar.gz`,
    });
    expect(approved['approvedBy']).toEqual(expect.any(String));
    expect(approved['tags']).toMatchObject({
      [hostileKey]: hostileValue,
      'sagemaker:approval-description': 'signed off',
      'sagemaker:model-metrics:ModelQuality.Statistics': `s3://reports/${perGroup}.json`,
    });
    const pending = find(first, 'model-version', `models/${credit}/versions/${perGroup - 1}`)!;
    expect(pending).toMatchObject({ stage: 'PendingManualApproval', production: true });
    expect(pending['approvedBy']).toBeUndefined();
    expect(find(first, 'model-version', `models/${longGroup}/versions/1`)).toMatchObject({
      production: false,
      stage: 'PendingManualApproval',
    });

    expect(find(first, 'dataset-lineage', `models/${credit}/versions/${perGroup}/lineage`)).toMatchObject({
      sources: [`s3://data/${credit}/train/`],
      contexts: ['train'],
      allDatasetsHashed: false,
    });
    const cardMeta = ofKind(first, 'model-card')[0]!;
    expect(cardMeta.attributes).toMatchObject({ fileName: 'model_card.json', contentStored: true });
    const cardStep = first.steps.find((s) => s.artifact.meta.kind === 'model-card')!;
    const chunks: Buffer[] = [];
    for await (const c of cardStep.artifact.open()) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(card);

    // The endpoint names what it serves, and flags the package it serves without approval.
    expect(find(first, 'deployed-endpoint', 'endpoints/credit-prod')).toMatchObject({
      endpoint: 'credit-prod',
      modelVersions: [`${credit}/${perGroup - 1}`, `${credit}/${perGroup}`],
      unapprovedPackages: [`${credit}/${perGroup - 1}`],
      allPackagesApproved: false,
    });
    const entered = ofKind(first, 'stage-transition').filter((m) => m.attributes['toProduction'] === true);
    expect(entered.map((m) => m.attributes['modelVersion']).sort()).toEqual([
      `${credit}/${perGroup - 1}`,
      `${credit}/${perGroup}`,
    ]);
    expect(
      entered.find((m) => m.attributes['modelVersion'] === `${credit}/${perGroup}`)!.attributes['approvedBy'],
    ).toEqual(expect.any(String));
  });

  it('a second run of an unchanged registry makes at most 5% of the requests and writes no new blob', async () => {
    const firstRequests = proxy.count();
    proxy.reset();
    withModelCard();
    const second = await collect({ previousState: first.state, store });
    expect(proxy.count()).toBeLessThanOrEqual(Math.floor(firstRequests * 0.05));
    expect(proxy.count('DescribeModelPackage')).toBe(0);
    expect(second.created).toEqual([]);
    // Only the current production state is recorded again (same bytes, so the same blobs).
    expect(new Set(second.steps.map((s) => s.artifact.meta.kind))).toEqual(new Set(['production-state']));
    first = second;
  });

  it('records the approval of a deployed package between runs, and the endpoint is approved again', async () => {
    await admin.send(
      new UpdateModelPackageCommand({
        ModelPackageArn: `arn:aws:sagemaker:us-east-1:123456789012:model-package/${credit}/${perGroup - 1}`,
        ModelApprovalStatus: 'Approved',
        CustomerMetadataProperties: metadata,
      }),
    );
    proxy.reset();
    withModelCard();
    const third = await collect({ previousState: first.state, store });
    expect(proxy.count('DescribeModelPackage')).toBe(1); // only the package whose listing changed
    const moved = ofKind(third, 'stage-transition').filter(
      (m) => m.attributes['modelVersion'] === `${credit}/${perGroup - 1}`,
    );
    expect(moved.map((m) => [m.attributes['designation'], m.attributes['event']])).toEqual(
      expect.arrayContaining([
        ['stage:Approved', 'entered'],
        ['stage:PendingManualApproval', 'left'],
      ]),
    );
    expect(ofKind(third, 'approval').map((m) => m.attributes['event'])).toEqual(['approved-after-deployment']);
    expect(find(third, 'deployed-endpoint', 'endpoints/credit-prod')).toMatchObject({
      unapprovedPackages: [],
      allPackagesApproved: true,
    });
  });

  it('fails fast with the missing permission named, and on rejected credentials', async () => {
    proxy.reset();
    proxy.fault = (action) =>
      action === 'ListModelPackages'
        ? {
            status: 400,
            headers: { 'x-amzn-errortype': 'AccessDeniedException' },
            body: {
              __type: 'AccessDeniedException',
              message: 'User is not authorized to perform: sagemaker:ListModelPackages',
            },
          }
        : undefined;
    const err = await collect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialsError);
    expect((err as Error).message).toContain('sagemaker:ListModelPackages');
    expect(proxy.count('ListModelPackages')).toBe(1); // not retried

    proxy.reset();
    proxy.fault = () => ({
      status: 400,
      headers: { 'x-amzn-errortype': 'UnrecognizedClientException' },
      body: {
        __type: 'UnrecognizedClientException',
        message: 'The security token included in the request is invalid.',
      },
    });
    const rejected = await collect().catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(CredentialsError);
    expect((rejected as Error).message).toMatch(/rejected the credentials \(UnrecognizedClientException\)/);
    expect(proxy.count()).toBe(1);
  });

  it('resumes after the cursor of an interrupted run, in the registry pass and in the endpoint pass', async () => {
    proxy.reset();
    withModelCard();
    // First observations are dated (and named) by the collection time: both runs share one clock.
    const now = () => new Date('2026-12-01T00:00:00Z');
    const full = await collect({ now });
    const ids = full.steps.map((s) => s.artifact.meta.externalId);
    for (const cut of [Math.floor(ids.length / 2), ids.length - 1]) {
      const connector = await createSagemakerConnector(
        sagemakerSourceSchema.parse(source()),
        (ref) => Promise.resolve('env' in ref && ref.env === 'K' ? creds.accessKeyId : creds.secretAccessKey),
        { now },
      );
      const rest: string[] = [];
      for await (const s of connector.collect({ log, resumeAfter: full.steps[cut - 1]!.cursor }))
        rest.push(s.artifact.meta.externalId);
      expect(rest).toEqual(ids.slice(cut));
    }
    expect(full.steps.at(-1)!.artifact.meta.kind).toBe('deployed-endpoint');
  });

  it('an unknown group is a configuration error naming it', async () => {
    proxy.reset();
    const connector = await createSagemakerConnector(
      sagemakerSourceSchema.parse(source({ modelPackageGroups: ['no-such-group'] })),
      (ref) => Promise.resolve('env' in ref && ref.env === 'K' ? creds.accessKeyId : creds.secretAccessKey),
    );
    const err = await (async () => {
      for await (const _ of connector.collect({ log })) void _;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceConfigError);
    expect((err as Error).message).toContain('"no-such-group" is not a registered model in sagemaker');
  });

  it('retries throttling (429) and 503 with backoff, waiting as long as Retry-After says', async () => {
    proxy.reset();
    let throttled = 0;
    let unavailable = 0;
    proxy.fault = (action) => {
      if (action === 'ListEndpoints' && throttled++ === 0)
        return {
          status: 429,
          headers: { 'retry-after': '1' },
          body: { __type: 'ThrottlingException', message: 'Rate exceeded' },
        };
      if (action === 'ListModelPackageGroups' && unavailable++ === 0)
        return { status: 503, body: { __type: 'ServiceUnavailable', message: 'Service Unavailable' } };
      return undefined;
    };
    const run = await collect();
    expect(ofKind(run, 'model-version')).toHaveLength(2 * perGroup);
    const list = proxy.requests.filter((r) => r.action === 'ListEndpoints');
    expect(list.map((r) => r.status)).toEqual([429, 200]);
    // Retry-After: 1 is honoured (the SDK's own backoff alone would retry within a fraction of a second).
    expect(list[1]!.at - list[0]!.at).toBeGreaterThanOrEqual(900);
    expect(proxy.requests.filter((r) => r.action === 'ListModelPackageGroups').map((r) => r.status)).toEqual([
      503, 200,
    ]);
  });

  it('its mapping pack knows its kinds and loads only when a sagemaker source is configured', async () => {
    const vocabulary = mappingVocabulary();
    expect(vocabulary['sagemaker']).toMatchObject({
      kinds: sagemakerKinds,
      defaultMappings: { files: ['45-sagemaker.yaml'], when: 'configured' },
    });
    const mappings = await loadMappings([documentsPack, pack], vocabulary);
    expect(mappings.rules.map((r) => r.id)).toContain('sagemaker-deployed-packages-approved');
  });
});
