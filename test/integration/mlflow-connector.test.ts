import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CredentialsError, SourceConfigError, SourceResponseError } from '../../core/errors';
import { mlflowSourceSchema, type MlflowSourceInput } from '../../connectors/mlflow/config';
import { mlflowKinds } from '../../connectors/mlflow/kinds';
import { createMlflowConnector, type MlflowConnectorOverrides } from '../../connectors/mlflow/mlflow-connector';
import type { CollectionStep, Connector } from '../../connectors/types';
import type { JsonValue } from '../../core/json';
import { artifactId } from '../../evidence/manifest';
import { loadCatalog } from '../../mappings/catalog';
import { evaluate, type IndexedArtifact } from '../../mappings/evaluate';
import { loadMappings } from '../../mappings/load';
import { mappingFileSchema } from '../../mappings/schema';
import { FilesystemStore } from '../../evidence/fs-store';
import { createLogger } from '../../worker/logger';
import { tempDir } from '../support/tmp';
import {
  ensureMlflow,
  seedMlflow,
  startMlflowServer,
  type MlflowServer,
  type SeedSummary,
} from '../support/mlflow-server';
import { mappingVocabulary } from '../../connectors';

const log = createLogger({ level: 'silent' });
const defaultMappings = path.join(__dirname, '..', '..', 'mappings', 'default', '40-mlflow.yaml');
const documentsPack = path.join(__dirname, '..', '..', 'mappings', 'default', '10-documents.yaml');
const metrics = { validation: ['accuracy', 'f1'], fairness: ['demographic_parity_difference'] };

let server: MlflowServer; // set by the real-server block only; the stand-in tests never need it
let seed: SeedSummary;

interface Collected {
  steps: CollectionStep[];
  bodies: Buffer[];
  connector: Connector;
  /** Blobs this run added to the store (when one was given). */
  created: string[];
}

function source(extra: Partial<MlflowSourceInput> = {}): MlflowSourceInput {
  return {
    id: 'registry',
    type: 'mlflow',
    url: server.url,
    auth: { type: 'basic', username: server.username, password: { env: 'EH_TEST_MLFLOW_PASSWORD' } },
    metrics,
    pageSize: 2, // exercises paging of models and versions with the 3 models and 10 versions seeded
    ...extra,
  };
}

/** Secrets as the worker resolves them, from a fixed table instead of the environment. */
function secrets(table: Record<string, string>) {
  return async (ref: { env: string } | { file: string }, what: string) => {
    const key = 'env' in ref ? ref.env : ref.file;
    const v = table[key];
    if (v === undefined) throw new CredentialsError(`${what}: ${key} is not set`);
    return v;
  };
}

async function collect(
  input: MlflowSourceInput,
  opts: {
    previousState?: JsonValue;
    secrets?: Record<string, string>;
    overrides?: MlflowConnectorOverrides;
    store?: FilesystemStore;
  } = {},
): Promise<Collected> {
  const connector = await createMlflowConnector(
    mlflowSourceSchema.parse(input),
    secrets(opts.secrets ?? (server ? { EH_TEST_MLFLOW_PASSWORD: server.password } : {})),
    opts.overrides ?? {},
  );
  const steps: CollectionStep[] = [];
  const bodies: Buffer[] = [];
  const created: string[] = [];
  for await (const s of connector.collect({
    log,
    ...(opts.previousState !== undefined ? { previousState: opts.previousState } : {}),
    ...(opts.store ? { openStoredBlob: (sha: string) => opts.store!.openBlob(sha) } : {}),
  })) {
    steps.push(s);
    const chunks: Buffer[] = [];
    for await (const c of s.artifact.open()) chunks.push(c as Buffer);
    bodies.push(Buffer.concat(chunks));
    if (opts.store) {
      const blob = await opts.store.putBlob(Readable.from([bodies.at(-1)!]));
      if (blob.created) created.push(blob.sha256);
    }
  }
  return { steps, bodies, connector, created };
}

const metaOf = (c: Collected, kind: string, externalId: string) =>
  c.steps.find((s) => s.artifact.meta.kind === kind && s.artifact.meta.externalId === externalId)?.artifact.meta;
const attrs = (c: Collected, kind: string, externalId: string) =>
  metaOf(c, kind, externalId)?.attributes as Record<string, unknown> | undefined;
const kinds = (c: Collected) => c.steps.map((s) => s.artifact.meta.kind);
const countOf = (c: Collected, kind: string) => kinds(c).filter((k) => k === kind).length;
const ofKind = (c: Collected, kind: string) => c.steps.filter((s) => s.artifact.meta.kind === kind);

/** What the evidence index would hold after sealing these runs: the evaluator's view. */
function indexed(runs: Collected[], at: number): IndexedArtifact[] {
  return runs.flatMap((c) =>
    c.steps.map((s, i) => ({
      id: artifactId('registry', s.artifact.meta.externalId),
      source: 'registry',
      sourceType: 'mlflow',
      kind: s.artifact.meta.kind,
      attributes: s.artifact.meta.attributes,
      observedAt: Date.parse(s.artifact.meta.observedAt),
      collectedAt: at,
      sha256: createHash('sha256').update(c.bodies[i]!).digest('hex'),
    })),
  );
}

async function mlflowPost(endpoint: string, body: Record<string, unknown>, method = 'POST'): Promise<unknown> {
  const res = await fetch(`${server.url}/api/2.0/mlflow/${endpoint}`, {
    method,
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${server.username}:${server.password}`).toString('base64')}`,
    },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
}

/** A stand-in MLflow API on a loopback port: records request headers, answers from a script. */
async function fakeMlflow(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<{ url: string; requests: http.IncomingMessage[]; close: () => Promise<void> }> {
  const requests: http.IncomingMessage[] = [];
  const srv = http.createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => srv.close(() => r())) };
}

