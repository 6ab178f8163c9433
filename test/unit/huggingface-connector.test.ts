import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mappingVocabulary } from '../../connectors';
import { huggingfaceSourceSchema, type HuggingfaceSourceInput } from '../../connectors/huggingface/config';
import {
  createHuggingfaceConnector,
  type HuggingfaceConnectorOverrides,
} from '../../connectors/huggingface/huggingface-connector';
import { huggingfaceKinds } from '../../connectors/huggingface/kinds';
import type { CollectionStep } from '../../connectors/types';
import { CredentialsError } from '../../core/errors';
import type { JsonValue } from '../../core/json';
import { artifactId } from '../../evidence/manifest';
import { FilesystemStore } from '../../evidence/fs-store';
import { evaluate, type IndexedArtifact } from '../../mappings/evaluate';
import { loadMappings } from '../../mappings/load';
import { createLogger } from '../../worker/logger';
import { commitsOf, HuggingfaceHubFake } from '../fakes/huggingface-server';
import { suiteDir } from '../support/tmp';

const log = createLogger({ level: 'silent' });
const packs = ['10-documents.yaml', '46-huggingface.yaml'].map((f) =>
  path.join(__dirname, '..', '..', 'mappings', 'default', f),
);

const completeCard = `---
license: apache-2.0
datasets: [acme-ai/loans]
metrics: [accuracy]
model-index:
  - name: credit-scorer
    results:
      - task: { type: tabular-classification }
        metrics: [{ type: f1, value: 0.91 }]
---
# Credit scorer ✓ 信用

## Intended uses
Ranking retail credit applications for human review.

## Bias, Risks, and Limitations
Not for automated rejection; trained on EU applicants only.
`;
// The Hub's template, never filled in: no license, placeholder sections.
const templateCard = `---
tags: [demo]
---
# Model Card

## Uses

### Direct Use

[More Information Needed]

## Bias, Risks, and Limitations

[More Information Needed]
`;
const datasetCard = `---
license: cc-by-4.0
source_datasets: [original]
language: [en]
---
# Loans
`;
// Hostile text where the Hub allows it: commit titles and authors, card content; and the longest names.
const longName = `acme-ai/${'m'.repeat(88)}.v1_x`;
const fillers = 30;

let hub: HuggingfaceHubFake;
let dir: string;
let store: FilesystemStore;

beforeAll(async () => {
  hub = await HuggingfaceHubFake.start();
  hub.add({
    type: 'model',
    id: 'acme-ai/credit-scorer',
    // 60 commits: two pages of the commits API.
    commits: commitsOf('acme-ai/credit-scorer', 60).map((c, i) =>
      i === 0 ? { ...c, title: '../../etc/passwd \u202e ✓ 模型', authors: ['ünïcødé-user'] } : c,
    ),
    readme: completeCard,
    safetensors: { parameters: { F32: 1000, BF16: 24 }, total: 1024 },
    tags: ['license:apache-2.0'],
    pipelineTag: 'tabular-classification',
  });
  hub.add({
    type: 'model',
    id: 'acme-ai/draft-model',
    commits: commitsOf('acme-ai/draft-model', 2),
    readme: templateCard,
  });
  hub.add({
    type: 'model',
    id: 'acme-ai/gated-model',
    gated: 'manual',
    commits: commitsOf('acme-ai/gated-model', 1),
    readme: completeCard,
  });
  hub.add({ type: 'model', id: longName, commits: commitsOf(longName, 1) });
  for (let i = 0; i < fillers; i++)
    hub.add({
      type: 'model',
      id: `acme-ai/filler-${String(i).padStart(2, '0')}`,
      commits: commitsOf(`f${i}`, 1),
      readme: completeCard,
    });
  hub.add({ type: 'dataset', id: 'acme-ai/loans', commits: commitsOf('acme-ai/loans', 3), readme: datasetCard });
  hub.add({
    type: 'model',
    id: 'partner/shared-encoder',
    commits: commitsOf('partner/shared-encoder', 1),
    readme: completeCard,
  });
  hub.add({ type: 'model', id: 'partner/not-ours', commits: commitsOf('partner/not-ours', 1) });
  dir = await suiteDir('eh-hf-');
  store = await FilesystemStore.open(dir);
});

