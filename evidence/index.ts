import type { IndexedArtifact, SourceRun } from '../mappings/evaluate';
import { manifestSchema, type Manifest } from './manifest';
import type { EvidenceStore } from './store';

export interface EvidenceIndex {
  artifacts: IndexedArtifact[];
  sourceRuns: SourceRun[];
  bundles: { sequence: number; bundleId: string; finishedAt: string; artifactCount: number }[];
}

/**
 * Builds the evaluator's view from the manifests alone. The same fact collected by many sweeps (an
 * unchanged policy file) counts once, with the time it was first collected: that is when it became known.
 */
export async function readEvidenceIndex(store: EvidenceStore): Promise<EvidenceIndex> {
  const seen = new Map<string, IndexedArtifact>();
  const sourceRuns: SourceRun[] = [];
  const bundles: EvidenceIndex['bundles'] = [];
  for (const seq of await store.sequences()) {
    const manifest = await readManifest(store, seq);
    if (!manifest) continue;
    const finished = Date.parse(manifest.finishedAt);
    bundles.push({ sequence: seq, bundleId: manifest.bundleId, finishedAt: manifest.finishedAt, artifactCount: manifest.artifacts.length });
    for (const s of manifest.sources) {
      sourceRuns.push({
        source: s.source,
        sourceType: s.sourceType,
        at: finished,
        status: s.status,
        ...(s.status === 'failed' ? { error: `${s.error.type}: ${s.error.message}` } : {}),
      });
    }
    for (const a of manifest.artifacts) {
      const key = `${a.id}\u0000${a.observedAt}\u0000${a.sha256}`;
      const collectedAt = Date.parse(a.collectedAt);
      const prev = seen.get(key);
      if (prev && prev.collectedAt <= collectedAt) continue;
      seen.set(key, {
        id: a.id,
        source: a.source,
        sourceType: a.sourceType,
        kind: a.kind,
        attributes: a.attributes,
        observedAt: Date.parse(a.observedAt),
        collectedAt,
        sha256: a.sha256,
      });
    }
  }
  return { artifacts: [...seen.values()], sourceRuns, bundles };
}

export async function readManifest(store: EvidenceStore, sequence: number): Promise<Manifest | undefined> {
  const bytes = await store.readManifest(sequence);
  if (!bytes) return undefined;
  return manifestSchema.parse(JSON.parse(bytes.toString('utf8')));
}