const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

describe('MLflow connector against a real MLflow server', () => {
  // One server for this block (about 10 s to start, 10 s to seed); the tests run in order and the later
  // ones change the registry (a tag, a card, an alias), so each asserts only on what it changed.
  beforeAll(async () => {
    server = await startMlflowServer(ensureMlflow());
    seed = await seedMlflow(server);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('collects registered models, versions with stage and aliases, runs, lineage, model cards and transitions', async () => {
    const c = await collect(source());
    expect(countOf(c, 'registered-model')).toBe(3);
    expect(countOf(c, 'model-version')).toBe(10);
    expect(countOf(c, 'dataset-lineage')).toBe(10);
    expect(countOf(c, 'model-card')).toBe(8); // credit-scoring/3 and churn-predictor/3 have none
    // Entered: credit 1 Archived, 2 Production, 3 champion; fraud 2 production, 3 Staging; churn 2 Production + champion.
    expect(countOf(c, 'stage-transition')).toBe(7);
    // What serves now, dated at the collection whatever its age: credit 2 and 3, fraud 2, churn 2.
    expect(countOf(c, 'production-state')).toBe(4);
    // `approval` records only approvals observed after deployment, which a first run cannot see.
    expect(new Set(kinds(c))).toEqual(new Set(mlflowKinds.filter((k) => k !== 'approval')));

    // Models in name order, versions numerically, each model before its versions: cursors only grow.
    const cursors = c.steps.map((s) => JSON.parse(s.cursor) as [string, string, number]);
    expect(cursors.map(([m]) => m)).toEqual([...cursors.map(([m]) => m)].sort());
    expect(cursors[0]).toEqual(['churn-predictor', '', 0]);

    expect(attrs(c, 'registered-model', 'models/credit-scoring')).toMatchObject({
      model: 'credit-scoring',
      owner: 'risk-ml-team',
      intendedUse: 'consumer credit decisions',
      riskClass: 'high',
      hasOwner: true,
      aliases: { champion: '3' },
      versionCount: 4,
      productionVersions: ['credit-scoring/2', 'credit-scoring/3'],
    });

    const v2 = attrs(c, 'model-version', 'models/credit-scoring/versions/2')!;
    expect(v2).toMatchObject({
      modelVersion: 'credit-scoring/2',
      model: 'credit-scoring',
      version: '2',
      stage: 'Production',
      aliases: [],
      production: true,
      productionBy: ['stage:Production'],
      status: 'READY',
      runId: seed.models['credit-scoring']!.versions['2']!.runId,
      owner: 'risk-ml-team', // from the registered model's tags
      riskClass: 'high',
      approvedBy: 'alice@example.com',
      approvedAt: '2026-01-15T10:00:00Z',
      params: { learning_rate: '0.02', max_depth: '4', algorithm: 'gbm' },
      validationMetrics: { accuracy: 0.82, f1: 0.72 },
      fairnessMetrics: { demographic_parity_difference: 0.022 },
      hasValidationMetrics: true,
      hasFairnessMetrics: true,
      hasModelCard: true,
      modelCards: ['model_card.md'],
      datasetCount: 2,
      datasetsWithoutDigest: 0,
      gaps: [],
    });
    expect((v2['metrics'] as Record<string, number>)['train_loss']).toBe(0.48);

    expect(attrs(c, 'model-version', 'models/credit-scoring/versions/3')).toMatchObject({
      stage: 'None',
      aliases: ['champion'],
      production: true,
      productionBy: ['alias:champion'],
      hasModelCard: false,
      modelCards: [],
      hasValidationMetrics: true,
      gaps: ['model-card'],
    });
    expect(attrs(c, 'model-version', 'models/fraud-detector/versions/2')).toMatchObject({
      aliases: ['production'],
      production: true,
      validationMetrics: { accuracy: 0.97 },
      missingValidationMetrics: ['f1'],
      hasValidationMetrics: false,
      missingFairnessMetrics: ['demographic_parity_difference'],
      hasFairnessMetrics: false,
      hasModelCard: true,
      owner: 'payments-ml',
    });
    expect(attrs(c, 'model-version', 'models/churn-predictor/versions/2')).toMatchObject({
      stage: 'Production',
      aliases: ['champion'],
      productionBy: ['stage:Production', 'alias:champion'],
      modelCards: ['model/README.md'], // found in the version's own folder (source runs:/<run>/model)
    });
    expect(attrs(c, 'model-version', 'models/credit-scoring/versions/1')).toMatchObject({
      stage: 'Archived',
      production: false,
    });

    // Lineage: MLflow's own dataset digests and sources, per context.
    const seeded = seed.models['fraud-detector']!.versions['2']!;
    const lineage = attrs(c, 'dataset-lineage', 'models/fraud-detector/versions/2/lineage')!;
    expect(lineage).toMatchObject({
      modelVersion: 'fraud-detector/2',
      runId: seeded.runId,
      datasetCount: 2,
      // MLflow's 8-character digests hash a sample and are truncated: recorded, but not a content hash.
      datasetDigestKind: 'mlflow-truncated',
      allDatasetsDigested: true,
      allDatasetsHashed: false,
      runDeleted: false,
      lineageAvailable: true,
      contexts: ['evaluation', 'training'],
    });
    expect(lineage['datasets']).toEqual([
      {
        name: 'fraud-detector-train',
        digest: seeded.datasets.training.digest,
        sourceType: 's3',
        source: 's3://datasets/fraud-detector/train-v2.parquet',
        context: 'training',
      },
      {
        name: 'fraud-detector-eval',
        digest: seeded.datasets.evaluation.digest,
        sourceType: 's3',
        source: 's3://datasets/fraud-detector/eval.parquet',
        context: 'evaluation',
      },
    ]);
    expect(seeded.datasets.training.digest).toMatch(/^[0-9a-f]{8,}$/);

    // Model cards: content stored as downloaded, provenance names the download.
    const cardIdx = c.steps.findIndex(
      (s) => s.artifact.meta.externalId === 'models/churn-predictor/versions/2/cards/run/model/README.md',
    );
    expect(cardIdx).toBeGreaterThan(-1);
    const card = c.steps[cardIdx]!.artifact.meta;
    expect(card).toMatchObject({ kind: 'model-card', mediaType: 'text/markdown' });
    expect(card.attributes).toMatchObject({
      modelVersion: 'churn-predictor/2',
      artifactRoot: 'run',
      path: 'model/README.md',
      contentStored: true,
    });
    expect(card.provenance.endpoint).toContain('/get-artifact?run_id=');
    expect(card.provenance.collector).toBe('mlflow@1.0.0');
    expect(c.bodies[cardIdx]!.toString('utf8')).toContain('# Model card: churn-predictor v2');

    // churn-predictor/1 was registered from an MLflow 3 logged model: its card is in the model's own artifacts.
    expect(attrs(c, 'model-version', 'models/churn-predictor/versions/1')).toMatchObject({
      source: expect.stringMatching(/^models:\/m-/),
      modelCards: ['logged-model:README.md'],
    });
    const lmIdx = c.steps.findIndex(
      (s) => s.artifact.meta.externalId === 'models/churn-predictor/versions/1/cards/logged-model/README.md',
    );
    expect(c.steps[lmIdx]!.artifact.meta.attributes).toMatchObject({
      artifactRoot: 'logged-model',
      path: 'README.md',
      contentStored: true,
    });
    expect(c.steps[lmIdx]!.artifact.meta.provenance.endpoint).toMatch(
      /\/logged-models\/m-[0-9a-f]+\/artifacts\/files\?artifact_file_path=README\.md$/,
    );
    expect(c.bodies[lmIdx]!.toString('utf8')).toBe('# Model card: churn-predictor v1 (logged model)\n');

    // Transitions: stage ones are stamped by MLflow's last_updated_timestamp, aliases only by our observation.
    const transitions = c.steps.filter((s) => s.artifact.meta.kind === 'stage-transition').map((s) => s.artifact.meta);
    const prodStage = transitions.find((t) => t.attributes['modelVersion'] === 'credit-scoring/2')!;
    expect(prodStage.attributes).toMatchObject({
      designation: 'stage:Production',
      event: 'entered',
      stage: 'Production',
      toProduction: true,
      basis: 'first-observation',
      approvedBy: 'alice@example.com',
    });
    expect(prodStage.observedAt).toBe(v2['updatedAt']);
    const champion = transitions.find((t) => t.attributes['modelVersion'] === 'credit-scoring/3')!;
    expect(champion.attributes).toMatchObject({
      designation: 'alias:champion',
      alias: 'champion',
      toProduction: true,
      approvedBy: 'bob@example.com',
    });
    expect(transitions.find((t) => t.attributes['stage'] === 'Staging')!.attributes).toMatchObject({
      modelVersion: 'fraud-detector/3',
      toProduction: false,
    });

    const state = attrs(c, 'production-state', 'models/credit-scoring/versions/3/production-state')!;
    expect(state).toMatchObject({
      production: true,
      productionBy: ['alias:champion'],
      gaps: ['model-card'],
      complete: false,
      hasModelCard: false,
      observedAtFrom: 'collection',
    });
    expect(attrs(c, 'production-state', 'models/credit-scoring/versions/2/production-state')).toMatchObject({
      productionBy: ['stage:Production'],
      productionSince: v2['updatedAt'],
      gaps: [],
      complete: true,
    });

    expect(c.connector.stats!()).toMatchObject({
      modelsSeen: 3,
      versionsSeen: 10,
      versionsCollected: 10,
      cardsDownloaded: 8,
      retries: 0,
    });
  });

  it('the mapping sweep flags exactly the missing model card, the missing validation and fairness metrics, and the truncated digests', async () => {
    const c = await collect(source());
    // The default mapping file is valid mapping syntax, names real controls, and reads mlflow kinds; its one
    // folder selector is the impact assessment each production model needs (its changes come from MLflow).
    const raw = mappingFileSchema.parse(parseYaml(await readFile(defaultMappings, 'utf8')));
    const catalogIds = new Set(loadCatalog().controls.map((x) => x.id));
    for (const rule of raw.rules) {
      for (const ctl of rule.controls) expect(catalogIds.has(ctl), `${rule.id}: ${ctl}`).toBe(true);
      for (const sel of [rule.select].flat())
        if (sel.source === 'mlflow') expect(mlflowKinds as readonly string[]).toContain(sel.kind);
        else expect(sel, rule.id).toMatchObject({ source: 'folder', kind: 'document' });
      const f = rule.freshness;
      if (typeof f === 'object' && 'perChange' in f)
        for (const ch of [f.perChange.changes].flat()) expect(ch.source, rule.id).toBe('mlflow');
    }
    expect(raw.rules.flatMap((r) => r.controls).sort()).toEqual([
      'A.3.2',
      'A.4.2',
      'A.5.3',
      'A.6.2.4',
      'A.6.2.4',
      'A.6.2.5',
      'A.7.5',
    ]);
    // Model cards are an alternative to the documents pack's rule, not a second requirement (issue #16).
    expect(raw.extend.map((e) => e.rule)).toEqual(['model-cards']);
    for (const e of raw.extend)
      for (const sel of [e.select].flat()) expect(mlflowKinds as readonly string[]).toContain(sel.kind);

    // Acceptance: the seeded registry flags exactly the controls with a gap, naming the model version.
    expect(mappingVocabulary()['mlflow']?.kinds).toEqual(mlflowKinds);
    const mappings = await loadMappings([documentsPack, defaultMappings], mappingVocabulary());
    const now = Date.now();
    const results = evaluate({
      artifacts: indexed([c], now),
      sourceRuns: [{ source: 'registry', sourceType: 'mlflow', at: now, status: 'ok' }],
      mappings,
      notApplicable: [],
      now: new Date(now),
    });
    // The controls some rule (or alternative) reads MLflow for; the documents pack's other controls have no
    // evidence here and are not what this test is about.
    const readsMlflow = new Set(
      mappings.rules.filter((r) => r.sourceTypes.includes('mlflow')).flatMap((r) => r.controls),
    );
    const covered = results.filter((r) => readsMlflow.has(r.control.id));
    // A.5.4 is not among them: fairness metrics verify A.6.2.4, they are no impact assessment (#16 item 7);
    // A.8.2 neither: model cards are no user information (#16 item 9).
    expect(covered.map((r) => r.control.id).sort()).toEqual([
      'A.3.2',
      'A.4.2',
      'A.5.3',
      'A.6.2.4',
      'A.6.2.5',
      'A.6.2.7',
      'A.7.5',
    ]);
    // Judge the rules that read MLflow (the documents pack's own rules have no folder evidence here).
    const mlflowRules = new Set(mappings.rules.filter((r) => r.sourceTypes.includes('mlflow')).map((r) => r.id));
    const ruleOf = (id: string) =>
      covered.find((r) => r.control.id === id)!.rules.find((x) => mlflowRules.has(x.rule) && x.status !== 'current') ??
      covered.find((r) => r.control.id === id)!.rules.find((x) => mlflowRules.has(x.rule))!;
    const ruleNamed = (id: string, rule: string) =>
      covered.find((r) => r.control.id === id)!.rules.find((x) => x.rule === rule)!;
    const flagged = Object.fromEntries(
      [...readsMlflow].map((id) => [id, ruleOf(id)] as const).filter(([, r]) => r.status !== 'current'),
    );
    // A.7.5 as well: MLflow's 8-character dataset digests are truncated sample hashes, not the content hashes
    // its rule (allDatasetsHashed) asks for (issue #15; the default pack may select allDatasetsDigested).
    // A.6.2.7 is not flagged: MLflow's model cards are an alternative for the documents pack's model-cards
    // rule (issue #16), and cards exist.
    // A.5.3: no impact assessment names the production models (none is kept in a folder here).
    expect(Object.keys(flagged).sort()).toEqual(['A.5.3', 'A.6.2.4', 'A.7.5']);
    expect(ruleOf('A.6.2.7')).toMatchObject({ rule: 'model-cards', status: 'current' });
    expect(flagged['A.7.5']!.reason).toBe(
      '4 of 4 change(s) have no record: churn-predictor/2, credit-scoring/2, credit-scoring/3, fraud-detector/2',
    );
    for (const rule of ['mlflow-production-validation-metrics', 'mlflow-production-fairness-metrics']) {
      expect(ruleNamed('A.6.2.4', rule)).toMatchObject({
        // A production version never validated has no record at all: missing, not stale (issue #15).
        status: 'missing',
        reason: '1 of 4 change(s) have no record: fraud-detector/2',
      });
    }
    expect(flagged['A.5.3']).toMatchObject({ rule: 'mlflow-production-impact-assessment', status: 'missing' });
    expect(flagged['A.7.5']!.status).toBe('missing'); // no lineage record is hashed at all
  });

  it('a second run re-records only the version that changed: tags or aliases alone cost no run, card or re-sealed blob', async () => {
    const store = await FilesystemStore.open(await tempDir());
    const at = (ms: number) => ({ now: () => new Date(ms) });
    const first = await collect(source(), { store, overrides: at(Date.now()) });
    const requests = (c: Collected) => c.connector.stats!()['requests']!;
    // Baseline: a run in which nothing changed.
    const quiet = await collect(source(), {
      store,
      previousState: first.connector.state!(),
      overrides: at(Date.now()),
    });
    expect(quiet.steps.every((s) => s.artifact.meta.kind === 'production-state')).toBe(true);

    await mlflowPost('model-versions/set-tag', {
      name: 'credit-scoring',
      version: '4',
      key: 'reviewed_by',
      value: 'erin@example.com',
    });
    await mlflowPost('registered-models/alias', { name: 'fraud-detector', alias: 'shadow', version: '1' });
    const collectedAt = Date.now() + 60_000;
    const second = await collect(source(), {
      store,
      previousState: quiet.connector.state!(),
      overrides: at(collectedAt),
    });
    const changed = second.steps.filter((s) => s.artifact.meta.kind !== 'production-state');
    expect(changed.map((s) => s.artifact.meta.externalId).sort()).toEqual(
      [
        'models/fraud-detector',
        'models/credit-scoring/versions/4',
        'models/fraud-detector/versions/1',
        `models/fraud-detector/versions/1/transitions/alias:shadow/entered@${new Date(collectedAt).toISOString()}`,
      ].sort(),
    );
    expect(attrs(second, 'model-version', 'models/credit-scoring/versions/4')).toMatchObject({
      tags: { reviewed_by: 'erin@example.com' },
      observedAtFrom: 'collection',
      // What the run said is carried over from the previous record, not read again.
      validationMetrics: { accuracy: 0.84, f1: 0.74 },
      hasModelCard: true,
    });
    expect(attrs(second, 'model-version', 'models/fraud-detector/versions/1')).toMatchObject({ aliases: ['shadow'] });
    // No run, no artifact listing, no card download: exactly the requests of a run where nothing changed.
    expect(requests(second)).toBe(requests(quiet));
    expect(ofKind(second, 'model-card')).toHaveLength(0);
    expect(ofKind(second, 'dataset-lineage')).toHaveLength(0);
    expect(second.connector.stats!()).toMatchObject({
      versionsCollected: 0,
      versionsRelisted: 2,
      versionsRechecked: 2,
    });
    // New blobs: the two re-recorded versions, the registered model and the alias entered; nothing else.
    expect(second.created).toHaveLength(4);

    // Every run records what is in production now, dated at the collection, however old the promotion.
    const third = await collect(source(), {
      store,
      previousState: second.connector.state!(),
      overrides: at(collectedAt + 1000),
    });
    expect(third.steps.map((s) => s.artifact.meta.externalId)).toEqual([
      'models/churn-predictor/versions/2/production-state',
      'models/credit-scoring/versions/2/production-state',
      'models/credit-scoring/versions/3/production-state',
      'models/fraud-detector/versions/2/production-state',
    ]);
    for (const s of third.steps) expect(s.artifact.meta.observedAt).toBe(new Date(collectedAt + 1000).toISOString());
    expect(attrs(third, 'production-state', 'models/fraud-detector/versions/2/production-state')).toMatchObject({
      gaps: ['validation-metrics', 'fairness-metrics'],
    });
    expect(third.created).toHaveLength(0);
    await mlflowPost('registered-models/alias', { name: 'fraud-detector', alias: 'shadow' }, 'DELETE');
  });

  it('a card logged later to a run and an alias moved between runs are picked up (left / entered)', async () => {
    const first = await collect(source());
    const run3 = seed.models['credit-scoring']!.versions['3']!.runId;
    // Upload a model card to credit-scoring/3's run through the server's artifact proxy.
    const put = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/1/${run3}/artifacts/model_card.md`, {
      method: 'PUT',
      headers: { authorization: `Basic ${Buffer.from(`${server.username}:${server.password}`).toString('base64')}` },
      body: '# Model card: credit-scoring v3\n',
    });
    expect(put.status, await put.clone().text()).toBe(200);
    await mlflowPost('registered-models/alias', { name: 'churn-predictor', alias: 'champion', version: '3' });

    const second = await collect(source(), { previousState: first.connector.state!() });
    const ids = second.steps.map((s) => s.artifact.meta.externalId);
    expect(ids).toContain('models/credit-scoring/versions/3/cards/run/model_card.md');
    expect(attrs(second, 'model-version', 'models/credit-scoring/versions/3')).toMatchObject({
      hasModelCard: true,
      gaps: [],
    });
    const moved = second.steps
      .filter(
        (s) => s.artifact.meta.kind === 'stage-transition' && s.artifact.meta.attributes['model'] === 'churn-predictor',
      )
      .map((s) => s.artifact.meta.attributes);
    expect(moved).toContainEqual(
      expect.objectContaining({
        modelVersion: 'churn-predictor/2',
        designation: 'alias:champion',
        event: 'left',
        basis: 'observed-change',
      }),
    );
    expect(moved).toContainEqual(
      expect.objectContaining({
        modelVersion: 'churn-predictor/3',
        designation: 'alias:champion',
        event: 'entered',
        basis: 'observed-change',
        toProduction: true,
      }),
    );
    // The stage churn-predictor/2 kept is not re-emitted: its entry record is sealed once, as it was then.
    const keptId = first.steps.find(
      (s) =>
        s.artifact.meta.attributes['modelVersion'] === 'churn-predictor/2' &&
        s.artifact.meta.attributes['designation'] === 'stage:Production',
    )!.artifact.meta.externalId;
    expect(metaOf(second, 'stage-transition', keptId)).toBeUndefined();
    expect(attrs(second, 'production-state', 'models/churn-predictor/versions/2/production-state')).toMatchObject({
      productionBy: ['stage:Production'],
    });
    expect(attrs(second, 'registered-model', 'models/churn-predictor')).toMatchObject({
      aliases: { champion: '3' },
      productionVersions: ['churn-predictor/2', 'churn-predictor/3'],
    });
  });

  it('resumes after a cursor, mid-version, without repeating or skipping artifacts', async () => {
    const at = new Date();
    const overrides = { now: () => at }; // alias transitions are stamped with the collection time
    const all = await collect(source(), { overrides });
    const ids = all.steps.map((s) => s.artifact.meta.externalId);
    const cut = ids.indexOf('models/credit-scoring/versions/2/lineage');
    expect(cut).toBeGreaterThan(0);
    const connector = await createMlflowConnector(
      mlflowSourceSchema.parse(source()),
      secrets({ EH_TEST_MLFLOW_PASSWORD: server.password }),
      overrides,
    );
    const rest: string[] = [];
    for await (const s of connector.collect({ log, resumeAfter: all.steps[cut]!.cursor }))
      rest.push(s.artifact.meta.externalId);
    expect([...ids.slice(0, cut + 1), ...rest]).toEqual(ids);
    // The resumed attempt's state still covers every version, so the next run stays incremental.
    const state = connector.state!() as { models: Record<string, { versions: Record<string, unknown> }> };
    expect(Object.values(state.models).flatMap((m) => Object.keys(m.versions))).toHaveLength(10);
    expect(connector.stats!()).toMatchObject({ versionsSkippedOnResume: 4 }); // churn-predictor 1-3, credit-scoring 1
  });

  it('unknown configured model is a configuration error naming the entry; a glob matching nothing only warns', async () => {
    const err = await collect(source({ models: ['credit-scoring', 'no-such-model'] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceConfigError);
    expect((err as Error).message).toContain(
      'source "registry": models[1] "no-such-model" is not a registered model in mlflow',
    );
    const some = await collect(source({ models: ['fraud-*', 'nothing-*'] }));
    expect(new Set(some.steps.map((s) => s.artifact.meta.attributes['model']))).toEqual(new Set(['fraud-detector']));
  });

  it('a wrong password is a CredentialsError that does not leak the secret', async () => {
    const err = await collect(source(), { secrets: { EH_TEST_MLFLOW_PASSWORD: 'wrong-password-xyz' } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CredentialsError);
    expect((err as Error).message).toMatch(
      /answered 401 Unauthorized to GET \/api\/2\.0\/mlflow\/registered-models\/search.*basic credentials were sent/,
    );
    expect((err as Error).message).not.toContain('wrong-password-xyz');
  });

  it('records approval after deployment, deletion and archive while serving, and a deleted run, as such', async () => {
    const store = await FilesystemStore.open(await tempDir());
    const cfg = source({ models: ['late-*'] });
    const at = (ms: number) => ({ now: () => new Date(ms) });
    await mlflowPost('registered-models/create', { name: 'late-adopted' });
    const run = (await mlflowPost('runs/create', {
      experiment_id: '0', // MLflow's Default experiment
      run_name: 'late-adopted-v3',
    })) as { run: { info: { run_id: string } } };
    const runId = run.run.info.run_id;
    for (const version of ['1', '2', '3']) {
      await mlflowPost('model-versions/create', {
        name: 'late-adopted',
        source: `s3://models/late-adopted/${version}`,
        ...(version === '3' ? { run_id: runId } : {}),
      });
      await mlflowPost('model-versions/transition-stage', {
        name: 'late-adopted',
        version,
        stage: 'Production',
        archive_existing_versions: false,
      });
    }
    await mlflowPost('runs/delete', { run_id: runId });
    const t0 = Date.now();
    const first = await collect(cfg, { store, overrides: at(t0) });
    const enteredStep = ofKind(first, 'stage-transition').find(
      (s) => s.artifact.meta.attributes['modelVersion'] === 'late-adopted/1',
    )!;
    const entered = enteredStep.artifact.meta.attributes;
    expect(entered).toMatchObject({ toProduction: true, event: 'entered' });
    expect(entered['approvedBy']).toBeUndefined();
    // A deleted run is a lineage gap, not available lineage.
    expect(attrs(first, 'model-version', 'models/late-adopted/versions/3')).toMatchObject({
      runAvailable: false,
      runDeleted: true,
      runId,
    });
    expect(attrs(first, 'model-version', 'models/late-adopted/versions/3')!['gaps']).toEqual(
      expect.arrayContaining(['run', 'dataset-digests']),
    );
    expect(attrs(first, 'dataset-lineage', 'models/late-adopted/versions/3/lineage')).toMatchObject({
      runDeleted: true,
      lineageAvailable: false,
      allDatasetsHashed: false,
    });
    expect(attrs(first, 'production-state', 'models/late-adopted/versions/3/production-state')).toMatchObject({
      runAvailable: false,
      complete: false,
    });

    // An approver tag set after promotion, claiming a date before the version existed: a new, dated record.
    for (const [key, value] of [
      ['approved_by', 'mallory@example.com'],
      ['approved_at', '2020-01-01T00:00:00Z'],
    ])
      await mlflowPost('model-versions/set-tag', { name: 'late-adopted', version: '1', key, value });
    const t1 = t0 + 3_600_000;
    const second = await collect(cfg, { store, previousState: first.connector.state!(), overrides: at(t1) });
    expect(ofKind(second, 'stage-transition')).toHaveLength(0); // the entry record is not re-emitted
    const approvals = ofKind(second, 'approval');
    expect(approvals).toHaveLength(1);
    expect(approvals[0]!.artifact.meta.observedAt).toBe(new Date(t1).toISOString());
    expect(approvals[0]!.artifact.meta.attributes).toMatchObject({
      modelVersion: 'late-adopted/1',
      event: 'approved-after-deployment',
      afterDeployment: true,
      approvedBy: 'mallory@example.com',
      approvedAt: '2020-01-01T00:00:00Z',
      claimedBeforeEntry: true,
    });
    expect(attrs(second, 'model-version', 'models/late-adopted/versions/1')).toMatchObject({
      approvedBy: 'mallory@example.com',
    });

    // Changed options re-issue entry records (their production flags may differ), with the approval held
    // at entry, not today's.
    const reissued = await collect(
      source({ models: ['late-*'], metrics: { validation: ['accuracy'], fairness: [] } }),
      {
        store,
        previousState: second.connector.state!(),
        overrides: at(t1 + 1000),
      },
    );
    const again = metaOf(reissued, 'stage-transition', enteredStep.artifact.meta.externalId)!;
    expect(again.attributes).toMatchObject({ toProduction: true, event: 'entered' });
    expect(again.attributes['approvedBy']).toBeUndefined();

    // Archived while serving, and deleted while serving: both leave production, on the record.
    await mlflowPost('model-versions/transition-stage', {
      name: 'late-adopted',
      version: '2',
      stage: 'Archived',
      archive_existing_versions: false,
    });
    await mlflowPost('model-versions/delete', { name: 'late-adopted', version: '1' }, 'DELETE');
    const t2 = t1 + 3_600_000;
    const third = await collect(cfg, { store, previousState: second.connector.state!(), overrides: at(t2) });
    const left = ofKind(third, 'stage-transition').map((s) => s.artifact.meta);
    expect(left.map((m) => [m.attributes['modelVersion'], m.attributes['event'], m.attributes['reason']])).toEqual([
      ['late-adopted/1', 'left', 'deleted'],
      ['late-adopted/2', 'entered', undefined],
      ['late-adopted/2', 'left', 'archived'],
    ]);
    expect(left[0]!.attributes).toMatchObject({ fromProduction: true, leftProduction: true, production: false });
    expect(left[0]!.observedAt).toBe(new Date(t2).toISOString());
    expect(left[2]!.attributes).toMatchObject({ designation: 'stage:Production', leftProduction: true });
    expect(third.connector.stats!()).toMatchObject({ versionsGone: 1 });
    expect(ofKind(third, 'production-state').map((s) => s.artifact.meta.externalId)).toEqual([
      'models/late-adopted/versions/3/production-state',
    ]);
    // The next run has nothing more to say about the deleted version.
    const fourth = await collect(cfg, { store, previousState: third.connector.state!(), overrides: at(t2 + 1000) });
    expect(fourth.steps.map((s) => s.artifact.meta.kind)).toEqual(['production-state']);
  });
});