afterAll(async () => {
  await hub?.http.close();
  await rm(dir, { recursive: true, force: true });
});

function source(extra: Partial<HuggingfaceSourceInput> = {}): HuggingfaceSourceInput {
  return {
    id: 'hub',
    type: 'huggingface',
    url: hub.url,
    organizations: ['acme-ai'],
    models: ['partner/shared-encoder'],
    token: { env: 'HF_TOKEN' },
    ...extra,
  };
}

interface Run {
  steps: CollectionStep[];
  bodies: Buffer[];
  state: JsonValue;
  created: string[];
  sleeps: number[];
}

async function collect(
  opts: {
    input?: HuggingfaceSourceInput;
    previousState?: JsonValue;
    token?: string;
    overrides?: HuggingfaceConnectorOverrides;
  } = {},
): Promise<Run> {
  const sleeps: number[] = [];
  const connector = await createHuggingfaceConnector(
    huggingfaceSourceSchema.parse(opts.input ?? source()),
    () => Promise.resolve(opts.token ?? hub.token),
    { sleep: (ms) => (sleeps.push(ms), Promise.resolve()), retryBaseMs: 1, ...opts.overrides },
  );
  const steps: CollectionStep[] = [];
  const bodies: Buffer[] = [];
  const created: string[] = [];
  for await (const s of connector.collect({
    log,
    ...(opts.previousState !== undefined ? { previousState: opts.previousState } : {}),
  })) {
    steps.push(s);
    const chunks: Buffer[] = [];
    for await (const c of s.artifact.open()) chunks.push(c as Buffer);
    bodies.push(Buffer.concat(chunks));
    const blob = await store.putBlob(Readable.from([bodies.at(-1)!]));
    if (blob.created) created.push(blob.sha256);
  }
  return { steps, bodies, state: connector.state(), created, sleeps };
}

const ofKind = (r: Run, kind: string) =>
  r.steps.filter((s) => s.artifact.meta.kind === kind).map((s) => s.artifact.meta);
const record = (r: Run, kind: string, repo: string) =>
  ofKind(r, kind).find((m) => m.attributes['repo'] === repo)?.attributes as Record<string, unknown> | undefined;

