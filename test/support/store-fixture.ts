import { generateKeyPairSync } from 'node:crypto';
import { Readable } from 'node:stream';
import { sealBundle, type BundleSummary } from '../../evidence/bundle';
import { artifactId, bundleFormat, type ArtifactRecord, type Manifest } from '../../evidence/manifest';
import { merkleRoot } from '../../evidence/merkle';
import { type SourceOutcome, type Trigger } from '../../core/sweep-outcome';
import { canonicalJson, sha256Hex } from '../../core/digest';
import { signingKeyFromPem, type Signer } from '../../evidence/signing';
import type { CommittedBundle, EvidenceStore } from '../../evidence/store';
import type { MappingSet } from '../../mappings/load';

export function newKey(): Signer {
  const { privateKey } = generateKeyPairSync('ed25519');
  return signingKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'test');
}

/**
 * Writes a bundle the way a sweep does (blobs, staged records, seal) without Temporal, so store and
 * verification behaviour can be tested on its own.
 */
export async function writeBundle(
  store: EvidenceStore,
  key: Signer,
  mappings: MappingSet,
  bundleId: string,
  files: Record<string, string>,
  at = new Date('2026-06-01T00:00:00Z'),
  options: {
    trigger?: Trigger['type'];
    extraOutcomes?: SourceOutcome[];
    /** Extra attributes per file path, next to `path`. */
    attributes?: Record<string, Record<string, unknown>>;
  } = {},
): Promise<BundleSummary> {
  const staging = await store.openStaging(bundleId, 'docs', 0);
  for (const [p, content] of Object.entries(files)) {
    const blob = await store.putBlob(Readable.from([Buffer.from(content)]));
    const record: ArtifactRecord = {
      id: artifactId('docs', p),
      source: 'docs',
      sourceType: 'folder',
      kind: 'document',
      externalId: p,
      observedAt: at.toISOString(),
      collectedAt: at.toISOString(),
      sha256: blob.sha256,
      size: blob.size,
      mediaType: 'text/markdown',
      attributes: { path: p, ...fixtureType(p), ...options.attributes?.[p] },
      provenance: { endpoint: `file:///${p}`, collector: 'folder@1.0.0' },
    };
    await staging.append(record);
  }
  await staging.close();
  // `keys init` for a fresh store: sealing never registers a key, so the fixture does it like an operator.
  if ((await store.listKeys()).length === 0) await store.registerKey(key, at);
  return sealBundle(
    store,
    key,
    mappings,
    {
      bundleId,
      startedAt: at.toISOString(),
      trigger: { type: options.trigger ?? 'manual', workflowId: bundleId, runId: 'r' },
      outcomes: [
        { source: 'docs', sourceType: 'folder', status: 'ok', artifactCount: Object.keys(files).length },
        ...(options.extraOutcomes ?? []),
      ],
    },
    () => at,
  );
}

/** A minimal valid staged record of a folder source `docs` (content: the id itself). */
export function stagedRecord(id: string): ArtifactRecord {
  return {
    id: `docs:${id}`,
    source: 'docs',
    sourceType: 'folder',
    kind: 'document',
    externalId: id,
    observedAt: '2026-01-01T00:00:00.000Z',
    collectedAt: '2026-01-01T00:00:00.000Z',
    sha256: sha256Hex(id),
    size: 1,
    mediaType: 'text/plain',
    attributes: {},
    provenance: { endpoint: 'x', collector: 'c' },
  };
}

/**
 * What an attacker with write access to the store can do without any of our code paths' checks: append a
 * manifest signed by `key` directly through the store's chain primitive (no key registration, no checks).
 */
export async function forgeBundle(
  store: EvidenceStore,
  key: Signer,
  bundleId: string,
  at = new Date('2026-06-01T00:00:00Z'),
): Promise<CommittedBundle> {
  return store.commitBundle(bundleId, async (head) => {
    const manifest: Manifest = {
      format: bundleFormat,
      bundleId,
      sequence: (head?.sequence ?? 0) + 1,
      previousDigest: head?.digest ?? null,
      startedAt: at.toISOString(),
      finishedAt: at.toISOString(),
      trigger: { type: 'manual', workflowId: bundleId, runId: 'r' },
      signing: { keyId: key.keyId, algorithm: 'ed25519' },
      mappingDigest: sha256Hex('forged'),
      sources: [{ source: 'docs', sourceType: 'folder', status: 'ok', artifactCount: 0 }],
      artifacts: [],
      controls: {},
      merkleRoot: merkleRoot([]),
    };
    const bytes = Buffer.from(canonicalJson(manifest));
    return { bytes, signature: await key.sign(bytes) };
  });
}

/**
 * The default pack selects documents by their front-matter `type` (docs/mappings.md, "Document types").
 * Fixture documents stand for typed documents by their conventional names, so fixtures need not repeat
 * front matter in every file's content; any other name is an untyped document that maps to nothing.
 */
const fixtureTypes: [RegExp, string][] = [
  [/(^|\/)ai-policy\.md$/, 'ai-policy'],
  [/(^|\/)raci\.csv$/, 'raci'],
  [/(^|\/)monitoring\//, 'monitoring-report'],
  [/(^|\/)model-cards\//, 'model-card'],
];

function fixtureType(p: string): { frontMatter?: { type: string } } {
  const type = fixtureTypes.find(([re]) => re.test(p))?.[1];
  return type !== undefined ? { frontMatter: { type } } : {};
}