describe('MLflow source config', () => {
  it('applies defaults, and rejects literal secrets and credentials in the URL', () => {
    const parsed = mlflowSourceSchema.parse({
      id: 'registry',
      type: 'mlflow',
      url: 'https://mlflow.example.com/prefix',
      metrics: { validation: ['auc'] },
    });
    expect(parsed).toMatchObject({
      auth: { type: 'none' },
      models: ['*'],
      production: { stages: ['Production'], aliases: ['champion', 'production'] },
      metrics: { validation: ['auc'], fairness: [] },
      modelCards: { maxBytes: 1024 * 1024 },
      tags: { owner: ['owner'], approvedBy: ['approved_by', 'approver'] },
    });
    const literal = mlflowSourceSchema.safeParse({
      id: 'r',
      type: 'mlflow',
      url: 'https://m.example.com',
      metrics: { validation: ['auc'] },
      auth: { type: 'bearer', token: 'abc' },
    });
    expect(literal.success).toBe(false);
    expect(JSON.stringify(literal.error!.issues)).toContain('secrets are never written in the config');
    const inUrl = mlflowSourceSchema.safeParse({
      id: 'r',
      type: 'mlflow',
      url: 'https://u:p@m.example.com',
      metrics: { validation: ['auc'] },
    });
    expect(JSON.stringify(inUrl.error!.issues)).toContain('credentials in the URL are not allowed');
    const noMetrics = mlflowSourceSchema.safeParse({
      id: 'r',
      type: 'mlflow',
      url: 'https://m.example.com',
      metrics: { validation: [] },
    });
    expect(JSON.stringify(noMetrics.error!.issues)).toContain('name at least one validation metric');
  });
});