describe('huggingface connector against a fake Hub', () => {
  let first: Run;

  it('collects models, datasets, commits and cards of an organisation and a listed repo', async () => {
    hub.http.resetLog();
    first = await collect();
    expect(new Set(first.steps.map((s) => s.artifact.meta.kind))).toEqual(new Set(huggingfaceKinds));
    const models = ofKind(first, 'hf-model').map((m) => m.attributes['repo']);
    expect(models).toHaveLength(4 + fillers + 1);
    expect(models).toContain('partner/shared-encoder');
    expect(models).not.toContain('partner/not-ours');
    expect(models).toContain(longName);

    const sha = commitsOf('acme-ai/credit-scorer', 60)[0]!.id;
    expect(record(first, 'hf-model', 'acme-ai/credit-scorer')).toMatchObject({
      sha,
      license: 'apache-2.0',
      hasLicense: true,
      hasModelCard: true,
      hasIntendedUse: true,
      hasLimitations: true,
      cardComplete: true,
      gaps: [],
      datasets: ['acme-ai/loans'],
      metrics: ['accuracy', 'f1'],
      parameters: 1024,
      parameterDtypes: ['BF16', 'F32'],
      private: false,
      gated: false,
      lastCommitAuthors: ['ünïcødé-user'],
    });
    // The template card is a card, but says nothing: no license, no intended use, no limitations.
    expect(record(first, 'hf-model', 'acme-ai/draft-model')).toMatchObject({
      cardComplete: false,
      gaps: ['license', 'intended-use', 'limitations'],
    });
    expect(record(first, 'hf-model', 'acme-ai/gated-model')).toMatchObject({ gated: 'manual', isGated: true });
    expect(record(first, 'hf-model', longName)).toMatchObject({ hasModelCard: false, gaps: ['license', 'model-card'] });
    expect(record(first, 'hf-dataset', 'acme-ai/loans')).toMatchObject({
      license: 'cc-by-4.0',
      hasDatasetCard: true,
      documented: true,
      sourceDatasets: ['original'],
    });

    // Every commit of the revision, with its authors and date; the hostile title is data, not a path.
    const commits = ofKind(first, 'repo-commit').filter((m) => m.attributes['repo'] === 'acme-ai/credit-scorer');
    expect(commits).toHaveLength(60);
    expect(hub.http.requestsTo(/credit-scorer\/commits/).map((r) => r.query)).toEqual(['', 'p=1']);
    const newest = commits.find((m) => m.attributes['sha'] === sha)!;
    expect(newest.attributes).toMatchObject({ title: '../../etc/passwd \u202e ✓ 模型', authors: ['ünïcødé-user'] });
    expect(newest.externalId).toBe(`models/acme-ai/credit-scorer/commits/${sha}`);

    const cardIndex = first.steps.findIndex(
      (s) => s.artifact.meta.kind === 'model-card' && s.artifact.meta.attributes['repo'] === 'acme-ai/credit-scorer',
    );
    expect(first.bodies[cardIndex]!.toString('utf8')).toBe(completeCard);
    expect(first.steps[cardIndex]!.artifact.meta.attributes).toMatchObject({
      hasIntendedUse: true,
      hasLimitations: true,
      license: 'apache-2.0',
    });
  });

  it('a second run of an unchanged Hub makes at most 5% of the requests and writes no new blob', async () => {
    const firstRequests = hub.http.requests.length;
    hub.http.resetLog();
    const second = await collect({ previousState: first.state });
    expect(second.steps).toEqual([]);
    expect(second.created).toEqual([]);
    expect(hub.http.requests.length).toBeLessThanOrEqual(Math.floor(firstRequests * 0.05));
    first = second;
  });

  it('a new commit is collected alone: the commit, the new revision and its card', async () => {
    const repo = hub.repos.get('model:acme-ai/draft-model')!;
    const pushed = { ...commitsOf('acme-ai/draft-model', 1, 2)[0]!, authors: ['carol'] };
    repo.commits.unshift(pushed);
    repo.readme = completeCard;
    const third = await collect({ previousState: first.state });
    expect(third.steps.map((s) => s.artifact.meta.kind)).toEqual(['repo-commit', 'model-card', 'hf-model']);
    expect(ofKind(third, 'repo-commit')[0]!.attributes).toMatchObject({ sha: pushed.id, authors: ['carol'] });
    expect(record(third, 'hf-model', 'acme-ai/draft-model')).toMatchObject({ sha: pushed.id, cardComplete: true });
    first = third;
  });

  it('resumes after the cursor of an interrupted run, with the same artifacts as an uninterrupted one', async () => {
    const input = source({ organizations: [], models: ['acme-ai/credit-scorer', 'partner/shared-encoder'] });
    const full = await collect({ input });
    const cut = 30; // inside credit-scorer's commits
    const connector = await createHuggingfaceConnector(huggingfaceSourceSchema.parse(input), () =>
      Promise.resolve(hub.token),
    );
    const rest: string[] = [];
    for await (const s of connector.collect({ log, resumeAfter: full.steps[cut - 1]!.cursor }))
      rest.push(s.artifact.meta.externalId);
    expect(rest).toEqual(full.steps.slice(cut).map((s) => s.artifact.meta.externalId));
    expect(connector.state()).toEqual(full.state);
  });

  it('fails fast on a rejected token, and names what a gated repo needs without one', async () => {
    hub.http.resetLog();
    const rejected = await collect({ token: 'hf_revoked' }).catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(CredentialsError);
    expect((rejected as Error).message).toMatch(/answered 401 .*the configured token was sent: it needs read access/);
    expect(hub.http.requests).toHaveLength(1);

    const anonymous = await collect({ input: { ...source(), token: undefined } }).catch((e: unknown) => e);
    expect(anonymous).toBeInstanceOf(CredentialsError);
    expect((anonymous as Error).message).toContain('gated-model');
    expect((anonymous as Error).message).toContain('no token was configured');
  });

  it('retries 429 and 503, waiting as the RateLimit and Retry-After headers say, and waits out a used-up window', async () => {
    hub.http.fail(/^\/api\/models\?author=acme-ai/, {
      status: 429,
      headers: { ratelimit: '"api";r=0;t=42' },
      body: { error: 'rate limited' },
    });
    hub.http.fail(/revision/, { status: 503, headers: { 'retry-after': '3' }, body: 'busy' });
    const run = await collect({ input: source({ organizations: [], models: ['partner/shared-encoder'] }) });
    expect(ofKind(run, 'hf-model')).toHaveLength(1);
    expect(run.sleeps).toEqual([3000]);
    const throttled = await collect({ input: source({ organizations: ['acme-ai'], models: [] }) });
    expect(ofKind(throttled, 'hf-model')).toHaveLength(4 + fillers);
    expect(throttled.sleeps[0]).toBe(42_000);

    // An answer reporting the window used up (r=0) makes the next request wait for the reset, not fail.
    hub.remaining = 1;
    const patient = await collect({ input: source({ organizations: [], models: ['partner/shared-encoder'] }) });
    expect(patient.sleeps).toContain(120_000);
    hub.remaining = 500;
  });

  it('refuses repo ids that could climb out of their path, in config and from the listing', async () => {
    const parsed = huggingfaceSourceSchema.safeParse(source({ models: ['acme-ai/..'] }));
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.message).toContain('expected a repository id');

    hub.add({ type: 'dataset', id: 'evil/..', commits: commitsOf('evil', 1) });
    hub.add({ type: 'dataset', id: 'evil/ok', commits: commitsOf('evil-ok', 1) });
    hub.http.resetLog();
    const connector = await createHuggingfaceConnector(
      huggingfaceSourceSchema.parse(source({ organizations: ['evil'], models: [], repoTypes: ['dataset'] })),
      () => Promise.resolve(hub.token),
    );
    const kinds: string[] = [];
    for await (const s of connector.collect({ log })) kinds.push(s.artifact.meta.kind);
    expect(kinds).toEqual(['repo-commit', 'hf-dataset']);
    expect(connector.problems()).toEqual(['the Hub listed a dataset with an invalid id "evil/.."; skipped']);
    // Nothing was requested outside the listed, valid repository.
    expect(hub.http.requests.map((r) => r.path).filter((p) => !p.startsWith('/api/datasets'))).toEqual([]);
    expect(hub.http.requests.filter((r) => r.path.includes('evil/..'))).toEqual([]);
  });

  it('its pack knows its kinds, loads only when configured, and flags the undocumented model by name', async () => {
    const vocabulary = mappingVocabulary();
    expect(vocabulary['huggingface']).toMatchObject({
      kinds: huggingfaceKinds,
      defaultMappings: { files: ['46-huggingface.yaml'], when: 'configured' },
    });
    const mappings = await loadMappings(packs, vocabulary);
    const run = await collect({
      input: source({ organizations: [], models: ['acme-ai/credit-scorer', 'acme-ai/gated-model', longName] }),
    });
    const now = Date.now();
    const artifacts: IndexedArtifact[] = run.steps.map((s, i) => ({
      id: artifactId('hub', s.artifact.meta.externalId),
      source: 'hub',
      sourceType: 'huggingface',
      kind: s.artifact.meta.kind,
      attributes: s.artifact.meta.attributes,
      observedAt: Date.parse(s.artifact.meta.observedAt),
      collectedAt: now,
      sha256: createHash('sha256').update(run.bodies[i]!).digest('hex'),
    }));
    const results = evaluate({
      artifacts,
      sourceRuns: [{ source: 'hub', sourceType: 'huggingface', at: now, status: 'ok' }],
      mappings,
      notApplicable: [],
      now: new Date(now),
    });
    const rule = results.flatMap((r) => r.rules).find((r) => r.rule === 'huggingface-model-documentation')!;
    expect(rule.status).not.toBe('current');
    expect(rule.reason).toContain(longName);
    expect(rule.reason).not.toContain('acme-ai/credit-scorer');
  });
});
