// Builds a real evidence store of N artifacts (default 1,000,000) for bench/status-1m.ts: one bundle per
// daily sweep of 10,000 artifacts (issue 21: about 20,000 per full sweep of a mid-size organisation), each
// committed as sealBundle (evidence/bundle.ts) commits it: controls mapped by the default pack (`mapControls`), canonical JSON manifest, Merkle root, signed, chained through
// `commitBundle`, checkpointed. Only staging is skipped (records go straight into the manifest): staging
// and re-reading a million records measured the disk, not the index. `verify` checks a sample.
// Blobs are real and content-addressed, but artifacts share 1,000 distinct blob contents: `status` never
// reads blobs, and a million distinct files would only measure the file system while building.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { mapControls } from '../evidence/bundle';
import { writeCheckpoint } from '../evidence/checkpoint';
import { canonicalJson } from '../core/digest';
import { merkleRoot } from '../evidence/merkle';
import type { Signer } from '../evidence/signing';
import type { MappingSet } from '../mappings/load';
import { FilesystemStore } from '../evidence/fs-store';
import { artifactId, bundleFormat, type ArtifactRecord, type Manifest } from '../evidence/manifest';
import { signingKeyFromPem } from '../evidence/signing';
import type { SourceOutcome } from '../core/sweep-outcome';
import { expandMappingPaths, loadMappings } from '../mappings/load';
import { mappingVocabulary } from '../connectors';

const DAY = 86_400_000;
export const perBundle = 10_000;
/** Part of the cache directory's name: bump it when the store this file builds changes. */
export const storeVersion = 'v1';

/** Source id, source type, kind and share of a sweep: a mid-size organisation after three years. */
const mix: [string, string, string, number][] = [
  ['gh', 'github', 'pull-request', 0.4],
  ['siem', 'siem', 'event-counts', 0.15],
  ['jira', 'jira', 'incident', 0.05],
  ['jira', 'jira', 'change-request', 0.05],
  ['mlflow', 'mlflow', 'model-version', 0.1],
  ['gh', 'github', 'workflow-run', 0.1],
  ['docs', 'folder', 'document', 0.1],
  ['jira', 'jira', 'impact-assessment', 0.03],
  ['jira', 'jira', 'concern', 0.02],
];

/** Every document type the default pack asks for, and notes no rule reads. */
const docTypes = [
  'ai-policy',
  'ai-system-inventory',
  'competence-requirements',
  'compute-inventory',
  'concern-procedure',
  'concern-register',
  'customer-commitments',
  'data-acquisition',
  'data-management-process',
  'data-quality-report',
  'dataset-inventory',
  'design-record',
  'development-objectives',
  'development-process',
  'external-report-register',
  'external-reporting',
  'impact-assessment',
  'impact-assessment-procedure',
  'incident-communication',
  'incident-communication-plan',
  'intended-use',
  'log-review',
  'logging-standard',
  'model-card',
  'monitoring-report',
  'objective-measurement',
  'obligations-register',
  'oversight-record',
  'policy-alignment',
  'policy-review',
  'provenance-record',
  'raci',
  'requirements',
  'responsible-use',
  'supplier-assessment',
  'tooling-inventory',
  'use-objectives',
  'validation-report',
  'note',
];