describe('MLflow connector HTTP behaviour (stand-in server)', () => {
  const emptyRegistry = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url!.startsWith('/api/2.0/mlflow/registered-models/search'))
      return json(res, 200, { registered_models: [{ name: 'm', tags: [] }] });
    if (req.url!.startsWith('/api/2.0/mlflow/model-versions/search')) return json(res, 200, {});
    json(res, 404, { error_code: 'ENDPOINT_NOT_FOUND', message: 'no' });
  };

  it('sends bearer and basic credentials, and maps 401 and 403 to CredentialsError', async () => {
    const fake = await fakeMlflow((req, res) => {
      if (
        req.headers.authorization === 'Bearer tok-123' ||
        req.headers.authorization === `Basic ${Buffer.from('svc:pa:ss').toString('base64')}`
      )
        return emptyRegistry(req, res);
      json(res, req.headers.authorization ? 403 : 401, { error_code: 'UNAUTHENTICATED', message: 'no' });
    });
    try {
      const bearer = await collect(
        {
          id: 'registry',
          type: 'mlflow',
          url: `${fake.url}/`,
          auth: { type: 'bearer', token: { env: 'TOKEN' } },
          metrics,
        },
        { secrets: { TOKEN: 'tok-123' } },
      );
      expect(bearer.steps.map((s) => s.artifact.meta.kind)).toEqual(['registered-model']);
      expect(fake.requests.map((r) => r.headers.authorization)).toEqual(['Bearer tok-123', 'Bearer tok-123']);
      const basic = await collect(
        {
          id: 'registry',
          type: 'mlflow',
          url: fake.url,
          auth: { type: 'basic', username: 'svc', password: { file: 'pw' } },
          metrics,
        },
        { secrets: { pw: 'pa:ss' } },
      );
      expect(basic.steps).toHaveLength(1);

      const unauth = await collect({ id: 'registry', type: 'mlflow', url: fake.url, metrics }).catch((e: unknown) => e);
      expect(unauth).toBeInstanceOf(CredentialsError);
      expect((unauth as Error).message).toContain('answered 401 Unauthorized');
      expect((unauth as Error).message).toContain('no credentials were configured');
      const forbidden = await collect(
        { id: 'registry', type: 'mlflow', url: fake.url, auth: { type: 'bearer', token: { env: 'TOKEN' } }, metrics },
        { secrets: { TOKEN: 'stale' } },
      ).catch((e: unknown) => e);
      expect(forbidden).toBeInstanceOf(CredentialsError);
      expect((forbidden as Error).message).toContain('answered 403 Forbidden');
      expect((forbidden as Error).message).not.toContain('stale');
    } finally {
      await fake.close();
    }
  });

  it('retries 429 and 5xx with backoff, honouring Retry-After', async () => {
    let calls = 0;
    const fake = await fakeMlflow((req, res) => {
      calls++;
      if (calls === 1) return json(res, 503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'busy' });
      if (calls === 2)
        return json(res, 429, { error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'slow down' }, { 'retry-after': '2' });
      if (calls === 3) return json(res, 502, 'bad gateway');
      emptyRegistry(req, res);
    });
    const sleeps: number[] = [];
    try {
      const c = await collect(
        { id: 'registry', type: 'mlflow', url: fake.url, metrics },
        { overrides: { sleep: async (ms) => void sleeps.push(ms), retryBaseMs: 100 } },
      );
      expect(c.steps).toHaveLength(1);
      expect(sleeps).toHaveLength(3);
      expect(sleeps[0]).toBeGreaterThanOrEqual(50); // attempt 1: 50-100 ms (full jitter over the upper half)
      expect(sleeps[0]).toBeLessThanOrEqual(100);
      expect(sleeps[1]).toBe(2_000); // Retry-After: 2
      expect(sleeps[2]).toBeGreaterThanOrEqual(200); // attempt 3: 200-400 ms
      expect(sleeps[2]).toBeLessThanOrEqual(400);
      expect(c.connector.stats!()).toMatchObject({ retries: 3, throttled: 1, serverErrors: 2, requests: 5 });

      const always = await fakeMlflow((_req, res) =>
        json(res, 500, { error_code: 'INTERNAL_ERROR', message: 'db down' }),
      );
      try {
        const err = await collect(
          { id: 'registry', type: 'mlflow', url: always.url, metrics, maxAttempts: 3 },
          { overrides: { sleep: async () => {} } },
        ).catch((e: unknown) => e);
        expect((err as Error).name).toBe('RegistryUnavailableError');
        expect((err as Error).message).toContain('answered 500 after 3 attempts');
        expect(always.requests).toHaveLength(3);
      } finally {
        await always.close();
      }
    } finally {
      await fake.close();
    }
  });

  it('malformed JSON is a SourceResponseError naming the endpoint', async () => {
    const fake = await fakeMlflow((req, res) => {
      if (req.url!.startsWith('/api/2.0/mlflow/registered-models/search'))
        return json(res, 200, { registered_models: [{ name: 'm' }] });
      if (req.url!.startsWith('/api/2.0/mlflow/model-versions/search'))
        return json(res, 200, {
          model_versions: [{ name: 'm', version: '1', run_id: 'r1', current_stage: 'Production' }],
        });
      if (req.url!.startsWith('/api/2.0/mlflow/runs/get')) return json(res, 200, '{"run": {"info": ');
      json(res, 404, {});
    });
    try {
      const err = await collect({ id: 'registry', type: 'mlflow', url: fake.url, metrics }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SourceResponseError);
      expect((err as Error).message).toContain(
        'source "registry": GET /api/2.0/mlflow/runs/get?run_id=r1 returned malformed JSON',
      );

      const shape = await fakeMlflow((_req, res) => json(res, 200, { registered_models: [{ name: 42 }] }));
      try {
        const bad = await collect({ id: 'registry', type: 'mlflow', url: shape.url, metrics }).catch((e: unknown) => e);
        expect(bad).toBeInstanceOf(SourceResponseError);
        expect((bad as Error).message).toMatch(
          /GET \/api\/2\.0\/mlflow\/registered-models\/search\?max_results=200 returned JSON of an unexpected shape at registered_models\.0\.name/,
        );
      } finally {
        await shape.close();
      }
    } finally {
      await fake.close();
    }
  });

  it('a model card over the size cap is recorded without its content', async () => {
    const fake = await fakeMlflow((req, res) => {
      const url = req.url!;
      if (url.startsWith('/api/2.0/mlflow/registered-models/search'))
        return json(res, 200, { registered_models: [{ name: 'm' }] });
      if (url.startsWith('/api/2.0/mlflow/model-versions/search'))
        return json(res, 200, { model_versions: [{ name: 'm', version: '1', run_id: 'r1' }] });
      if (url.startsWith('/api/2.0/mlflow/runs/get')) return json(res, 200, { run: { info: { run_id: 'r1' } } });
      if (url.startsWith('/api/2.0/mlflow/artifacts/list'))
        return json(res, 200, {
          files: [
            { path: 'README.md', is_dir: false },
            { path: 'model_card.md', is_dir: false, file_size: 10_000 },
          ],
        });
      if (url.startsWith('/get-artifact')) {
        res.writeHead(200, { 'content-type': 'text/markdown' }); // chunked: no content-length to trust
        res.write('x'.repeat(600));
        res.end('y'.repeat(600));
        return;
      }
      json(res, 404, {});
    });
    try {
      const c = await collect({
        id: 'registry',
        type: 'mlflow',
        url: fake.url,
        metrics,
        modelCards: { maxBytes: 1000 },
      });
      const cards = c.steps.filter((s) => s.artifact.meta.kind === 'model-card').map((s) => s.artifact.meta.attributes);
      expect(cards).toEqual([
        expect.objectContaining({
          path: 'README.md',
          contentStored: false,
          reason: 'larger than modelCards.maxBytes (1000 bytes)',
        }),
        expect.objectContaining({ path: 'model_card.md', contentStored: false, size: 10_000 }),
      ]);
      expect(cards[0]!['size']).toBeUndefined(); // streamed past the cap: its real size is unknown
      // model_card.md was never downloaded: its listed size already exceeded the cap.
      expect(fake.requests.filter((r) => r.url!.startsWith('/get-artifact')).map((r) => r.url)).toEqual([
        '/get-artifact?run_id=r1&path=README.md',
      ]);
      expect(c.connector.stats!()).toMatchObject({ cardsTooLarge: 2, cardsDownloaded: 0 });
    } finally {
      await fake.close();
    }
  });
});