/** Attributes as the connectors record them, so the default rules match (and decide) as in a real store. */
function attributesOf(type: string, kind: string, i: number, n: number, at: number): Record<string, unknown> {
  const iso = new Date(at).toISOString();
  if (kind === 'pull-request')
    return {
      repository: `org/repo-${n % 50}`,
      number: n,
      approved: n % 20 !== 0,
      toDefaultBranch: true,
      mergedAt: iso,
    };
  if (kind === 'workflow-run')
    return {
      repository: `org/repo-${n % 50}`,
      workflowPath: '.github/workflows/model-eval.yml',
      success: true,
      runId: n,
    };
  if (kind === 'event-counts') return { totalEvents: 1000 + (n % 97), categories: { guardrail: i % 3 } };
  if (kind === 'model-version')
    return {
      model: `model-${n % 20}`,
      version: n,
      production: i % 10 === 0,
      hasValidationMetrics: true,
      hasFairnessMetrics: true,
    };
  if (type === 'folder') {
    const t = docTypes[i % docTypes.length]!;
    return {
      path: `${t}s/doc-${n}.md`,
      frontMatter: { type: t, owner: 'compliance', reviewer: 'ciso', outcome: 'approved' },
    };
  }
  return {
    key: `AI-${n}`,
    statusCategory: i % 4 === 0 ? 'indeterminate' : 'done',
    created: iso,
    labels: ['impact-individuals'],
  };
}

export interface BuiltStore {
  dir: string;
  config: string;
  artifacts: number;
  bundles: number;
  buildSeconds: number;
  reused: boolean;
}

/** The config `status` runs with: the same source types as the store, credentials never used by `status`. */
function configText(): string {
  return `version: 1
store:
  path: ./store
signing:
  key: { file: ./signing-key.pem }
mappings:
  - default
sources:
  - { id: docs, type: folder, path: ./docs }
  - { id: gh, type: github, auth: { token: { env: BENCH_UNUSED_TOKEN } }, repositories: [org/repo-0] }
  - { id: jira, type: jira, url: "http://127.0.0.1:9", deployment: cloud, auth: { personalAccessToken: { env: BENCH_UNUSED_TOKEN } }, queries: [{ name: incidents, kind: incident, jql: "project = AI" }] }
  - { id: siem, type: siem, path: ./siem }
  - { id: mlflow, type: mlflow, url: "http://127.0.0.1:9", metrics: { validation: [accuracy], fairness: [] } }
`;
}

/** Builds the store under `dir` (or reuses one already complete there). */
export async function buildStatusStore(dir: string, count: number, now: number): Promise<BuiltStore> {
  const marker = path.join(dir, 'complete.json');
  const config = path.join(dir, 'evidence-hub.yaml');
  const done = await readFile(marker, 'utf8').catch(() => undefined);
  if (done) return { ...(JSON.parse(done) as Omit<BuiltStore, 'reused'>), reused: true };
  const t0 = process.hrtime.bigint();
  await mkdir(path.join(dir, 'docs'), { recursive: true });
  await mkdir(path.join(dir, 'siem'), { recursive: true });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await writeFile(path.join(dir, 'signing-key.pem'), pem, { mode: 0o600 });
  // The public key, for `verify --trust` on a sample of the store.
  await writeFile(
    path.join(dir, 'public-key.pem'),
    createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }),
  );
  await writeFile(config, configText());
  const key = signingKeyFromPem(pem, 'bench');
  const store = await FilesystemStore.open(path.join(dir, 'store'));
  const vocabulary = mappingVocabulary();
  const mappings = await loadMappings(expandMappingPaths(['default'], '/', vocabulary), vocabulary);
  const blobs = [];
  for (let i = 0; i < 1000; i++)
    blobs.push(await store.putBlob(Readable.from([Buffer.from(`evidence record ${i}\n`)])));
  const bundles = Math.ceil(count / perBundle);
  const start = now - bundles * DAY;
  await store.registerKey(key, new Date(start - DAY));
  let n = 0;
  let template: { ids: string[]; controls: Record<string, string[]> } | undefined;
  for (let b = 0; b < bundles; b++) {
    const at = start + b * DAY;
    const bundleId = `bench-${String(b).padStart(5, '0')}`;
    const bySource = new Map<string, ArtifactRecord[]>();
    const size = Math.min(perBundle, count - n);
    for (let i = 0; i < size; i++, n++) {
      // What decides matching depends only on the position in the sweep, so every sweep maps to controls
      // alike (see `seal`); ids, numbers and dates differ per sweep.
      const r = ((i * 2654435761) % 1000003) / 1000003;
      let acc = 0;
      const [source, type, kind] = mix.find(([, , , w]) => r < (acc += w)) ?? mix[0]!;
      const observedAt = at - (n % 24) * 3_600_000;
      const blob = blobs[n % blobs.length]!;
      const externalId = `${kind}/${n}`;
      const record: ArtifactRecord = {
        id: artifactId(source, externalId),
        source,
        sourceType: type,
        kind,
        externalId,
        observedAt: new Date(observedAt).toISOString(),
        collectedAt: new Date(at).toISOString(),
        sha256: blob.sha256,
        size: blob.size,
        mediaType: 'application/json',
        attributes: attributesOf(type, kind, i, n, observedAt),
        provenance: { endpoint: `bench://${source}/${externalId}`, collector: 'bench@1' },
      };
      const list = bySource.get(source);
      if (list) list.push(record);
      else bySource.set(source, [record]);
    }
    const outcomes: SourceOutcome[] = [...bySource].map(([source, records]) => ({
      source,
      sourceType: records[0]!.sourceType,
      status: 'ok' as const,
      artifactCount: records.length,
    }));
    const artifacts = [...bySource.values()].flat();
    // The default pack maps sweep 0 and the last sweep for real; the sweeps between reuse sweep 0's
    // mapping by position (mapControls costs minutes per million records on a shared machine).
    const real = b === 0 || b === bundles - 1;
    const controls = real ? mapControls(artifacts, mappings) : byPosition(template!, artifacts);
    if (b === 0) template = { ids: artifacts.map((a) => a.id), controls };
    else if (real && JSON.stringify(byPosition(template!, artifacts)) !== JSON.stringify(controls))
      throw new Error('bench store: sweeps do not map alike; the mapping by position would be wrong');
    await seal(store, key, mappings, bundleId, at, outcomes, artifacts, controls);
  }
  const built = {
    dir,
    config,
    artifacts: n,
    bundles,
    buildSeconds: Number(process.hrtime.bigint() - t0) / 1e9,
  };
  await writeFile(marker, JSON.stringify(built));
  return { ...built, reused: false };
}

/** The commit of evidence/bundle.ts `sealBundle`, from records in memory instead of staging. */
async function seal(
  store: FilesystemStore,
  key: Signer,
  mappings: MappingSet,
  bundleId: string,
  at: number,
  sources: SourceOutcome[],
  artifacts: ArtifactRecord[],
  controls: Record<string, string[]>,
): Promise<void> {
  const finishedAt = new Date(at).toISOString();
  const committed = await store.commitBundle(bundleId, async (head) => {
    const manifest: Manifest = {
      format: bundleFormat,
      bundleId,
      sequence: (head?.sequence ?? 0) + 1,
      previousDigest: head?.digest ?? null,
      startedAt: finishedAt,
      finishedAt,
      trigger: { type: 'schedule', workflowId: bundleId, runId: 'r' },
      signing: { keyId: key.keyId, algorithm: 'ed25519' },
      mappingDigest: mappings.digest,
      sources,
      artifacts,
      controls,
      merkleRoot: merkleRoot(artifacts.map((a) => a.sha256)),
    };
    const bytes = Buffer.from(canonicalJson(manifest));
    return { bytes, signature: await key.sign(bytes) };
  });
  await writeCheckpoint(store, key, committed, finishedAt);
}

/** Sweep 0's controls for another sweep: the artifact at the same position in place of each id. */
function byPosition(
  template: { ids: string[]; controls: Record<string, string[]> },
  artifacts: ArtifactRecord[],
): Record<string, string[]> {
  const position = new Map(template.ids.map((id, i) => [id, i]));
  return Object.fromEntries(
    Object.entries(template.controls).map(([c, ids]) => [c, ids.map((id) => artifacts[position.get(id)!]!.id).sort()]),
  );
}
